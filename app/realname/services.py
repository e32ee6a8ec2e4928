"""实名认证: branches enter and 上报 requests, county organisation departments 备案认证 or refuse them.

Each request runs bpmn/realname.bpmn in its own instance through the one runner (录入并上报 by the branch,
备案认证 by the county; a refusal loops back to the entry task, so the branch corrects and reports again);
the request row and the inbox are that instance's projection. 备案认证 starts the person's development
process through ``workflow.services.start_application`` with the stored step-1 data, in the same
transaction. Nothing here commits; the caller commits once per request.
"""
import sqlalchemy as sa
from forms.validators import normalize_id_number, normalize_phone

from app.access.policy import allows
from app.events.services import log_operation
from app.extensions import db
from app.inbox import services as inbox
from app.orgs.models import Organisation
from app.people.models import Person
from app.realname.models import CONFIRMED, DRAFT, PENDING, REJECTED, STATUSES, RealnameRequest
from app.scope import can_act_as, path_prefix, select_in_scope
from app.timeutil import utcnow
from app.workflow import runner
from app.workflow import services as workflow
from app.workflow.services import Conflict, NotAllowed, RuleViolation, WorkflowError

_PROOF = "proof_scans"
PROCESS = "realname"
# The operations-log name of each action on a request.
_OPERATIONS = {"save": "realname.save", "report": "realname.report", "approve": "realname.confirm",
               "reject": "realname.reject"}


def can_enter(user) -> bool:
    """Branch admins (and admins above, acting for a branch) enter requests: the policy's 实名校验 right."""
    return allows(user, "realname", "act")


def can_confirm(user) -> bool:
    """备案认证 is for the county organisation department and above: the policy's confirm right."""
    return allows(user, "realname", "confirm")


def search(user, *, status: str = PENDING, org_id: int | None = None, name: str = "", id_number: str = "",
           phone: str = "", org_name: str = "") -> sa.Select:
    """Requests in scope filtered by status, organisation subtree and the manual's search fields."""
    stmt = select_in_scope(RealnameRequest, user).order_by(RealnameRequest.id.desc())
    if status:
        stmt = stmt.where(RealnameRequest.status == status)
    if org_id:
        org = db.session.get(Organisation, org_id)
        if org is not None:
            stmt = stmt.where(path_prefix(RealnameRequest.org_path, org.path))
    if name.strip():
        stmt = stmt.where(RealnameRequest.name.contains(name.strip(), autoescape=True))
    if id_number.strip():
        stmt = stmt.where(RealnameRequest.id_number.contains(normalize_id_number(id_number), autoescape=True))
    if phone.strip():
        stmt = stmt.where(RealnameRequest.phone.contains(normalize_phone(phone), autoescape=True))
    if org_name.strip():
        stmt = stmt.join(Organisation, Organisation.id == RealnameRequest.org_id).where(
            Organisation.name.contains(org_name.strip(), autoescape=True))
    return stmt


def _check_new(actor, data: dict, request_id: int | None) -> Organisation:
    org = db.session.get(Organisation, int(data.get("org_id") or 0))
    if org is None or not can_act_as(actor, "branch_admin", org.path):
        raise RuleViolation({"org_id": "请选择管理范围内的党支部"})
    if org.level != "branch":
        raise RuleViolation({"org_id": "接受申请党组织须选定到党支部"}, rule="R19")
    clash = sa.select(RealnameRequest.id).where(
        RealnameRequest.id_number == (data.get("id_number") or "").upper(),
        RealnameRequest.status.in_((DRAFT, PENDING)))
    if request_id is not None:
        clash = clash.where(RealnameRequest.id != request_id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise RuleViolation({"id_number": "该公民身份证号码已有未完成的实名认证申请"})
    return org


def save(actor, data: dict, request: RealnameRequest | None = None, *, report: bool = False) -> RealnameRequest:
    """保存 (and with ``report`` 上报) a request from the validated form data: a new request starts its
    realname.bpmn instance; a draft, or a request refused and being corrected, changes its entry task."""
    if not can_enter(actor):
        raise NotAllowed("没有权限录入实名认证申请")
    if request is not None and request.status not in (DRAFT, REJECTED):
        raise Conflict("该申请已上报，不能修改")
    org = _check_new(actor, data, request.id if request else None)
    workflow.claim_attachments_for(actor, org.path, workflow.attachment_hashes(data))
    if request is None:
        request = RealnameRequest(created_by=actor.id, created_at=utcnow(), status=DRAFT, org_id=org.id,
                                  org_path=org.path, name=data.get("name", ""),
                                  id_number=(data.get("id_number") or "").upper())
        ctx = runner.start_request(actor, PROCESS, request, {"org_id": org.id}, subject_key="request_id")
    else:
        ctx = _load(request)
    _act(actor, ctx, "report" if report else "save", entry=True, data=data)
    return request


def _load(request: RealnameRequest) -> runner.Context:
    if request.instance_id is None:
        raise WorkflowError("该申请早于实名认证流程，不能在此办理")
    return runner.load(request.instance_id, process=PROCESS, subject=request)


def _act(actor, ctx: runner.Context, action: str, *, entry: bool, data: dict | None = None,
         opinion: str = "") -> None:
    # The entry task (录入并上报) or the review task (备案认证), whichever the action needs, must be ready.
    task = next((t for t in ctx.ready if t.is_review != entry), None)
    if task is None:
        raise Conflict()
    if entry:
        payload = {workflow.data_key(task): data}
    else:
        payload = {"decision": action, "opinion": opinion}
    runner.run(actor, ctx, action, task=task, data=payload,
               attachments=workflow.attachment_hashes(data) if entry else None)


def report_request(actor, request: RealnameRequest) -> None:
    """上报: the saved draft goes to the county organisation department (its 备案认证 task)."""
    if not can_act_as(actor, "branch_admin", request.org_path):
        raise NotAllowed("没有权限上报该申请")
    if request.status not in (DRAFT, REJECTED):
        raise Conflict()
    _act(actor, _load(request), "report", entry=True, data=dict(request.data, **{_PROOF: request.proof_scans}))


def confirm(actor, request: RealnameRequest):
    """备案认证: the request is 已认证 and the person's process starts with its step-1 data (to step 2)."""
    if not can_confirm(actor) or not can_act_as(actor, "county_admin", request.org_path):
        raise NotAllowed("备案认证须由县级组织部门办理")
    if request.status != PENDING:
        raise Conflict()
    _act(actor, _load(request), "approve", entry=False)
    return db.session.get(Person, request.person_id)


def reject(actor, request: RealnameRequest, reason: str) -> None:
    """不通过 with a reason; the branch sees it, corrects the request and may report it again."""
    if not can_confirm(actor) or not can_act_as(actor, "county_admin", request.org_path):
        raise NotAllowed("审核须由县级组织部门办理")
    if not (reason or "").strip():
        raise RuleViolation({"reason": "请填写不通过的原因"})
    if request.status != PENDING:
        raise Conflict()
    _act(actor, _load(request), "reject", entry=False, opinion=reason.strip()[:500])


@runner.projection(PROCESS)
def _project_request(change: runner.Change) -> None:
    """The request row and the inbox follow the request's instance; 备案认证 starts the person's process."""
    request, action, actor, now = change.ctx.subject, change.event["action"], change.actor, utcnow()
    data = change.event["data"]
    if action in ("save", "report"):
        values = data[workflow.data_key(change.task)]
        application = {k: v for k, v in values.items() if k != _PROOF}
        org = db.session.get(Organisation, int(application.get("org_id") or request.org_id))
        request.name, request.id_number = application.get("name", ""), (application.get("id_number") or "").upper()
        request.phone, request.org_id, request.org_path = application.get("phone", "") or "", org.id, org.path
        request.data, request.proof_scans = application, list(values.get(_PROOF) or [])
        if action == "report":
            request.status, request.reported_at = PENDING, now
    elif action in ("approve", "reject"):
        request.decided_by, request.decided_at = actor.id, now
        if action == "reject":
            request.status, request.reason = REJECTED, data.get("opinion", "")
        else:
            request.status = CONFIRMED
            person = workflow.start_application(actor, dict(request.data), "submit")
            request.person_id = person.id
            workflow.claim_attachments_for(actor, person.org_path, list(request.proof_scans or []))
    db.session.flush()
    if action in _OPERATIONS:
        log_operation(actor, _OPERATIONS[action], f"realname_request:{request.id}",
                      {"name": request.name, "person_id": request.person_id, "reason": request.reason})
    _project_inbox(change.ctx, request, now)


def _project_inbox(ctx: runner.Context, request: RealnameRequest, now) -> None:
    # The county's 备案认证 task, and the branch's entry task once refused (to correct and report again).
    rows = [{"person_id": None, "task_id": t.id, "task_name": t.name, "title": t.title, "role": workflow.task_role(t),
             "org_path": request.org_path, "person_name": request.name,
             "org_name": request.org.name if request.org else "", "arrived_at": now, "process": PROCESS,
             "subject_id": request.id, "status": "待审核" if t.is_review else "审核不通过"}
            for t in ctx.ready if t.is_review or request.status == REJECTED]
    inbox.replace_tasks(ctx.instance.id, rows)


__all__ = ["Conflict", "WorkflowError", "save", "report_request", "confirm", "reject", "search", "can_enter",
           "can_confirm", "request_page", "org_tree", "STATUSES"]


def request_page(user, *, page: int = 1, per_page: int = 20, **filters):
    """One page of ``search`` results."""
    return db.paginate(search(user, **filters), page=page, per_page=per_page, error_out=False)


def org_tree(user):
    """The left-hand organisation tree rows (the user's organisation and below)."""
    from app.orgs.services import subtree_rows
    return subtree_rows(user.org, user)

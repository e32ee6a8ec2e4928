"""实名校验: branches enter and 上报 requests, county organisation departments 备案认证 or reject them.

Nothing here commits; the caller commits once per request. 备案认证 starts the person's development
process through ``workflow.services.start_application`` with the stored step-1 data, completing step 1.
"""
import sqlalchemy as sa

from app.auth.roles import admin_rank
from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import Organisation
from app.realname.models import CONFIRMED, DRAFT, PENDING, REJECTED, STATUSES, RealnameRequest
from app.scope import can_act_as, path_prefix, select_in_scope
from app.timeutil import utcnow
from app.workflow import services as workflow
from app.workflow.services import Conflict, NotAllowed, RuleViolation, WorkflowError

_PROOF = "proof_scans"


def can_enter(user) -> bool:
    """Branch admins (and admins above, acting for a branch) enter requests."""
    return admin_rank(getattr(user, "role", "")) >= 0


def can_confirm(user) -> bool:
    """备案认证 is for the county organisation department and above."""
    return admin_rank(getattr(user, "role", "")) >= admin_rank("county_admin")


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
        stmt = stmt.where(RealnameRequest.id_number.contains(id_number.strip().upper(), autoescape=True))
    if phone.strip():
        stmt = stmt.where(RealnameRequest.phone.contains(phone.strip(), autoescape=True))
    if org_name.strip():
        stmt = stmt.join(Organisation, Organisation.id == RealnameRequest.org_id).where(
            Organisation.name.contains(org_name.strip(), autoescape=True))
    return stmt


def _check_new(actor, data: dict, request_id: int | None) -> Organisation:
    org = db.session.get(Organisation, int(data.get("org_id") or 0))
    if org is None or not can_act_as(actor, "branch_admin", org.path):
        raise RuleViolation({"org_id": "请选择管理范围内的党支部"})
    if org.level != "branch":
        raise RuleViolation({"org_id": "接受申请党组织须选定到党支部"})
    clash = sa.select(RealnameRequest.id).where(
        RealnameRequest.id_number == (data.get("id_number") or "").upper(),
        RealnameRequest.status.in_((DRAFT, PENDING)))
    if request_id is not None:
        clash = clash.where(RealnameRequest.id != request_id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise RuleViolation({"id_number": "该公民身份证号码已有未完成的实名认证申请"})
    return org


def save(actor, data: dict, request: RealnameRequest | None = None, *, report: bool = False) -> RealnameRequest:
    """保存 (and with ``report`` 上报) a request from the validated form data; only drafts may change."""
    if not can_enter(actor):
        raise NotAllowed("没有权限录入实名认证申请")
    if request is not None and request.status != DRAFT:
        raise Conflict("该申请已上报，不能修改")
    org = _check_new(actor, data, request.id if request else None)
    workflow.claim_attachments_for(actor, org.path, workflow.attachment_hashes(data))
    application = {k: v for k, v in data.items() if k != _PROOF}
    if request is None:
        request = RealnameRequest(created_by=actor.id, created_at=utcnow())
        db.session.add(request)
    request.name, request.id_number = application.get("name", ""), (application.get("id_number") or "").upper()
    request.phone, request.org_id, request.org_path = application.get("phone", "") or "", org.id, org.path
    request.data, request.proof_scans = application, list(data.get(_PROOF) or [])
    db.session.flush()
    log_operation(actor, "realname.save", f"realname_request:{request.id}", {"name": request.name})
    if report:
        report_request(actor, request)
    return request


def report_request(actor, request: RealnameRequest) -> None:
    """上报: the draft goes to the county organisation department's list."""
    if not can_act_as(actor, "branch_admin", request.org_path):
        raise NotAllowed("没有权限上报该申请")
    _move(request, DRAFT, PENDING, reported_at=utcnow())
    log_operation(actor, "realname.report", f"realname_request:{request.id}", {"name": request.name})


def _move(request: RealnameRequest, old: str, new: str, **values) -> None:
    # A conditional UPDATE: of two admins acting on the same request at once, exactly one wins.
    result = db.session.execute(sa.update(RealnameRequest).where(
        RealnameRequest.id == request.id, RealnameRequest.status == old).values(status=new, **values))
    if result.rowcount != 1:
        db.session.refresh(request)
        raise Conflict("该申请已被他人处理，请刷新后查看最新状态")
    db.session.refresh(request)


def confirm(actor, request: RealnameRequest):
    """备案认证: mark the request 已认证 and start the person's process with its step-1 data (to step 2)."""
    if not can_confirm(actor) or not can_act_as(actor, "county_admin", request.org_path):
        raise NotAllowed("备案认证须由县级组织部门办理")
    _move(request, PENDING, CONFIRMED, decided_by=actor.id, decided_at=utcnow())
    person = workflow.start_application(actor, dict(request.data), "submit")
    request.person_id = person.id
    workflow.claim_attachments_for(actor, person.org_path, list(request.proof_scans or []))
    log_operation(actor, "realname.confirm", f"realname_request:{request.id}",
                  {"name": request.name, "person_id": person.id})
    return person


def reject(actor, request: RealnameRequest, reason: str) -> None:
    """不通过 with a reason; the branch sees the reason on the request."""
    if not can_confirm(actor) or not can_act_as(actor, "county_admin", request.org_path):
        raise NotAllowed("审核须由县级组织部门办理")
    if not (reason or "").strip():
        raise RuleViolation({"reason": "请填写不通过的原因"})
    _move(request, PENDING, REJECTED, decided_by=actor.id, decided_at=utcnow(), reason=reason.strip()[:500])
    log_operation(actor, "realname.reject", f"realname_request:{request.id}", {"reason": reason.strip()})


__all__ = ["WorkflowError", "save", "report_request", "confirm", "reject", "search", "can_enter",
           "can_confirm", "request_page", "org_tree", "STATUSES"]


def request_page(user, *, page: int = 1, per_page: int = 20, **filters):
    """One page of ``search`` results."""
    return db.paginate(search(user, **filters), page=page, per_page=per_page, error_out=False)


def org_tree(user):
    """The left-hand organisation tree rows (the user's organisation and below)."""
    from app.orgs.services import subtree_rows
    return subtree_rows(user.org, user)

"""暂停发展-出国(境) and 归国恢复 (manual §2.11.3).

暂停发展 is a ``suspend`` event of the person's development instance: the engine state stays at the step
where the person stood (with all data), the instance and the person become ``suspended``, and the
development projection drops their 待办 rows. The ``suspension`` row is that event's projection.

【归国恢复申请】 starts bpmn/resume.bpmn in its own instance (start = the branch's opinion): 基层党委审核, then
县级审核, each 通过/不通过 with a required opinion, each waiting in the right admin's 待办事项. 不通过 at either
level ends the request and leaves the person suspended (the branch may apply again); the county's 通过
runs a ``resume`` event on the person's development instance, which returns them to the same step. Every
action is an event in one of the two instances' chains, so replay and verification cover both. Nothing here
commits; the request commits once.
"""
from datetime import date

import sqlalchemy as sa

from app.access.policy import allows
from app.events.services import log_operation
from app.extensions import db
from app.inbox import services as inbox
from app.orgs.models import Organisation
from app.paging import CallablePage
from app.people.models import Person
from app.scope import can_act_as, get_in_scope, path_prefix, select_in_scope
from app.suspensions.models import ResumeRequest, Suspension
from app.timeutil import utcnow
from app.transfers.models import Transfer
from app.vocab.actions import Action
from app.vocab.operations import Operation
from app.vocab.statuses import RESUME, SUSPENSION, ResumeStatus, SuspensionStatus
from app.workflow import runner
from app.workflow import services as workflow
from app.workflow.errors import Conflict, NotAllowed, RuleViolation, WorkflowError
from app.workflow.models import ProcessInstance
from app.workflow.versions import DEVELOPMENT

PROCESS = "resume"
# The role of each review task's lane → (the request status it reviews, operation names of its outcomes).
_LEVELS = {
    "committee_admin": (ResumeStatus.COMMITTEE, {"approve": Operation.SUSPENSION_COMMITTEE_APPROVE,
                                                 "reject": Operation.SUSPENSION_COMMITTEE_REJECT}),
    "county_admin": (ResumeStatus.COUNTY, {"approve": Operation.SUSPENSION_COUNTY_APPROVE,
                                           "reject": Operation.SUSPENSION_COUNTY_REJECT}),
}


def can_suspend(actor, person: Person) -> bool:
    """暂停发展 is for the person's branch admin (or an admin above it) while the person is in development."""
    return (person.status == "active" and allows(actor, "suspensions", "act")
            and can_act_as(actor, "branch_admin", person.org_path))


def _parse_day(value, field: str, label: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[field] = f"请填写{label}（格式：年-月-日）"
        return None


def suspend(actor, person: Person, *, reason: str, destination: str = "", expected_from="", expected_to="",
            attachments: list[str] | None = None) -> Suspension:
    """暂停发展-出国(境): check the input, then a ``suspend`` event pauses the person's instance where it stands."""
    if person.status != "active":
        raise Conflict("该人员不在发展流程中，不能暂停发展")
    if not can_suspend(actor, person):
        raise NotAllowed("没有权限暂停发展该人员")
    errors = {}
    reason, destination = (reason or "").strip(), (destination or "").strip()
    if not reason:
        errors["reason"] = "请填写暂停发展原因"
    elif len(reason) > 500:
        errors["reason"] = "暂停发展原因不能超过500个字"
    if len(destination) > 100:
        errors["destination"] = "前往国家（地区）不能超过100个字"
    start = _parse_day(expected_from, "expected_from", "预计出国(境)日期", errors)
    end = _parse_day(expected_to, "expected_to", "预计归国日期", errors)
    if start and not date(1900, 1, 1) <= start <= date(2100, 12, 31):
        errors["expected_from"] = "日期须在1900年至2100年之间"
    if end and not date(1900, 1, 1) <= end <= date(2100, 12, 31):
        errors["expected_to"] = "日期须在1900年至2100年之间"
    if start and end and end < start and "expected_to" not in errors:
        errors["expected_to"] = "预计归国日期不能早于预计出国(境)日期"
    if errors:
        raise RuleViolation(errors)
    if db.session.scalar(sa.select(Transfer.id).where(Transfer.pending_person_id == person.id)) is not None:
        raise RuleViolation({"reason": "该人员有申请中的接续培养，请待转出党组织审核后再暂停发展"})
    hashes = sorted(set(attachments or []))
    workflow.claim_attachments_for(actor, person.org_path, hashes)
    ctx = workflow.load(person)
    runner.run(actor, ctx, Action.SUSPEND, attachments=hashes, data={
        "reason": reason, "destination": destination, "expected_from": start.isoformat(),
        "expected_to": end.isoformat()})
    return db.session.scalar(sa.select(Suspension).where(Suspension.person_id == person.id)
                             .order_by(Suspension.id.desc()).limit(1))


@runner.projection(DEVELOPMENT)
def _project_suspend(change: runner.Change) -> None:
    """The suspension row is the projection of the development instance's ``suspend`` event."""
    if change.event["action"] != Action.SUSPEND:
        return
    person, data = change.ctx.person, change.event["data"]
    row = Suspension(person_id=person.id, instance_id=change.ctx.instance.id, suspend_seq=change.event["seq"],
                     person_name=person.name, org_id=person.org_id, org_path=person.org_path,
                     reason=data["reason"], destination=data.get("destination", ""),
                     expected_from=date.fromisoformat(data["expected_from"]),
                     expected_to=date.fromisoformat(data["expected_to"]),
                     attachments=list(change.event["attachments"]), status=SuspensionStatus.SUSPENDED,
                     suspended_by=change.actor.id, suspended_at=utcnow())
    db.session.add(row)
    db.session.flush()
    log_operation(change.actor, Operation.SUSPENSION_SUSPEND, f"suspension:{row.id}",
                  {"person_id": person.id, "reason": row.reason})


def get_suspension(actor, suspension_id) -> Suspension:
    """A suspension in the actor's scope, or 404."""
    return get_in_scope(Suspension, suspension_id, actor)


def get_request(actor, request_id) -> ResumeRequest:
    """A 归国恢复申请 in the actor's scope, or 404."""
    return get_in_scope(ResumeRequest, request_id, actor)


def can_apply(actor, suspension: Suspension) -> bool:
    """【归国恢复申请】: the branch admin (or an admin above) of a person suspended with no request under review."""
    return (suspension.status == SuspensionStatus.SUSPENDED and allows(actor, "suspensions", "act")
            and can_act_as(actor, "branch_admin", suspension.org_path))


def apply_resume(actor, suspension: Suspension, opinion: str) -> ResumeRequest:
    """归国恢复申请 with the branch's opinion: starts a resume.bpmn instance, waiting for 基层党委审核."""
    opinion = (opinion or "").strip()
    if suspension.status != SuspensionStatus.SUSPENDED:
        raise Conflict("该人员已有审核中的归国恢复申请或已恢复发展")
    if not can_apply(actor, suspension):
        raise NotAllowed("没有权限发起归国恢复申请")
    if not opinion:
        raise RuleViolation({"opinion": "请填写支部意见"})
    if len(opinion) > 500:
        raise RuleViolation({"opinion": "支部意见不能超过500个字"})
    request = ResumeRequest(suspension_id=suspension.id, pending_suspension_id=suspension.id,
                            person_id=suspension.person_id, person_name=suspension.person_name, org_path=suspension.org_path,
                            status=ResumeStatus.COMMITTEE, opinion=opinion, reported_by=actor.id,
                            reported_at=utcnow())
    runner.start_request(actor, PROCESS, request, {"suspension_id": suspension.id,
                                                   "person_id": suspension.person_id, "opinion": opinion})
    return request


def review_task(request: ResumeRequest):
    """(context, ready review task, its lane's role) of a request, or (None, None, None) once decided."""
    if request.status not in (ResumeStatus.COMMITTEE, ResumeStatus.COUNTY):
        return None, None, None
    ctx = runner.load(request.instance_id, process=PROCESS, subject=request)
    task = next((t for t in ctx.ready if t.is_review), None)
    return ctx, task, workflow.task_role(task) if task else None


def can_review(actor, request: ResumeRequest) -> bool:
    """基层党委审核 by the committee (or above), 县级审核 by the county (or above), never both by one account."""
    if request.status not in (ResumeStatus.COMMITTEE, ResumeStatus.COUNTY) or \
            not allows(actor, "suspensions", "review"):
        return False
    role = "committee_admin" if request.status == ResumeStatus.COMMITTEE else "county_admin"
    return can_act_as(actor, role, request.org_path) and not (
        request.status == ResumeStatus.COUNTY and request.committee_by == actor.id)


def decide(actor, request: ResumeRequest, decision: str, opinion: str, *,
           expected_version: int | None = None) -> ResumeRequest:
    """审核 通过 or 不通过 (opinion required) of the review task the request waits at."""
    if decision not in ("approve", "reject"):
        raise WorkflowError("未知的审核结果")
    opinion = (opinion or "").strip()
    if request.status not in (ResumeStatus.COMMITTEE, ResumeStatus.COUNTY):
        raise Conflict()
    if not can_review(actor, request):
        twice = request.status == ResumeStatus.COUNTY and request.committee_by == actor.id
        raise NotAllowed("同一账号不能既作基层党委审核又作县级审核" if twice else "没有权限审核该归国恢复申请")
    if not opinion:
        raise RuleViolation({"opinion": "请填写审核意见"})
    if len(opinion) > 500:
        raise RuleViolation({"opinion": "审核意见不能超过500个字"})
    ctx, task, role = review_task(request)
    if task is None or _LEVELS[role][0] != request.status:
        raise Conflict()
    runner.run(actor, ctx, decision, task=task, data={"decision": decision, "opinion": opinion},
               expected_version=expected_version)
    return request


def instance_version(request: ResumeRequest) -> int:
    """The version of the request's instance (what a review form carries, to detect a lost race)."""
    return db.session.scalar(sa.select(ProcessInstance.version).where(ProcessInstance.id == request.instance_id))


@runner.projection(PROCESS)
def _project_request(change: runner.Change) -> None:
    """The request and suspension rows follow the request's instance; the county's 通过 resumes the person."""
    request, action, actor, now = change.ctx.subject, change.event["action"], change.actor, utcnow()
    suspension = db.session.get(Suspension, request.suspension_id)
    if action == Action.START:
        SUSPENSION.move(suspension, Operation.SUSPENSION_RESUME_APPLY)
        suspension.latest_request_id = request.id
        log_operation(actor, Operation.SUSPENSION_RESUME_APPLY, f"resume_request:{request.id}",
                      {"person_id": request.person_id, "suspension_id": suspension.id, "opinion": request.opinion})
    elif action in ("approve", "reject"):
        role = workflow.task_role(change.task)
        operation = _LEVELS[role][1][action]
        opinion = change.event["data"].get("opinion", "")
        if role == "committee_admin":
            request.committee_decision, request.committee_opinion = action, opinion
            request.committee_by, request.committee_at = actor.id, now
        else:
            request.county_decision, request.county_opinion = action, opinion
            request.county_by, request.county_at = actor.id, now
        RESUME.move(request, operation)
        if request.status != ResumeStatus.COUNTY:  # decided: no longer pending
            request.pending_suspension_id = None
        db.session.flush()
        if action == "reject":
            SUSPENSION.move(suspension, operation)
        elif request.status == ResumeStatus.RESUMED:
            _resume_person(actor, request, suspension, opinion)
        log_operation(actor, operation, f"resume_request:{request.id}",
                      {"person_id": request.person_id, "suspension_id": suspension.id, "opinion": opinion})
    _project_inbox(change.ctx, request, now)


def _resume_person(actor, request: ResumeRequest, suspension: Suspension, opinion: str) -> None:
    # The person's own instance records the return (its lock orders it against anything else on it); its
    # projection makes the person active again and puts their ready tasks back in the 待办事项.
    person = db.session.get(Person, request.person_id)
    if person.status != "suspended" or person.instance_id != suspension.instance_id:
        raise WorkflowError("该人员已不处于暂停发展状态")
    workflow.run_on_person(actor, person, Action.RESUME, {
        "suspension_id": suspension.id, "request_id": request.id, "reason": request.opinion,
        "opinion": opinion})
    SUSPENSION.move(suspension, Action.RESUME)
    suspension.resumed_at = utcnow()


def _project_inbox(ctx: runner.Context, request: ResumeRequest, now) -> None:
    inbox.replace_request_tasks(ctx, process=PROCESS, subject_id=request.id, title="归国恢复",
                                org_path=request.org_path, person_name=request.person_name,
                                role_of=workflow.task_role, now=now)


# ---- read side -----------------------------------------------------------------------------------

def suspension_page(actor, *, name: str = "", org: Organisation | None = None, page: int = 1,
                    per_page: int = 20) -> CallablePage:
    """One page of the 历史库 → 暂停发展 list (newest first) with each row's latest 归国恢复申请."""
    base = select_in_scope(Suspension, actor)
    if name.strip():
        base = base.where(Suspension.person_name.contains(name.strip(), autoescape=True))
    if org is not None:
        base = base.where(path_prefix(Suspension.org_path, org.path))

    def items(offset: int, limit: int) -> list[tuple[Suspension, ResumeRequest | None]]:
        rows = list(db.session.scalars(base.order_by(Suspension.suspended_at.desc(), Suspension.id.desc())
                                       .offset(offset).limit(limit)))
        ids = [s.latest_request_id for s in rows if s.latest_request_id]
        latest = {r.id: r for r in db.session.scalars(sa.select(ResumeRequest).where(ResumeRequest.id.in_(ids)))} \
            if ids else {}
        return [(s, latest.get(s.latest_request_id)) for s in rows]

    def total() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))

    return CallablePage(page=page, per_page=per_page, items=items, total=total)


def requests_of(suspension: Suspension) -> list[ResumeRequest]:
    """Every 归国恢复申请 of a suspension, oldest first."""
    return list(db.session.scalars(sa.select(ResumeRequest).where(ResumeRequest.suspension_id == suspension.id)
                                   .order_by(ResumeRequest.id)))


def resume_status_label(request: ResumeRequest | None) -> str:
    """The 恢复发展状态 column: 未申请, or where the latest request stands."""
    return ResumeStatus.label_of(request.status) if request is not None else "未申请"

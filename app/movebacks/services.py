"""调整 (manual §2.3 (7)) into a stage R32 has sealed: the branch's 调整申请, decided by the county.

A 调整 whose target stage is open happens at once (``workflow.services.move_back``), and so does a county
admin's 调整 into a sealed stage (a correction with reason and file). A branch (or committee) admin asking for
a sealed stage files a 调整申请 instead: bpmn/moveback.bpmn in its own instance (start = the request with its
reason and 依据材料, one 县级审核 task in the county's 待办事项). 通过 runs the ``move_back`` on the person's
development instance as the county, marked ``sealed`` and naming the request; 不通过 (opinion required) leaves
the person where they are and the branch sees the opinion. One pending request per person (a unique column).

While a request waits the person's other actions stay possible; the request records the version of the
person's process it was filed against. When that process leaves the state the request was made in (its status
or its ready tasks change, or the person moves to another branch or diagram version), the request lapses in
the same transaction: a ``lapse`` event of the request's instance through the runner (已失效, with the reason),
and its county task leaves the inbox. An action that keeps the state (保存, 修改人员信息, 更正) only advances the
recorded version. Both decisions first lock the person's process, the order every development action takes
(person, then request), so a decision racing a lapse on PostgreSQL is a 409, never a deadlock. Nothing here
commits; the request commits once.
"""
import sqlalchemy as sa

from app.access.policy import allows
from app.events.models import Event
from app.events.services import log_operation
from app.extensions import db
from app.inbox import services as inbox
from app.movebacks.models import MoveBackRequest
from app.people.models import Person
from app.scope import can_act_as, get_in_scope
from app.timeutil import utcnow
from app.vocab.actions import Action
from app.vocab.operations import Operation
from app.vocab.statuses import MOVEBACK, InstanceStatus, MoveBackStatus
from app.workflow import runner
from app.workflow import services as workflow
from app.workflow.errors import Conflict, NotAllowed, RuleViolation, WorkflowError
from app.workflow.models import ProcessInstance
from app.workflow.versions import DEVELOPMENT

PROCESS = "moveback"
DECIDER_ROLE = "county_admin"
_OPERATIONS = {"approve": Operation.MOVE_BACK_APPROVE, "reject": Operation.MOVE_BACK_REJECT,
               Action.LAPSE: Operation.MOVE_BACK_LAPSE}
# Development actions that leave the ready tasks as they were but move the person to another branch or the
# instance to another diagram version: the request was asked of the old ones.
_MOVING_ACTIONS = (Action.TRANSFER, Action.MIGRATE)
PENDING_MESSAGE = "该人员已有调整申请待县级审核，请勿重复提交"
MOVED_ON_MESSAGE = "该人员的流程已变化，不能按该申请调整；请审核不通过，由党支部按当前情况重新申请"


class NotNow(WorkflowError):
    """A request that cannot be taken in the state the record is in (409 with its own message)."""
    status = 409


def adjust(actor, ctx: runner.Context, target: str, reason: str, attachments=()) -> MoveBackRequest | None:
    """调整: at once when the target stage is open (or the actor may correct sealed data); else a 调整申请
    for the county, returned (the person does not move yet)."""
    if not workflow.move_back_needs_request(actor, ctx, target):
        if pending_request(ctx.person) is not None:
            raise NotNow(PENDING_MESSAGE)
        workflow.move_back(actor, ctx, target, reason, attachments)
        return None
    return request_move_back(actor, ctx, target, reason, attachments)


def request_move_back(actor, ctx: runner.Context, target: str, reason: str, attachments=()) -> MoveBackRequest:
    """File a 调整申请 into a sealed stage (reason and 依据材料 required): a moveback.bpmn instance waiting for
    县级审核."""
    person, reason, hashes = ctx.person, (reason or "").strip(), sorted(set(attachments or []))
    problems = workflow.sealed_move_back_problems(reason, hashes)
    if len(reason) > 500:
        problems["reason"] = "调整原因不能超过500个字"
    if problems:
        raise RuleViolation(problems, rule="R32")
    if pending_request(person) is not None:
        raise NotNow(PENDING_MESSAGE)
    workflow.claim_attachments_for(actor, person.org_path, hashes)
    request = MoveBackRequest(person_id=person.id, pending_person_id=person.id,
                              seen_version=ctx.instance.version, person_name=person.name,
                              org_path=person.org_path, target=target, reason=reason, attachments=hashes,
                              status=MoveBackStatus.PENDING, requested_by=actor.id, requested_at=utcnow())
    person.move_back_pending = True
    runner.start_request(actor, PROCESS, request, {"person_id": person.id, "target": target, "reason": reason,
                                                   "attachments": hashes})
    return request


def pending_request(person: Person) -> MoveBackRequest | None:
    """The person's 调整申请 waiting for the county, if any."""
    return db.session.scalar(sa.select(MoveBackRequest).where(MoveBackRequest.pending_person_id == person.id))


# Read by every person page: built once (no statement and cache key per call).
_LATEST = (sa.select(MoveBackRequest).where(MoveBackRequest.person_id == sa.bindparam("person_id"))
           .order_by(MoveBackRequest.id.desc()).limit(1))


def latest_request(person: Person) -> MoveBackRequest | None:
    """The person's newest 调整申请 (pending or decided), for the person page."""
    return db.session.scalar(_LATEST, {"person_id": person.id})


def get_request(actor, request_id) -> MoveBackRequest:
    """A 调整申请 in the actor's scope, or 404."""
    return get_in_scope(MoveBackRequest, request_id, actor)


def can_decide(actor, request: MoveBackRequest) -> bool:
    """县级审核 of a pending request: a county admin (or above) over the person's branch."""
    return (request.status == MoveBackStatus.PENDING and allows(actor, "movebacks", "decide")
            and can_act_as(actor, DECIDER_ROLE, request.org_path))


def instance_version(request: MoveBackRequest) -> int:
    """The version of the request's instance (what a review form carries, to detect a lost race)."""
    return db.session.scalar(sa.select(ProcessInstance.version).where(ProcessInstance.id == request.instance_id))


def decide(actor, request: MoveBackRequest, decision: str, opinion: str, *,
           expected_version: int | None = None) -> MoveBackRequest:
    """县级审核: 通过 moves the person back now; 不通过 (opinion required) leaves them where they are."""
    if decision not in ("approve", "reject"):
        raise WorkflowError("未知的审核结果")
    opinion = (opinion or "").strip()
    if request.status != MoveBackStatus.PENDING:
        raise Conflict()
    if not can_decide(actor, request):
        raise NotAllowed("没有权限审核该调整申请")
    if decision == "reject" and not opinion:
        raise RuleViolation({"opinion": "审核不通过须填写审核意见"})
    if len(opinion) > 500:
        raise RuleViolation({"opinion": "审核意见不能超过500个字"})
    if decision == "approve" and _lock_person(request) != request.seen_version:
        raise NotNow(MOVED_ON_MESSAGE)
    if decision == "reject":
        _lock_person(request)
    ctx = runner.load(request.instance_id, process=PROCESS, subject=request)
    task = next((t for t in ctx.ready if t.is_review), None)
    if task is None:
        raise Conflict()
    runner.run(actor, ctx, decision, task=task, data={"decision": decision, "opinion": opinion},
               expected_version=expected_version)
    return request


def _lock_person(request: MoveBackRequest) -> int:
    # The person's process first, as every development action (and its lapse of this request) takes them:
    # on PostgreSQL the two orders would deadlock. Returns the version it was locked at.
    person = db.session.get(Person, request.person_id)
    instance = db.session.get(ProcessInstance, person.instance_id)
    db.session.refresh(instance, ["version"])
    runner.lock(instance, instance.version)
    return instance.version


@runner.projection(DEVELOPMENT)
def _follow_person(change: runner.Change) -> None:
    """A pending request lapses when the person's process leaves the state it was asked in, in the same
    transaction; an action that keeps that state moves the version the request stands on."""
    person = change.ctx.person
    if change.created or not person.move_back_pending:  # nothing waits (a new instance: 添加, 数据导入)
        return
    request = pending_request(person)
    if request is None:
        return
    # The request follows its person to a new branch (接续培养, the registry's 转接), as the inbox rows do: the
    # new branch, which now answers for the person, can open it and read why it lapsed.
    request.org_path = person.org_path
    reason = _lapse_reason(change)
    if reason is None:
        request.seen_version = change.ctx.instance.version
        return
    ctx = runner.load(request.instance_id, process=PROCESS, subject=request)
    task = next((t for t in ctx.ready if t.is_review), None)
    runner.run(change.actor, ctx, Action.LAPSE, task=task, data={"reason": reason})


def _lapse_reason(change: runner.Change) -> str | None:
    """Why the change ends a pending request (in words for the branch), or None when the person stays put."""
    status, action = change.ctx.instance.status, change.event["action"]
    outcome = change.event.get("outcome")
    if outcome:
        what = Action.label_of(outcome["action"])
    elif status != InstanceStatus.RUNNING:
        what = InstanceStatus.label_of(status)
    elif action in _MOVING_ACTIONS or _where(change.ready_before) != _where(change.ctx.ready):
        what = Action.label_of(action)
    else:
        return None
    return f"该人员的发展流程已变化（{what}），调整申请自动失效；如仍需调整，请按当前情况重新申请"


def _where(tasks) -> set:
    return {(t.name, t.pass_no) for t in tasks}


@runner.projection(PROCESS)
def _project_request(change: runner.Change) -> None:
    """The request row follows its instance; the county's 通过 moves the person back in the same transaction."""
    request, action, actor, now = change.ctx.subject, change.event["action"], change.actor, utcnow()
    if action == Action.START:
        log_operation(actor, Operation.MOVE_BACK_REQUEST, f"move_back_request:{request.id}",
                      {"person_id": request.person_id, "reason": request.reason})
    elif action in _OPERATIONS:
        operation = _OPERATIONS[action]
        data = change.event["data"]
        request.opinion = data.get("reason", "") if action == Action.LAPSE else data.get("opinion", "")
        request.decided_by, request.decided_at = actor.id, now
        MOVEBACK.move(request, operation)
        request.pending_person_id = None
        db.session.get(Person, request.person_id).move_back_pending = False
        db.session.flush()
        if action == "approve":
            _move_person(actor, request)
        log_operation(actor, operation, f"move_back_request:{request.id}",
                      {"person_id": request.person_id, "opinion": request.opinion})
    inbox.replace_request_tasks(change.ctx, process=PROCESS, subject_id=request.id, title="调整申请",
                                org_path=request.org_path, person_name=request.person_name,
                                role_of=workflow.task_role, now=now)


def _move_person(actor, request: MoveBackRequest) -> None:
    # The person's own instance records the move (its lock, at the version the branch saw, orders it against
    # anything else done to the person meanwhile: a step submitted since then makes this a 409).
    person = db.session.get(Person, request.person_id)
    ctx = workflow.load(person)
    workflow.move_back(actor, ctx, request.target, request.reason, request.attachments, request_id=request.id,
                       expected_version=request.seen_version)
    request.move_seq = db.session.scalar(sa.select(sa.func.max(Event.seq)).where(Event.instance_id == ctx.instance.id))

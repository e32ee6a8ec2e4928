"""接续培养 (manual §2.6): the receiving branch asks, the sending organisation approves.

Each transfer runs bpmn/transfer.bpmn in its own process instance (start = the request, one review task
for the sending side). Approval moves the person, their inbox rows and their files' visibility to the
receiving branch in the same transaction as the engine step, an ``approve`` event on the transfer's
instance, a ``transfer`` event in the person's development history and an operations-log row. Nothing
here commits; the request commits once.
"""
import sqlalchemy as sa
from flask import abort
from forms.validators import normalize_id_number

from app.events.services import log_operation
from app.extensions import db
from app.inbox import services as inbox
from app.orgs.models import Organisation
from app.paging import CallablePage
from app.people.models import Person
from app.scope import (can_act_as, get_by_path_in_scope, get_in_scope, org_in_scope, path_prefix, scope_path,
                       scoped)
from app.timeutil import utcnow
from app.transfers.models import DONE, PENDING, Transfer
from app.vocab.statuses import TRANSFER
from app.workflow import runner
from app.workflow import services as workflow
from app.workflow.services import Conflict, NotAllowed, RuleViolation, WorkflowError

PROCESS = "transfer"
# R20: only these categories can be transferred.
TRANSFERABLE = ("入党申请人", "入党积极分子")
TABS = {"in": "省内转入", "out": "省内转出"}


def _find_person(name: str, id_number: str) -> Person | None:
    # Deliberately province-wide: the receiving branch names a person outside its scope. Only the
    # caller's checks and the copied name / ID / organisation ever reach the page.
    return db.session.scalar(sa.select(Person).where(Person.id_number == id_number.strip().upper())
                             .order_by(Person.id).limit(1))


def receiving_branches(actor) -> list[Organisation]:
    """The 党支部 in the actor's scope that may receive a person (the actor can act as their admin)."""
    stmt = scoped(sa.select(Organisation), Organisation, actor).where(Organisation.level == "branch")
    return [o for o in db.session.scalars(stmt.order_by(Organisation.path))
            if can_act_as(actor, "branch_admin", o.path)]


def can_request(actor) -> bool:
    """发起接续培养 is for admins who may act for some branch in their scope."""
    return bool(receiving_branches(actor))


def request_transfer(actor, name: str, id_number: str, to_org_id) -> Transfer:
    """发起接续培养: check the person (name + ID, R20, no pending transfer) and start a transfer."""
    from app.orgs.services import lock_tree
    lock_tree(shared=True)  # the transfer copies paths; a concurrent move of the tree must wait
    name, id_number = (name or "").strip(), normalize_id_number(id_number or "")
    errors = {}
    if not name:
        errors["name"] = "请输入姓名"
    if not id_number:
        errors["id_number"] = "请输入公民身份证号"
    to_org = db.session.get(Organisation, int(to_org_id)) if str(to_org_id or "").isdigit() else None
    if to_org is None or not org_in_scope(to_org, actor) or not can_act_as(actor, "branch_admin", to_org.path):
        errors["to_org_id"] = "请选择管理范围内的党支部"
    elif to_org.level != "branch":
        errors["to_org_id"] = "接受党组织须选定到党支部"
    if errors:
        raise RuleViolation(errors)
    person = _find_person(name, id_number)
    if person is None or person.name != name:
        raise RuleViolation({"id_number": "未找到姓名与公民身份证号一致的人员"})
    if person.status != "active":
        raise RuleViolation({"id_number": "该人员不在发展流程中，不能接续培养"})
    if person.category not in TRANSFERABLE:
        raise RuleViolation({"id_number": f"该人员为{person.category}，只有入党申请人和入党积极分子可以接续培养"}, rule="R20")
    if person.org_id == to_org.id:
        raise RuleViolation({"to_org_id": "该人员已在所选党支部"})
    if _pending_for(person.id) is not None:
        raise RuleViolation({"id_number": "该人员已有申请中的接续培养，请等待转出党组织审核"})
    transfer = Transfer(person_id=person.id, pending_person_id=person.id, person_name=person.name, id_number=person.id_number,
                        from_org_id=person.org_id, from_org_path=person.org_path,
                        to_org_id=to_org.id, to_org_path=to_org.path, status=PENDING, requested_by=actor.id)
    runner.start_request(actor, PROCESS, transfer, {"person_id": person.id, "from_org_id": person.org_id,
                                                    "to_org_id": to_org.id},
                         conflict="该人员已有申请中的接续培养，请刷新后查看")
    log_operation(actor, "transfer.request", f"transfer:{transfer.id}",
                  {"person_id": person.id, "from_org_id": person.org_id, "to_org_id": to_org.id})
    return transfer


def _pending_for(person_id: int) -> Transfer | None:
    return db.session.scalar(sa.select(Transfer).where(Transfer.pending_person_id == person_id))


def get_transfer(actor, transfer_id) -> Transfer:
    """A transfer the actor's organisation receives or sends, or 404."""
    return get_in_scope(Transfer, transfer_id, actor)


def can_review(actor, transfer: Transfer) -> bool:
    """审核: the person's branch admin or an admin above it, while the request is pending."""
    return transfer.status == PENDING and can_act_as(actor, "branch_admin", transfer.from_org_path)


def decide(actor, transfer: Transfer, decision: str, opinion: str = "", *,
           expected_version: int | None = None) -> Transfer:
    """审核 通过 (approve: the person moves) or 不通过 (reject: the person stays; the opinion, which the
    receiving side sees, is required)."""
    if decision not in ("approve", "reject"):
        raise WorkflowError("未知的审核结果")
    opinion = (opinion or "").strip()
    if expected_version is not None and expected_version != transfer.version:
        raise Conflict()
    if transfer.status != PENDING:
        raise Conflict()
    if not can_act_as(actor, "branch_admin", transfer.from_org_path):
        raise NotAllowed("没有权限审核该接续培养申请")
    if decision == "reject" and not opinion:
        raise RuleViolation({"opinion": "审核不通过时请填写审核意见"})
    from app.orgs.services import lock_tree
    lock_tree(shared=True)
    ctx = runner.load(transfer.instance_id, process=PROCESS, subject=transfer)
    task = next((t for t in ctx.ready if t.is_review), None)
    if task is None:
        raise Conflict()
    runner.run(actor, ctx, decision, task=task, data={"decision": decision, "opinion": opinion})
    return transfer


def can_withdraw(actor, transfer: Transfer) -> bool:
    """撤回: the requesting (receiving) branch's admin or an admin above it, while the request is pending."""
    return transfer.status == PENDING and can_act_as(actor, "branch_admin", transfer.to_org_path)


def withdraw(actor, transfer: Transfer, *, expected_version: int | None = None) -> Transfer:
    """撤回申请: the pending review ends on the diagram's 已撤回 path; the person stays where they are."""
    if expected_version is not None and expected_version != transfer.version:
        raise Conflict()
    if transfer.status != PENDING:
        raise Conflict()
    if not can_withdraw(actor, transfer):
        raise NotAllowed("只有申请方可以撤回接续培养申请")
    ctx = runner.load(transfer.instance_id, process=PROCESS, subject=transfer)
    task = next((t for t in ctx.ready if t.is_review), None)
    if task is None:
        raise Conflict()
    runner.run(actor, ctx, "withdraw", task=task)
    return transfer


@runner.projection(PROCESS)
def _project_transfer(change: runner.Change) -> None:
    """The transfer row follows its instance; an approval moves the person (an event of their own process)."""
    transfer, action = change.ctx.subject, change.event["action"]
    _project_inbox(change.ctx, transfer)
    if action not in ("approve", "reject", "withdraw"):
        return
    TRANSFER.move(transfer, action)
    transfer.pending_person_id = None
    transfer.decided_by, transfer.decided_at = change.actor.id, utcnow()
    transfer.opinion = change.event["data"].get("opinion", "")
    if action == "approve":
        transfer.person_seq = _move_person(change.actor, transfer)
    log_operation(change.actor, f"transfer.{action}", f"transfer:{transfer.id}",
                  {"person_id": transfer.person_id, "from_org_id": transfer.from_org_id,
                   "to_org_id": transfer.to_org_id})


def _project_inbox(ctx: runner.Context, transfer: Transfer) -> None:
    # The review task waits in the sending branch's 待办事项 (its admins and the admins above them).
    rows = [{"person_id": None, "task_id": t.id, "task_name": t.name, "title": t.title,
             "role": workflow.task_role(t), "org_path": transfer.from_org_path, "person_name": transfer.person_name,
             "org_name": transfer.from_org.name if transfer.from_org else "", "arrived_at": utcnow(),
             "process": PROCESS, "subject_id": transfer.id, "status": "待审核"}
            for t in ctx.ready] if ctx.instance.status == "running" else []
    inbox.replace_tasks(ctx.instance.id, rows)


def _move_person(actor, transfer: Transfer) -> int:
    """The person's development process records the transfer; its projection moves the person row, inbox
    rows and file visibility to the receiving branch. Returns the seq of the ``transfer`` event."""
    person = db.session.get(Person, transfer.person_id)
    if person.org_id != transfer.from_org_id or person.status != "active" or \
            person.category not in TRANSFERABLE:
        raise WorkflowError("该人员的组织或类别已变化，不能完成接续培养")
    event = workflow.run_on_person(actor, person, "transfer", {
        "transfer_id": transfer.id, "from_org_id": transfer.from_org_id, "to_org_id": transfer.to_org_id})
    return event["seq"]


def record_registry_transfer(actor, person: Person, to_org: Organisation, registry_key: str) -> Transfer:
    """组织关系转接 from the member registry: decided there, so no request or review here. The person's own
    process records the ``transfer`` (the person row, inbox and files follow), and an approved transfer row
    without an instance of its own gives the sending branch its read-only record as of that event (历史库 →
    转出, ``sent_record``), exactly as after 接续培养."""
    transfer = Transfer(person_id=person.id, instance_id=None, person_name=person.name, id_number=person.id_number,
                        from_org_id=person.org_id, from_org_path=person.org_path, to_org_id=to_org.id,
                        to_org_path=to_org.path, status=DONE, requested_by=actor.id, decided_by=actor.id,
                        decided_at=utcnow(), opinion="党员信息管理系统组织关系转接")
    db.session.add(transfer)
    db.session.flush()
    event = workflow.run_on_person(actor, person, "transfer", {
        "transfer_id": transfer.id, "from_org_id": transfer.from_org_id, "to_org_id": to_org.id,
        "registry_key": registry_key})
    transfer.person_seq = event["seq"]
    return transfer


def transfer_page(actor, tab: str, *, name: str = "", id_number: str = "", to_org: str = "",
                  page: int = 1, per_page: int = 20) -> CallablePage:
    """One page of the 省内转入 (to the actor's scope) or 省内转出 (from it) list, newest first."""
    prefix = scope_path(actor)
    side = Transfer.to_org_path if tab == "in" else Transfer.from_org_path
    conditions = [path_prefix(side, prefix)]
    if name.strip():
        conditions.append(Transfer.person_name.contains(name.strip(), autoescape=True))
    if id_number.strip():
        conditions.append(Transfer.id_number == id_number.strip().upper())
    if to_org.strip():
        receiving = sa.select(Organisation.id).where(Organisation.name.contains(to_org.strip(), autoescape=True))
        conditions.append(Transfer.to_org_id.in_(receiving))
    base = scoped(sa.select(Transfer), Transfer, actor).where(*conditions)

    def items(offset: int, limit: int) -> list[Transfer]:
        return list(db.session.scalars(base.order_by(Transfer.requested_at.desc(), Transfer.id.desc())
                                       .offset(offset).limit(limit)))

    def total() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))

    return CallablePage(page=page, per_page=per_page, items=items, total=total)


def person_in_scope(actor, transfer: Transfer) -> bool:
    """May the actor open the person's own pages (only inside their scope; before approval the
    receiving side sees the copied name, ID and organisation alone)."""
    person_path = transfer.to_org_path if transfer.status == DONE else transfer.from_org_path
    return person_path.startswith(scope_path(actor)) and \
        db.session.scalar(sa.select(Person.org_path).where(Person.id == transfer.person_id)) \
        .startswith(scope_path(actor))


# ---- the sending side's read-only view (历史库 → 转出) -----------------------------------------------

def sent_page(actor, *, name: str = "", org: Organisation | None = None, page: int = 1,
              per_page: int = 20) -> CallablePage:
    """One page of 历史库 → 转出: approved transfers sent from the actor's scope, newest first."""
    base = sa.select(Transfer).where(Transfer.status == DONE, path_prefix(Transfer.from_org_path, scope_path(actor)))
    if name.strip():
        base = base.where(Transfer.person_name.contains(name.strip(), autoescape=True))
    if org is not None:
        base = base.where(path_prefix(Transfer.from_org_path, org.path))

    def items(offset: int, limit: int) -> list[Transfer]:
        return list(db.session.scalars(base.order_by(Transfer.decided_at.desc(), Transfer.id.desc())
                                       .offset(offset).limit(limit)))

    def total() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))

    return CallablePage(page=page, per_page=per_page, items=items, total=total)


def get_sent(actor, transfer_id) -> Transfer:
    """An approved transfer sent from the actor's scope (the sender's read-only grant), or 404."""
    transfer = get_by_path_in_scope(Transfer, transfer_id, actor, Transfer.from_org_path)
    if transfer.status != DONE or transfer.person_seq is None:
        abort(404)
    return transfer


def sent_record(actor, transfer: Transfer):
    """The person's record as it stood at the transfer: a replay of their instance up to the ``transfer``
    event (nothing written after it is read), with each step's data as read-only sections."""
    from app.audit import services as audit
    person = db.session.get(Person, transfer.person_id)
    view = audit.state_at(person, transfer.person_seq)
    # Later events exist in the log but are not the sender's to see.
    view.events = [e for e in view.events if e["seq"] <= transfer.person_seq]
    sections, files = audit.step_display(actor, person, view)
    return view, sections, files

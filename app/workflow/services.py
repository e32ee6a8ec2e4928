"""The development procedure as a service: start, act on tasks, cancel, restore, move back, amend.

Every action goes through the one runner (``app.workflow.runner.run``): this module checks the actor's
rights and the input, builds the action's data and lets the runner lock, apply, save and log it; the
person row, person_field, check_fact and human_task rows follow from the event in the projection
registered below. Nothing here commits, so any exception leaves the database as it was once the
request rolls back.
"""
import re
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value
from forms import default_data_key, feeds, get_form_class

from app.access import duties
from app.access.policy import allows
from app.attachments.services import grant_to_org
from app.deadlines.rules import due_for
from app.auth.roles import LANE_ROLES
from app.checks.models import CheckFact
from app.checks.projection import step_facts
from app.db_setup import PIPELINED, update_where
from app.events.models import Event
from app.extensions import db
from app.inbox import services as inbox
from app.inbox.models import HumanTask
from app.orgs.models import Organisation
from app.people.models import CATEGORIES, Person, PersonField
from app.people.fields import (imported_step_rows, insert_field_rows, mark_step_done, project_imported_steps,
                               project_step, reopen_step)
from app.people.projection import apply_step_data, mirror_step_data
from app.scope import by_id_in_scope, can_act_as, fetch_in_scope, org_in_scope
from app.timeutil import local_date, local_today, utcnow
from app.vocab.actions import ACTION_LABELS
from app.vocab.statuses import INSTANCE, PersonStatus
from app.workflow import engine, expressions, runner, seal
from app.workflow.errors import Conflict, NotAllowed, RuleViolation, WorkflowError
from app.workflow.handlers import ACTION_DATE
from app.workflow.models import ProcessInstance
from app.workflow.runner import Change, Context
from app.workflow.versions import DEVELOPMENT, active_version

__all__ = ["Conflict", "Context", "NotAllowed", "RuleViolation", "WorkflowError"]

EDIT_ACTIONS = ("save", "submit", "report")
REVIEW_ACTIONS = ("approve", "reject")
# The person's status for each instance status.
PERSON_STATUS = {"running": "active", "cancelled": "cancelled", "closed": "closed", "completed": "completed",
                 "suspended": "suspended", "disqualified": "disqualified"}
_HASH = re.compile(r"^[0-9a-f]{64}$")


def data_key(task: engine.TaskInfo) -> str:
    """Where an edit task's form data lives in the task data: the diagram's dataKey (or, for a version
    deployed before tasks declared one, the key its form names)."""
    return task.data_key or default_data_key(task.form_key)


def task_role(task: engine.TaskInfo) -> str:
    """The role that works on a task, from its lane."""
    return LANE_ROLES.get(task.lane, "branch_admin")


@dataclass(frozen=True)
class StepDef:
    """One step of a diagram version: its edit task and, for reviewed steps, its review task."""
    step: int
    stage: int
    name: str
    title: str
    form_key: str
    review_name: str = ""
    data_key: str = ""
    category: str = ""
    # Why a path of the diagram may pass this step by (the task's ``skipReason`` property, e.g. R03).
    skip_reason: str = ""

    @property
    def skipped_because(self) -> str:
        """What a skipped step shows (已跳过 with this reason)."""
        return self.skip_reason or "流程未经过此步骤"


def mark_skipped(statuses: list[str]) -> list[str]:
    """Step statuses in diagram order with ``future`` turned into ``skipped`` where a later step was reached:
    the path passed that step by (R03), it is not still to come."""
    result, later = list(statuses), False
    for i in range(len(result) - 1, -1, -1):
        if result[i] != "future":
            later = True
        elif later:
            result[i] = "skipped"
    return result


_CATALOGUE_CACHE: dict[int, list[StepDef]] = {}


def configure() -> None:
    """Empty the step catalogues (keyed by version id): a new app may be on another database (the tests), whose
    version ids name other diagrams. A deployed version's diagram never changes, so one app keeps them."""
    _CATALOGUE_CACHE.clear()


def step_catalogue(version_id: int) -> list[StepDef]:
    """The steps of a deployed version in order (read from the diagram, cached per version)."""
    if version_id not in _CATALOGUE_CACHE:
        from app.workflow.models import ProcessVersion
        version = db.session.get(ProcessVersion, version_id)
        specs = engine.user_task_specs(version.bpmn_xml, version.process_id)
        reviews = {props["reviewOf"]: name for name, _, _, props in specs if props.get("reviewOf")}
        steps = [StepDef(step=int(props.get("step") or 0), stage=int(props.get("stage") or 0), name=name,
                         title=title, form_key=props.get("formKey", name), review_name=reviews.get(name, ""),
                         data_key=props.get("dataKey") or default_data_key(props.get("formKey", name)),
                         category=props.get("category", ""), skip_reason=props.get("skipReason", ""))
                 for name, title, _, props in specs if not props.get("reviewOf")]
        _CATALOGUE_CACHE[version_id] = sorted(steps, key=lambda s: s.step)
    return _CATALOGUE_CACHE[version_id]


def step_def(version_id: int, step_no: int) -> StepDef | None:
    """The step numbered ``step_no`` in a version's diagram, or None."""
    return next((s for s in step_catalogue(version_id) if s.step == step_no), None)


def step_of(ctx: Context, task: engine.TaskInfo) -> StepDef | None:
    """The step a task belongs to (for a review task, the step it reviews)."""
    name = task.review_of or task.name
    return next((s for s in step_catalogue(ctx.instance.process_version_id) if s.name == name), None)


def reviewed_steps(ctx: Context) -> set[str]:
    """Names of edit tasks that are followed by a review (their action is 上报, not 提交)."""
    return {s.name for s in step_catalogue(ctx.instance.process_version_id) if s.review_name}


def allowed_actions(actor, ctx: Context, task: engine.TaskInfo) -> list[str]:
    """The actions ``actor`` may take on a ready task, in the order the page shows them.

    The one place that decides who may act on a task, separation of duties (who reported may not
    approve) included."""
    if ctx.instance.status != "running" or not can_act_as(actor, task_role(task), ctx.person.org_path):
        return []
    if task.is_review:
        return [] if duties.review_refusal(actor, ctx, task) else list(REVIEW_ACTIONS)
    return ["save", "report" if task.name in reviewed_steps(ctx) else "submit"]


# Person, instance and organisation (the pages and the inbox projection read its name) by one SELECT, with the
# instance's latest 上报 (separation of duties on a review page or action without a statement of its own).
_PERSON_IN_SCOPE = by_id_in_scope(Person, (ProcessInstance, ProcessInstance.id == Person.instance_id),
                                  (Organisation, Organisation.id == Person.org_id)
                                  ).add_columns(*duties.latest_report(Person.instance_id))
# The same without the engine state (25-30 KB), for a person whose workflow this worker holds: ``runner.load``
# reads the state only if the held workflow is not the row's (another worker or server acted meanwhile).
_PERSON_IN_SCOPE_HELD = _PERSON_IN_SCOPE.options(defer(ProcessInstance.state))


def load_in_scope(person_id, user) -> Context:
    """``load`` of a person within ``user``'s scope (else 404): the person, instance and organisation rows
    by one SELECT, without the engine state when this worker holds the person's workflow."""
    stmt = _PERSON_IN_SCOPE_HELD if runner.holds_person(person_id) else _PERSON_IN_SCOPE
    person, instance, org, report_task, reporter = fetch_in_scope(stmt, person_id, user)
    set_committed_value(person, "org", org)
    ctx = runner.load(person.instance_id, person=person, instance=instance)
    ctx.latest_report = (instance.version, report_task, reporter)
    return ctx


def load(person: Person) -> Context:
    """Load a person's instance and workflow (the person was already fetched within scope)."""
    return runner.load(person.instance_id, person=person)


def find_task(ctx: Context, task_id: str) -> engine.TaskInfo:
    """A ready task of this instance by engine id; Conflict if it is no longer ready."""
    for task in ctx.ready:
        if task.id == task_id:
            return task
    raise Conflict()


def id_number_taken(id_number: str, exclude_person_id: int | None = None) -> bool:
    """R18: is this ID number already held by a person in the system (cancelled ones included)?

    A record closed by 重新发展 no longer holds its number: the person may be entered anew."""
    stmt = sa.select(Person.id).where(Person.id_number == (id_number or "").upper(), Person.status != "closed")
    if exclude_person_id:
        stmt = stmt.where(Person.id != exclude_person_id)
    return db.session.scalar(stmt.limit(1)) is not None


_FIRST_FORM: dict[int, str] = {}


def application_form_key() -> str:
    """The form of the first task the active development diagram makes ready: what 添加 fills in."""
    version = active_version(DEVELOPMENT)
    if version.id not in _FIRST_FORM:
        first = next((t for t in engine.ready_tasks(engine.start(version.bpmn_xml, version.process_id))
                      if not t.is_review), None)
        if first is None:
            raise WorkflowError("流程定义开始后没有可填写的任务")
        _FIRST_FORM[version.id] = first.form_key
    return _FIRST_FORM[version.id]


def start_application(actor, data: dict, action: str = "submit") -> Person:
    """添加: a new applicant from step 1 data; ``action`` 'save' keeps step 1 open as a draft."""
    from app.orgs.services import lock_tree
    lock_tree(shared=True)  # the person copies the branch's path; a concurrent move must wait
    org = db.session.get(Organisation, int(data.get("org_id") or 0))
    if org is None or not org_in_scope(org, actor):
        raise RuleViolation({"org_id": "请选择管理范围内的党支部"})
    if org.level != "branch":
        raise RuleViolation({"org_id": "接受申请党组织须选定到党支部"}, rule="R19")
    if id_number_taken(data.get("id_number", "")):
        raise RuleViolation({"id_number": "该公民身份证号码已存在于系统中"}, rule="R18")
    if not can_act_as(actor, "branch_admin", org.path):
        raise NotAllowed("没有权限添加入党申请人")
    version = active_version(DEVELOPMENT)
    ctx = runner.open_instance(version, process=DEVELOPMENT)
    person = Person(name=data.get("name", ""), id_number=(data.get("id_number") or "").upper(),
                    org_id=org.id, org_path=org.path, org=org, instance_id=ctx.instance.id)
    db.session.add(person)
    db.session.flush()
    ctx.person = person
    runner.start(actor, ctx, version, {"person_id": person.id, "org_id": org.id})
    # The applicant's data goes to the first user task the diagram makes ready.
    first = next((t for t in ctx.ready if not t.is_review), None)
    if first is None:
        raise WorkflowError("流程定义开始后没有可填写的任务")
    _perform(actor, ctx, first, action, data, expected_version=None)
    return person


def act(actor, ctx: Context, task_id: str, action: str, data: dict | None = None, *,
        opinion: str = "", expected_version: int | None = None) -> list[engine.TaskInfo]:
    """保存 / 提交 / 上报 / 审核通过 / 审核不通过 on one ready task; returns the tasks now ready."""
    if expected_version is not None and expected_version != ctx.instance.version:
        raise Conflict()
    task = find_task(ctx, task_id)
    if refusal := duties.review_refusal(actor, ctx, task):
        raise NotAllowed(refusal)
    if action not in allowed_actions(actor, ctx, task):
        if not can_act_as(actor, task_role(task), ctx.person.org_path):
            raise NotAllowed("没有权限处理该任务")
        raise WorkflowError(f"该任务不能执行“{ACTION_LABELS.get(action, action)}”操作")
    if action == "reject" and not (opinion or "").strip():
        raise RuleViolation({"opinion": "审核不通过时请填写审核意见"})
    if action in EDIT_ACTIONS:
        # The task with its data as it stands before the action: the projection learns from it whether the
        # step has person_field rows to replace (none on a first visit).
        task = task if task.data else replace(task, data=engine.task_data(ctx.wf, task.id))
        # R32 holds for the procedure's own edits too (a task reopened in a sealed stage, identity fields).
        _, _, changed = _step_changes(ctx, task, data or {})
        if refusal := seal.refusal(ctx, step_catalogue(ctx.instance.process_version_id), step_of(ctx, task),
                                   changed):
            raise _sealed(refusal, changed)
    _perform(actor, ctx, task, action, data or {}, opinion=opinion, expected_version=expected_version)
    return ctx.ready


def _perform(actor, ctx: Context, task: engine.TaskInfo, action: str, data: dict, *, opinion: str = "",
             expected_version: int | None) -> None:
    if task.is_review:
        runner.run(actor, ctx, action, task=task, data={"decision": action, "opinion": opinion},
                   expected_version=expected_version)
        return
    hashes = _attachment_hashes(data)
    _require_visible(actor, hashes)
    event_data = {data_key(task): data}
    if action != "save":
        # The server's day of the action, recorded with the event: no date of the step may be after it
        # (R16), and a replay reads the same day from the log (handlers._submit).
        event_data[ACTION_DATE] = local_today().isoformat()
    runner.run(actor, ctx, action, task=task, data=event_data, attachments=hashes,
               expected_version=expected_version)


def _change_status(actor, ctx: Context, action: str, *, role: str, reason: str,
                   attachments: list[str], messages: tuple[str, str, str]) -> None:
    # 取消发展, 恢复发展 and 重新发展 differ only in who may and the wording; where each may start and where
    # it leads is declared once, in the instance's lifecycle (app/vocab/statuses.py), which the handler applies.
    wrong_status, not_allowed, no_reason = messages
    if ctx.instance.status not in INSTANCE.transitions[action][0]:  # where the lifecycle lets it start
        raise Conflict(wrong_status)
    if not can_act_as(actor, role, ctx.person.org_path):
        raise NotAllowed(not_allowed)
    if not (reason or "").strip():
        raise RuleViolation({"reason": no_reason})
    _require_visible(actor, attachments)
    runner.run(actor, ctx, action, data={"reason": reason.strip()}, attachments=attachments)


def cancel(actor, ctx: Context, reason: str, attachments: list[str]) -> None:
    """取消发展: stop the procedure; the person goes to the history library."""
    _change_status(actor, ctx, "cancel", role="branch_admin",
                   reason=reason, attachments=attachments,
                   messages=("该人员不在发展流程中", "没有权限取消发展", "请填写停止发展原因"))


def restore(actor, ctx: Context, reason: str, attachments: list[str]) -> None:
    """恢复发展 (county admins, manual §2.11.1): back to the state at cancellation."""
    _change_status(actor, ctx, "restore", role="county_admin",
                   reason=reason, attachments=attachments,
                   messages=("该人员未被取消发展", "恢复发展须由县级组织部门管理员操作", "请填写恢复发展原因"))


def redevelop(actor, ctx: Context, reason: str, attachments: list[str]) -> None:
    """重新发展 (county admins, manual §2.11.2): close a cancelled record for good.

    The record and its events stay (the 历史库 and auditors still see them) but nothing can act on it
    again, and its ID number is free for a new step-1 application (R18 ignores closed records)."""
    _change_status(actor, ctx, "redevelop", role="county_admin",
                   reason=reason, attachments=attachments,
                   messages=("只有已停止发展的人员可以重新发展", "重新发展须由县级组织部门管理员操作", "请填写重新发展原因"))


def step_task(ctx: Context, step_no: int) -> engine.TaskInfo | None:
    """The edit task of a step as it stands: ready (in progress) or else its last completed pass."""
    step = step_def(ctx.instance.process_version_id, step_no)
    if step is None:
        return None
    ready = next((t for t in ctx.ready if t.name == step.name), None)
    if ready is not None:
        return ready
    done = [t for t in ctx.completed if t.name == step.name]
    return done[-1] if done else None


def amend_refusal(actor, ctx: Context, step_no: int, changed=()) -> str:
    """Why ``actor`` may not change the ``changed`` fields of a step already reached ('' = may): the step's
    lane role (or an admin above it) may, unless R32 seals the step's stage or the record (``seal``)."""
    task = step_task(ctx, step_no)
    if task is None:
        return "尚未进行到此步骤"
    if not can_act_as(actor, task_role(task), ctx.person.org_path):
        return "没有权限修改该人员信息"
    return seal.refusal(ctx, step_catalogue(ctx.instance.process_version_id),
                        step_def(ctx.instance.process_version_id, step_no), changed)


def can_amend(actor, ctx: Context, step_no: int) -> bool:
    """人员信息 edits follow the procedure's rights and R32: see ``amend_refusal``."""
    return not amend_refusal(actor, ctx, step_no)


def can_correct(actor, ctx: Context, step_no: int) -> bool:
    """May ``actor`` correct this reached step's sealed values (a county admin or above, R32)?"""
    return step_task(ctx, step_no) is not None and seal.may_correct(actor, ctx)


def _sealed(message: str, changed) -> NotAllowed:
    # The message goes beside each sealed field the user changed (or is flashed when none is named).
    names = [name for name in changed if name in seal.IDENTITY_FIELDS] if message == seal.SEALED_IDENTITY else []
    return NotAllowed(message, {name: [message] for name in names})


def _step_changes(ctx: Context, task: engine.TaskInfo, changes: dict) -> tuple[str, dict, dict]:
    key = data_key(task)
    old = dict((task.data or engine.task_data(ctx.wf, task.id)).get(key) or {})
    return key, old, {name: value for name, value in changes.items() if old.get(name) != value}


def amend_step(actor, ctx: Context, step_no: int, changes: dict, *, expected_version: int | None) -> dict:
    """人员信息: change fields of a step already reached, in the process itself (one source of truth).

    The new values replace the step's data in its task and in every later task that inherited it, the
    person projections follow, and an ``amend`` event records the changed fields with their old values.
    ``changes`` must already be validated by the step's form. A sealed stage (R32) is refused with 403.
    Returns the step's new data.
    """
    if expected_version is not None and expected_version != ctx.instance.version:
        raise Conflict()
    task = step_task(ctx, step_no)
    if task is None:
        raise WorkflowError("尚未进行到此步骤")
    key, old, changed = _step_changes(ctx, task, changes)
    if refusal := amend_refusal(actor, ctx, step_no, changed):
        raise _sealed(refusal, changed)
    return _record_change(actor, ctx, task, "amend", key, old, changed, expected_version=expected_version)


def correct_step(actor, ctx: Context, step_no: int, changes: dict, *, reason: str, attachments: list[str],
                 expected_version: int | None) -> dict:
    """R32: a county admin corrects values of a sealed step, with a reason and at least one file.

    Recorded as a ``correct`` event (old and new values, the reason, the files), applied by the same
    handler table as every action, so the replay rebuilds it. Returns the step's new data."""
    if expected_version is not None and expected_version != ctx.instance.version:
        raise Conflict()
    task = step_task(ctx, step_no)
    if task is None:
        raise WorkflowError("尚未进行到此步骤")
    if not seal.may_correct(actor, ctx):
        raise NotAllowed("更正已封存的数据须由县级组织部门管理员办理")
    problems = {}
    if not (reason or "").strip():
        problems["correction_reason"] = "请填写更正原因"
    elif len(reason) > 500:
        problems["correction_reason"] = "更正原因不能超过500字"
    if not attachments:
        problems["correction_files"] = "请上传更正依据材料"
    if problems:
        raise RuleViolation(problems)
    _require_visible(actor, attachments)
    key, old, changed = _step_changes(ctx, task, changes)
    return _record_change(actor, ctx, task, "correct", key, old, changed, reason=reason.strip(),
                          attachments=attachments, expected_version=expected_version)


def _record_change(actor, ctx: Context, task, action: str, key: str, old: dict, changed: dict, *,
                   reason: str = "", attachments=(), expected_version: int | None) -> dict:
    if "id_number" in changed and id_number_taken(changed["id_number"], ctx.person.id):
        raise RuleViolation({"id_number": "该公民身份证号码已存在于系统中"}, rule="R18")
    if not changed:
        return old
    data = {key: changed, "before": {name: old.get(name) for name in changed}}
    if reason:
        data["reason"] = reason
    runner.run(actor, ctx, action, task=task, data=data, attachments=list(attachments),
               expected_version=expected_version)
    return {**old, **changed}


def _reopened_data(ctx: Context, task: engine.TaskInfo) -> dict:
    # The data the task a move back made ready again holds now (the engine's rewind decides what it keeps).
    reopened = next((t for t in ctx.ready if t.name == task.name), None)
    return engine.task_data(ctx.wf, reopened.id) if reopened is not None else {}


def _current_data(ctx: Context) -> dict:
    # Data flows forward from task to task: the ready task (or the last completed one) holds every step's.
    if ctx.wf is None and ctx.current is not None:
        return ctx.current  # recorded by runner.run_prepared from the handler's result, workflow not loaded
    latest = engine.ready_tasks(ctx.wf, with_data=True) or engine.completed_tasks(ctx.wf)[-1:]
    return latest[0].data if latest else {}


def reproject_fields(ctx: Context) -> int:
    """Rebuild a person's person_field rows from the engine state and the event log (for data that
    predates the projection, or to repair it). Returns how many steps' data were projected."""
    db.session.execute(sa.delete(PersonField).where(PersonField.person_id == ctx.person.id))
    catalogue = step_catalogue(ctx.instance.process_version_id)
    form_keys = {s.data_key: s.form_key for s in catalogue if s.data_key}
    projected = 0
    for key, value in sorted(_current_data(ctx).items()):
        if key in form_keys and isinstance(value, dict):
            project_step(ctx.person.id, key, form_keys[key], value)
            projected += 1
    # A step is done when its last completing event (submit, or approve of its review) is still in effect.
    completed = {t.name for t in engine.completed_tasks(ctx.wf)}
    finisher = {}
    for s in catalogue:
        finisher[s.review_name or s.name] = s
    for task_name, at in db.session.execute(
            sa.select(Event.task_name, Event.created_at).where(
                Event.instance_id == ctx.instance.id, Event.action.in_(("submit", "approve")))
            .order_by(Event.seq)):
        step = finisher.get(task_name)
        if step is not None and task_name in completed:
            mark_step_done(ctx.person.id, step.data_key, local_date(at))
    return projected


# 调整为入党申请人 and 调整为积极分子: who may be sent back (their category now) and to which category. The
# edit task reopened is the last one completed in the diagram's stage where the target category begins.
MOVE_BACK = {
    "applicant": {"from": ("入党积极分子",), "to": "入党申请人", "label": "调整为入党申请人"},
    "activist": {"from": ("发展对象", "预备党员"), "to": "入党积极分子", "label": "调整为积极分子"},
}


def _move_back_target(ctx: Context, category: str) -> engine.TaskInfo | None:
    catalogue = step_catalogue(ctx.instance.process_version_id)
    stage = next((s.stage for s in catalogue if s.category == category), None)
    candidates = [t for t in ctx.completed if t.stage == stage and not t.is_review]
    return candidates[-1] if candidates else None


def _check_move_back(actor, ctx: Context, target: str) -> tuple[dict, engine.TaskInfo]:
    # What any 调整 needs, whoever decides it: a known target, a running process in a category it leaves
    # from, a branch admin (or above) asking, and a task of the target stage to reopen.
    rule = MOVE_BACK.get(target)
    if rule is None:
        raise WorkflowError("未知的调整类型")
    if ctx.instance.status != "running" or ctx.person.category not in rule["from"]:
        raise Conflict(f"当前阶段不能{rule['label']}")
    if not can_act_as(actor, "branch_admin", ctx.person.org_path):
        raise NotAllowed("没有权限调整该人员")
    target_task = _move_back_target(ctx, rule["to"])
    if target_task is None:
        raise WorkflowError("没有可退回的步骤")
    return rule, target_task


def move_back_needs_request(actor, ctx: Context, target: str) -> bool:
    """Is this 调整 a request for the county (the target stage is sealed and ``actor`` may not correct it)?
    Refuses, as ``move_back`` would, a 调整 that does not fit the person or the actor at all."""
    _, target_task = _check_move_back(actor, ctx, target)
    return _reopens_sealed(ctx, target_task) and not seal.may_correct(actor, ctx)


def move_back(actor, ctx: Context, target: str, reason: str, attachments=(), *, request_id: int | None = None,
              expected_version: int | None = None) -> engine.TaskInfo:
    """Send a person back one category; the last edit task of the target category's stage is reopened.

    Within unsealed stages this is the branch's action (manual §2.3 (7)). Reopening a stage R32 has sealed
    changes sealed data, so it is a correction: a county admin (or above), with a reason and a file, either
    directly or by approving a branch's 调整申请 (``request_id``, app/movebacks)."""
    rule, target_task = _check_move_back(actor, ctx, target)
    reason = (reason or "").strip()
    data = {"target": target, "reason": reason}
    if _reopens_sealed(ctx, target_task):
        if not seal.may_correct(actor, ctx):
            raise NotAllowed(seal.SEALED_MOVE_BACK, rule="R32")
        problems = sealed_move_back_problems(reason, attachments)
        if problems:
            raise RuleViolation(problems, rule="R32")
        _require_visible(actor, list(attachments))
        data["sealed"] = True  # the timeline shows it as a correction of sealed data
    if request_id is not None:
        data["request_id"] = request_id
    runner.run(actor, ctx, "move_back", task=target_task, data=data, attachments=list(attachments),
               expected_version=expected_version)
    return engine.find_ready(ctx.wf, target_task.name)


def sealed_move_back_problems(reason: str, attachments) -> dict:
    """R32: the fields a 调整 into a sealed stage lacks (reason and 依据材料 are both required)."""
    problems = {}
    if not (reason or "").strip():
        problems["reason"] = "调整回已封存的阶段须填写调整原因"
    if not attachments:
        problems["files"] = "调整回已封存的阶段须上传依据材料"
    return problems


def _reopens_sealed(ctx: Context, target_task: engine.TaskInfo) -> bool:
    return target_task.stage in seal.sealed_stages(ctx, step_catalogue(ctx.instance.process_version_id))


def run_on_person(actor, person: Person, action: str, data: dict) -> dict:
    """Record an action of another procedure in the person's development process (接续培养's ``transfer``,
    归国恢复's ``resume``); returns the event as written."""
    return runner.run(actor, load(person), action, data=data)


def migrate_instance(actor, ctx: Context, data: dict) -> None:
    """Move an instance to another version of its diagram (``data``: from/to version ids and refs)."""
    runner.run(actor, ctx, "migrate", data=data)


@runner.projection(DEVELOPMENT)
def _project_person(change: Change) -> None:
    """The person row, person_field and check_fact rows, and the inbox follow each event."""
    ctx, event, task, action = change.ctx, change.event, change.task, change.event["action"]
    person, data = ctx.person, event["data"]
    facts: dict = {}   # the check facts this event wrote (their values are the fact row's now)
    if action in EDIT_ACTIONS:
        key = data_key(task)
        facts = apply_step_data(person, task.form_key, data[key])
        # Rows of a step exist only while the task data holds its key (a move back deletes them with the key):
        # a task whose data, as ``act`` read it before the action, lacks the key has none to replace.
        project_step(person.id, key, task.form_key, data[key], done=local_today() if action == "submit" else None,
                     replaces=not task.data or key in task.data)
    elif action == "approve":
        mark_step_done(person.id, step_of(ctx, task).data_key, local_today())
    elif action == "move_back":
        key = data_key(task)
        reopen_step(person.id, key, [s.data_key for s in step_catalogue(ctx.instance.process_version_id)
                                     if s.step > task.step and s.data_key != key],
                    held=key in _reopened_data(ctx, task))
    elif action in ("amend", "correct"):
        key = data_key(task)
        current = _current_data(ctx)
        # The person row mirrors the latest step naming a value (学历, 工作岗位…): apply every step in order.
        for step in step_catalogue(ctx.instance.process_version_id):
            if isinstance(current.get(step.data_key), dict):
                apply_step_data(person, step.form_key, current[step.data_key])
        project_step(person.id, key, task.form_key, current.get(key) or {})
        # The inbox copies the name; only an edit of the step that feeds it changes it.
        db.session.execute(sa.update(HumanTask).where(HumanTask.instance_id == ctx.instance.id,
                                                      HumanTask.person_name != person.name)
                           .values(person_name=person.name))
    elif action == "transfer":
        _move_person(ctx, data)
    elif action == "import":
        _project_import(ctx, data)
    if event["attachments"]:
        # The service checked the actor may cite them (_require_visible) before anything was written.
        grant_to_org(event["attachments"], person.org_path)
    person.status = PERSON_STATUS.get(ctx.instance.status, person.status)
    _summarise(ctx, refresh_inbox=action not in ("save", "amend", "correct", "transfer") or change.created,
               rejected=action == "reject", before=[t.id for t in change.ready_before],
               dates=_dates_may_change(change), facts=facts)
    _write_person(person)


_PERSON_COLUMNS = {attr.key: attr.columns[0].name for attr in sa.inspect(Person).column_attrs}


def _write_person(person: Person) -> None:
    """The person row's changed columns (set to a value other than the stored one) as one UPDATE, now: the
    unit of work's flush of one row cost more than the statement. Values were set on the object (the
    vocabulary guard checked the status there); they become its committed state. A new row, a change beyond
    plain columns (the transfer's organisation) or an attribute not loaded is left to the ORM's flush."""
    state = sa.inspect(person)
    changed = state.committed_state
    if state.key is None or not changed or not all(key in _PERSON_COLUMNS and key in state.dict for key in changed):
        return
    # Only what differs from the stored row (``committed_state`` holds it): the projection sets category and
    # status on every action, and an indexed column in the SET list costs its index updates (SQLite rewrites
    # the entries of every index naming it, about a third of this statement) even when the value is the same.
    values = {key: state.dict[key] for key, stored in changed.items() if state.dict[key] != stored}
    if values:
        # On the session's connection: Session.execute's ORM dispatch has nothing to do for a Core statement.
        db.session.connection().execute(
            update_where(Person.__table__, tuple(_PERSON_COLUMNS[key] for key in values), ("id",)),
            {"k_id": person.id, **{f"v_{_PERSON_COLUMNS[key]}": value for key, value in values.items()}},
            execution_options=PIPELINED)
    # The values become the committed state and the object clean (what a flush does after its UPDATE), so
    # the flush at the end of the action has nothing to look at. SQLAlchemy is pinned (requirements.txt);
    # tests/test_request_statements.py checks no second UPDATE of the person follows.
    state._commit_all(state.dict, db.session.identity_map)


# The fact R31's dates count from: the 支部大会 that admitted the person (forms declare which field feeds it).
JOIN_FACT = "admission_meeting_date"


def _dates_may_change(change: Change) -> bool:
    """Could this event move 入党日期, 预备期满 or 转为正式党员日期? Most events of the early stages cannot, and
    then the fact is not read at all (a query per action otherwise)."""
    person, task, action = change.ctx.person, change.task, change.event["action"]
    if person.join_date is not None or person.category in CATEGORIES[-2:]:
        return True  # admitted: a category change, an extension or a correction moves the later dates
    if action in ("amend", "correct", "migrate", "restore", "resume", "import") or "outcome" in change.event:
        return True
    return task is not None and JOIN_FACT in feeds(task.form_key).values()


def _project_import(ctx: Context, data: dict) -> None:
    """数据导入: the person row, check facts and person_field rows of every imported step, in the diagram's order,
    each step done on the day of the import."""
    imported = _imported_steps(ctx, data)
    for _, form_key, values in imported:
        apply_step_data(ctx.person, form_key, values)
    project_imported_steps(ctx.person.id, imported, local_today())


def _imported_steps(ctx: Context, data: dict) -> list[tuple[str, str, dict]]:
    return [(step.data_key, step.form_key, data["steps"][step.data_key])
            for step in step_catalogue(ctx.instance.process_version_id) if step.data_key in data["steps"]]


@runner.batch_projection(_project_person)
def _project_imported_people(changes: list[Change]) -> None:
    """``_project_person`` for the ``import`` events of many new persons at once (``runner.run_prepared``):
    the same person, person_field, check_fact, human_task and task_ref rows, each table in one statement.
    The persons' rows exist (basic values); here they get every projected column. The person objects are
    not in the session, so the facts come from the steps rather than from the fact row read back."""
    today, now = local_today(), utcnow()
    people, fields, facts_rows, tasks = [], [], [], []
    for change in changes:
        ctx, event, person = change.ctx, change.event, change.ctx.person
        if event["action"] != "import" or not change.created or event["attachments"]:
            raise WorkflowError("只有新导入人员的导入事件可以成批记录")
        facts: dict = {}
        imported = _imported_steps(ctx, event["data"])
        for _, form_key, values in imported:
            mirror_step_data(person, form_key, values)
            facts.update(step_facts(person, form_key, values))   # the upserts of apply_step_data, merged
        fields += imported_step_rows(person.id, imported, today)
        if facts:
            facts_rows.append({"person_id": person.id, "id_issue": "", **facts})
        person.status = PERSON_STATUS.get(ctx.instance.status, person.status)
        _summary(ctx, refresh_inbox=True, rejected=False)
        _set_membership_dates(ctx, facts.get(JOIN_FACT))
        person.updated_at = now
        tasks += [{"instance_id": ctx.instance.id, **row} for row in _inbox_rows(ctx, False, now, facts)]
        people.append(person)
    columns = tuple(c.key for c in Person.__table__.columns if c.key != "id")
    db.session.execute(update_where(Person.__table__, columns, ("id",)),
                       [{"k_id": p.id, **{f"v_{c}": getattr(p, c) for c in columns}} for p in people])
    if fields:
        insert_field_rows(fields)
    if facts_rows:
        # The ORM's bulk insert fills each row's missing facts with the columns' defaults, as the upsert did.
        db.session.execute(sa.insert(CheckFact), facts_rows)
    inbox.add_new_tasks(tasks)


def _move_person(ctx: Context, data: dict) -> None:
    """接续培养 approved: the person row, inbox rows and file visibility go to the receiving branch."""
    from app.events.models import Event
    person = ctx.person
    to_org = db.session.get(Organisation, data["to_org_id"])
    person.org_id, person.org_path, person.org = to_org.id, to_org.path, to_org
    db.session.execute(sa.update(HumanTask).where(HumanTask.person_id == person.id)
                       .values(org_path=to_org.path, org_name=to_org.name))
    hashes = sorted({h for row in db.session.scalars(sa.select(Event.attachments)
                                                      .where(Event.instance_id == ctx.instance.id))
                     for h in (row or [])})
    if hashes:
        grant_to_org(hashes, to_org.path)


def _summarise(ctx: Context, *, refresh_inbox: bool, rejected: bool = False, before: list[str] | None = None,
               dates: bool = True, facts: dict | None = None) -> None:
    """The person row's current step and review state, and (on a change of ready tasks) the inbox rows.
    ``facts``: check facts the caller just wrote (the join date is then not read back)."""
    now = utcnow()
    _summary(ctx, refresh_inbox=refresh_inbox, rejected=rejected)
    if dates and facts and JOIN_FACT in facts:
        _set_membership_dates(ctx, facts[JOIN_FACT])
    elif dates:
        membership_dates(ctx)
    ctx.person.updated_at = now
    if refresh_inbox:
        inbox.replace_tasks(ctx.instance.id, _inbox_rows(ctx, rejected, now), before)


def _summary(ctx: Context, *, refresh_inbox: bool, rejected: bool) -> None:
    instance, person = ctx.instance, ctx.person
    ready = ctx.ready
    if instance.status == "completed":
        person.category = CATEGORIES[-1]
        person.review_status = "已完成"
        person.current_task = ""
        person.current_title = "纪实完成"
    elif instance.status == "disqualified":
        # R29/R30: the process ended without full membership; the category stays 预备党员 as it was.
        person.current_task = ""
        person.current_title = "已取消预备党员资格"
    elif ready:
        current = min(ready, key=lambda t: t.step)
        person.current_step, person.stage = current.step, current.stage
        person.category = current.category or person.category
        person.current_task = current.name
        person.current_title = current.title
        if current.is_review:
            person.review_status = "待审核"
        elif rejected:
            person.review_status = "审核不通过"
        elif refresh_inbox:
            person.review_status = ""


def _inbox_rows(ctx: Context, rejected: bool, now, facts: dict | None = None) -> list[dict]:
    instance, person = ctx.instance, ctx.person
    rows = []
    for task in ctx.ready if instance.status == "running" else []:
        due, rule = due_for(person, instance.process_version_id, task.name, facts)  # the diagram's deadline
        rows.append({"person_id": person.id, "task_id": task.id, "task_name": task.name, "title": task.title,
                     "step": task.step, "stage": task.stage, "role": task_role(task),
                     "org_path": person.org_path, "person_name": person.name,
                     "org_name": person.org.name if person.org else "",
                     "status": "待审核" if task.is_review else ("审核不通过" if rejected else "待处理"),
                     "arrived_at": now, "process": DEVELOPMENT, "due_date": due, "due_rule": rule})
    return rows


_JOIN_DATE = sa.select(CheckFact.admission_meeting_date).where(CheckFact.person_id == sa.bindparam("person_id"))


def membership_dates(ctx: Context) -> None:
    """R31 on the person row: 入党日期 is the admitting 支部大会's date, 预备期满 one year later plus the months a
    延长预备期 outcome added (the diagram's ``probation_extension_months``, in the diagram's own arithmetic),
    and 转为正式党员日期 is 预备期满 once the person is a 正式党员 (never for 取消预备党员资格)."""
    person = ctx.person
    with db.session.no_autoflush:  # one column of the fact row; nothing pending needs to go out first
        joined = db.session.scalar(_JOIN_DATE, {"person_id": person.id})
    _set_membership_dates(ctx, joined)


def _set_membership_dates(ctx: Context, joined: date | None) -> None:
    person = ctx.person
    person.join_date = joined
    if joined is None:
        person.probation_end = person.full_member_date = None
        return
    extension = _current_data(ctx).get("probation_extension_months") or 0
    person.probation_end = date.fromisoformat(expressions.add_months(joined, 12 + int(extension)))
    person.full_member_date = person.probation_end if person.category == CATEGORIES[-1] else None


def _attachment_hashes(data) -> list[str]:
    """Every attachment hash in a step's data (lists of 64-hex strings, at any depth)."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, str) and _HASH.match(v):
                    found.append(v)
                else:
                    walk(v)
    walk(data)
    return sorted(set(found))


def _require_visible(actor, hashes: list[str]) -> None:
    # Checked before anything is written; the projection grants the files once the action is recorded.
    from app.attachments.services import visible_hashes
    if not hashes:
        return
    visible = visible_hashes(actor, hashes)
    missing = [h for h in hashes if h not in visible]
    if missing:
        raise WorkflowError("引用了不存在或无权访问的附件: " + ", ".join(h[:12] for h in missing))


def claim_attachments_for(actor, org_path: str, hashes: list[str]) -> None:
    """Grant the files to the organisation at ``org_path``; refuse hashes the actor could not download.

    A hash is only accepted if the actor could download that file; the organisation then gets its own
    row, so everyone who may see its records may see the file.
    """
    _require_visible(actor, hashes)
    if hashes:
        grant_to_org(hashes, org_path)


# ---- read side for the pages -------------------------------------------------------------------

def attachment_hashes(data) -> list[str]:
    """Every attachment hash cited in a step's data."""
    return _attachment_hashes(data)


def can_add_applicant(actor) -> bool:
    """添加 is for admins who may act on steps (the policy's ``process.act`` right)."""
    return allows(actor, "process", "act")


def can_cancel(actor, ctx: Context) -> bool:
    """取消发展: branch, committee and county admins (manual §2.3.4), while the procedure runs."""
    return ctx.instance.status == "running" and may_cancel_person(actor, ctx.person)


def move_back_options(actor, ctx: Context) -> list[tuple[str, str, str]]:
    """(target, label, note) of the 调整 buttons that fit the person's stage and the actor. Into a stage R32
    has sealed the note says how it goes: a county admin (or above) corrects at once ("更正已封存阶段"),
    anyone else files a 调整申请 for the county ("须县级审核"); both need a reason and a file."""
    if ctx.instance.status != "running":
        return []
    options = []
    for target, label in move_back_choices(actor, ctx.person):
        task = _move_back_target(ctx, MOVE_BACK[target]["to"])
        note = ""
        if task is not None and _reopens_sealed(ctx, task):
            note = "更正已封存阶段" if seal.may_correct(actor, ctx) else "须县级审核"
        options.append((target, label, note))
    return options


def may_cancel_person(actor, person) -> bool:
    """取消发展 as a list row offers it, from the person row alone (no workflow is loaded for a list)."""
    return person.status == PersonStatus.ACTIVE and can_act_as(actor, "branch_admin", person.org_path)


def move_back_choices(actor, person) -> list[tuple[str, str]]:
    """(target, label) of the 调整 actions for the person's category, from the person row alone."""
    if not may_cancel_person(actor, person):
        return []
    return [(key, rule["label"]) for key, rule in MOVE_BACK.items() if person.category in rule["from"]]


def list_move_back_choices(actor, person) -> list[tuple[str, str]]:
    """The 调整 actions a list row offers (the list loads no process, so whether the target stage is sealed,
    and so whether the 调整 happens at once or as a 调整申请 for the county, is the server's answer)."""
    return move_back_choices(actor, person)


@dataclass
class StepView:
    """Everything the step page shows for one step of one person."""
    step: StepDef
    status: str                      # done | ready | review | future | skipped
    edit_task: engine.TaskInfo | None
    review_task: engine.TaskInfo | None
    data: dict
    actions: list[str]
    shown: list = None               # [(label, value)]: what the record holds, shown read-only (form's ``shown``)


def step_view(actor, ctx: Context, step_no: int) -> StepView | None:
    """The state of one step for the step page, or None if the diagram has no such step."""
    step = step_def(ctx.instance.process_version_id, step_no)
    if step is None:
        return None
    key = step.data_key
    ready = ctx.ready
    edit = next((t for t in ready if t.name == step.name), None)
    review = next((t for t in ready if step.review_name and t.name == step.review_name), None)
    if edit or review:
        current = engine.task_data(ctx.wf, (edit or review).id)
        data = current.get(key) or (carried_values(ctx, step, current) if edit else {})
        status = "ready" if edit else "review"
        actions = allowed_actions(actor, ctx, edit or review)
    else:
        done = [t for t in ctx.completed if t.name == step.name]
        data = done[-1].data.get(key, {}) if done else {}
        status = "done" if done else "future"
        if not done:
            later = [r for r in step_rows(ctx) if r["step"].step >= step_no]
            status = later[0]["status"] if later else status
        actions = []
    return StepView(step=step, status=status, edit_task=edit, review_task=review, data=data or {},
                    actions=actions, shown=shown_values(ctx.person, step.form_key))


def shown_values(person: Person, form_key: str) -> list[tuple[str, str]]:
    """(label, value) of the person columns a step's form declares ``shown`` (manual: read-only on its page)."""
    rows = []
    for label, column in getattr(get_form_class(form_key), "shown", ()):
        value = person.org.name if column == "org" and person.org else getattr(person, column, None)
        rows.append((label, "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))))
    return rows


def carried_values(ctx: Context, step: StepDef, current: dict) -> dict:
    """The values a step's form starts from (its ``carried`` fields): for each, the latest one recorded under
    the same name by an earlier step, in the diagram's order, from the task data ``current``."""
    names = getattr(get_form_class(step.form_key), "carried", ())
    values = {}
    for earlier in step_catalogue(ctx.instance.process_version_id):
        if earlier.step >= step.step:
            break
        recorded = current.get(earlier.data_key)
        if isinstance(recorded, dict):
            values.update({name: recorded[name] for name in names if recorded.get(name) not in (None, "", [])})
    return values


def step_rows(ctx: Context) -> list[dict]:
    """The 25 steps of a person's page with status, review state, first and last action times; a step the
    procedure went past without reaching (R03's skip, say) is ``skipped``."""
    from app.workflow.history import imported_steps, step_action_times
    ready = {t.name: t for t in ctx.ready}
    completed = {t.name for t in ctx.completed}
    last, first = step_action_times(ctx.instance.id)
    imported, imported_at = imported_steps(ctx.instance.id)
    rows = []
    for step in step_catalogue(ctx.instance.process_version_id):
        if step.review_name and step.review_name in ready:
            status, review = "review", "待审核"
        elif step.name in ready:
            status = "ready"
            review = "审核不通过" if last.get(step.review_name, ("",))[0] == "reject" else ""
        elif step.name in completed:
            status = "done"
            review = "审核通过" if step.review_name and step.review_name in completed else ""
        else:
            status, review = "future", ""
        names = (step.name, step.review_name)
        when = max((last[n][1] for n in names if n in last), default=None)
        since = min((first[n] for n in names if n in first), default=None)
        if status == "done" and step.data_key in imported and step.name not in last:
            # 数据导入: the step was completed in the system the person came from.
            review, when, since = "已导入", imported_at, imported_at
        rows.append({"step": step, "status": status, "review": review, "when": when, "since": since})
    for row, status in zip(rows, mark_skipped([row["status"] for row in rows])):
        if status == "skipped":
            row["status"], row["review"] = status, row["step"].skipped_because
    return rows

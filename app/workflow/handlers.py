"""The transitions of every procedure, once: one pure handler per action, over an engine state.

The runner (``app.workflow.runner``) applies a new event through ``apply`` before saving it; the
auditor's replay (``app.audit.replay``) applies the logged events through the same ``apply``. A
handler reads only the state and the event (and a diagram loader for start/migrate), never the
database, the person row or the clock, so forward and replay cannot disagree.
"""
import re
from dataclasses import dataclass, field
from typing import Callable

from app.vocab.actions import Action
from app.vocab.statuses import FINISH, INSTANCE, TransitionRefused
from app.workflow import engine, expressions

# (version id) → (diagram xml, process id)
VersionLoader = Callable[[int], tuple[bytes, str]]


class HandlerError(Exception):
    """The event does not fit the state (message in Chinese); the runner and the replay map it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RuleRefused(HandlerError):
    """A rule gateway of the diagram looped back to the task with ``rule_errors`` (field → message)."""

    def __init__(self, task_name: str, fields: dict, rule: str = ""):
        super().__init__(f"规则拒绝了任务 {task_name} 的数据: {fields}")
        self.task_name = task_name
        self.fields = dict(fields)
        self.rule = rule


class StepsPassedBy(HandlerError):
    """An import carried data for steps (data keys) the diagram's path passed by (R03's skip)."""

    def __init__(self, keys: list[str]):
        super().__init__("流程未经过这些步骤，请留空其数据：" + "、".join(keys))
        self.keys = list(keys)


class StaleTask(HandlerError):
    """The event names a task that is not ready (any more): someone else acted first."""


@dataclass
class State:
    """An instance as the handlers see it: engine workflow, status, the version it runs."""
    wf: object = None
    status: str = "running"
    version_id: int | None = None
    load_version: VersionLoader | None = None
    seq: int = 0
    # BPMN task id → how its last review ended ("approve"/"reject").
    reviews: dict = field(default_factory=dict)
    # The ready task the runner already found for the event (saves a walk); the replay looks it up.
    found: engine.TaskInfo | None = None
    # The outcome the diagram decided on the last completion, until its own event records it (OUTCOME_ACTIONS).
    outcome: dict = field(default_factory=dict)


def _ready_task(state: State, event: dict) -> engine.TaskInfo:
    if state.wf is None:
        raise HandlerError("流程尚未开始")
    found, state.found = state.found, None
    if found is not None and found.name == event["task_name"] and found.pass_no == event.get("task_pass"):
        return found
    task = engine.find_ready(state.wf, event["task_name"], event.get("task_pass") or None)
    if task is None:
        raise StaleTask(f"任务 {event['task_name']}（第{event.get('task_pass')}次）未就绪")
    return task


def _complete(state: State, task: engine.TaskInfo, data: dict) -> None:
    try:
        engine.complete(state.wf, task.id, data)
    except engine.EngineError as exc:
        if _expression_failed(exc):
            raise  # the diagram's fault: the request's error handler refuses the action and tells the designers
        raise HandlerError(f"引擎拒绝: {exc}") from exc
    # A rule gateway that refuses input loops back to the same task with rule_errors set.
    errors = engine.rule_errors(state.wf, task.name)
    if errors:
        raise RuleRefused(task.name, errors, engine.refusing_rule(state.wf, task.name))
    # An outcome gateway (R24–R30) chose a way that its script named; 停止发展 also stops the instance here.
    state.outcome = engine.outcome(state.wf)
    if state.outcome and state.outcome.get("kind") not in OUTCOME_ACTIONS:
        raise HandlerError(f"流程图设置了未知的结果“{state.outcome.get('kind')}”")
    if state.outcome.get("kind") == "stop":
        state.status = INSTANCE.target(Action.STOP, state.status)


def _expression_failed(error: BaseException) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, expressions.ExpressionError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _load(state: State, version_id) -> tuple[bytes, str]:
    try:
        return state.load_version(int(version_id))
    except (LookupError, TypeError, ValueError) as exc:
        raise HandlerError(f"找不到流程版本 {version_id}") from exc


def _start(state: State, event: dict) -> None:
    if state.wf is not None:
        raise HandlerError("流程重复开始")
    data = event.get("data") or {}
    xml, process_id = _load(state, data.get("process_version_id"))
    recorded = data.get("spec_ref")
    # The diagram's checksum ties the log to the exact version that ran, even if its row is altered.
    if recorded and recorded != engine.spec_ref(xml, process_id):
        raise HandlerError(f"流程版本 {data.get('process_version_id')} 的定义与开始时记录的校验值不符")
    state.wf = engine.start(xml, process_id)
    state.version_id = int(data["process_version_id"])


def _save(state: State, event: dict) -> None:
    task = _ready_task(state, event)
    engine.update_data(state.wf, task.id, dict(event.get("data") or {}))


# The event data key holding the server's day of an action (ISO), against which the step's dates are checked.
ACTION_DATE = "action_date"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dates_after(value, day: str) -> bool:
    if isinstance(value, str):
        return bool(_ISO_DATE.fullmatch(value)) and value > day
    if isinstance(value, dict):
        return any(_dates_after(v, day) for v in value.values())
    if isinstance(value, list):
        return any(_dates_after(v, day) for v in value)
    return False


def _refuse_future_dates(task: engine.TaskInfo, data: dict) -> None:
    """R16: no date of the step after the day of the action (taken from the event, so a replay agrees)."""
    day = data.get(ACTION_DATE)
    if not day:
        return
    step = next((value for key, value in data.items() if key != ACTION_DATE and isinstance(value, dict)), {})
    late = [name for name, value in step.items() if _dates_after(value, day)]
    if late:
        raise RuleRefused(task.name, {name: f"日期不能晚于操作当天（{day}）" for name in late}, "R16")


def _submit(state: State, event: dict) -> None:
    task = _ready_task(state, event)
    _refuse_future_dates(task, event.get("data") or {})
    _complete(state, task, {**(event.get("data") or {}), "rule_errors": {}, "outcome": {}})


def _review(state: State, event: dict) -> None:
    task = _ready_task(state, event)
    if not task.is_review:
        raise HandlerError(f"任务 {task.name} 不是审核任务")
    _complete(state, task, {"decision": event["action"], "outcome": {},
                            "review_opinion": (event.get("data") or {}).get("opinion", "")})
    state.reviews[task.name] = event["action"]


def _status_change(message: str):
    # Where cancel, restore and redevelop may start and where they lead is declared once, in the instance's
    # lifecycle (app/vocab/statuses.py); a status that moved on meanwhile is a lost race.
    def handler(state: State, event: dict) -> None:
        try:
            state.status = INSTANCE.target(event["action"], state.status)
        except TransitionRefused as exc:
            raise StaleTask(message) from exc
    return handler


def _move_back(state: State, event: dict) -> None:
    if state.status != "running":
        raise StaleTask("流程不在进行中")
    try:
        engine.reset_to(state.wf, event["task_name"])
    except engine.EngineError as exc:
        raise HandlerError(f"无法退回到 {event['task_name']}: {exc}") from exc


def _migrate(state: State, event: dict) -> None:
    data = event.get("data") or {}
    if state.version_id != data.get("from_version"):
        raise HandlerError(f"迁移记录的源版本 {data.get('from_version')} 与实例的版本 {state.version_id} 不符")
    xml, process_id = _load(state, data.get("to_version"))
    ref = engine.spec_ref(xml, process_id)
    if data.get("to_ref") and data["to_ref"] != ref:
        raise HandlerError(f"目标版本 {data['to_version']} 的定义与迁移时记录的校验值不符")
    engine.parse(xml, process_id)  # cached by reference, so migrate finds it without the database
    try:
        state.wf = engine.migrate(state.wf, ref)
    except engine.EngineError as exc:
        raise HandlerError(f"迁移失败: {exc}") from exc
    state.version_id = int(data["to_version"])


def _amend(state: State, event: dict) -> None:
    # 人员信息 edits a step already reached: the step's data is replaced in every task holding it.
    data = dict(event.get("data") or {})
    before = data.pop("before", {}) or {}
    if len(data) != 1:
        raise HandlerError("修改记录的数据格式不正确")
    key, changed = next(iter(data.items()))
    tasks = engine.ready_tasks(state.wf, with_data=True) + engine.completed_tasks(state.wf)
    target = next((t for t in tasks if t.name == event["task_name"] and t.pass_no == event["task_pass"]), None)
    if target is None:
        raise HandlerError(f"修改的任务 {event['task_name']}（第{event['task_pass']}次）尚未到达")
    old = dict(target.data.get(key) or {})
    if any(old.get(name) != before.get(name) for name in changed):
        raise StaleTask("修改前的值与当前数据不一致")
    engine.amend_data(state.wf, key, {**old, **changed})


def _correct(state: State, event: dict) -> None:
    # A county's correction of a sealed value (R32) changes the data as an amendment does; the reason
    # travels with the event, and the event itself shows it was a correction.
    data = dict(event.get("data") or {})
    if not str(data.pop("reason", "") or "").strip():
        raise HandlerError("更正记录缺少更正原因")
    _amend(state, {**event, "data": data})


def _transfer(state: State, event: dict) -> None:
    # 接续培养 moves the person to another branch: the engine state is unchanged, the history records it.
    if state.wf is None or state.status != "running":
        raise StaleTask("接续培养时流程不在进行中")
    data = event.get("data") or {}
    if not data.get("from_org_id") or not data.get("to_org_id"):
        raise HandlerError("接续培养记录缺少原党组织或接受党组织")


def _end_review(decision: str):
    # A request ended without a decision on it: the review task completes with ``decision``, and the
    # diagram's gateway takes its path. 'withdraw': the requester withdraws a pending 接续培养 (已撤回);
    # 'lapse': a 调整申请 whose person's process moved on (已失效). A version without that path would end the
    # instance on its default (refused) path; the request row still records what happened.
    def handler(state: State, event: dict) -> None:
        task = _ready_task(state, event)
        if not task.is_review:
            raise HandlerError(f"任务 {task.name} 不是审核任务")
        _complete(state, task, {"decision": decision, "review_opinion": ""})
        state.reviews[task.name] = decision
    return handler


# The review opinion an imported approval carries: the review happened elsewhere, before the import.
IMPORTED_OPINION = "导入：已在原系统审核通过"
# A bound on the tasks one import may complete (the 25 steps with their reviews fit well within it).
MAX_IMPORT_TASKS = 200


def _import(state: State, event: dict) -> None:
    # 数据导入: a person already in the pipeline elsewhere. The instance starts (if the event opens it) and
    # walks the diagram to the step reached, completing each ready edit task with the step's imported data
    # (under the task's dataKey) and each review as an imported approval. The diagram's gateways still
    # decide: a rule refusal, an outcome (停止发展, 退回) or data for a step the path passes by refuses the
    # whole event, so nothing half-imported is ever saved.
    data = event.get("data") or {}
    if state.wf is None:
        _start(state, {"data": data})
    elif state.status != "running":
        raise StaleTask("流程不在进行中")
    steps, target, day = dict(data.get("steps") or {}), event["task_name"], data.get(ACTION_DATE)
    target_step = int(data.get("target_step") or 0)
    used: set[str] = set()
    for _ in range(MAX_IMPORT_TASKS):
        ready = engine.ready_tasks(state.wf)
        if any(t.name == target for t in ready):
            break
        if not ready:
            raise HandlerError("流程在到达导入的当前步骤之前已结束")
        task = min(ready, key=lambda t: (t.step, t.is_review))
        if target_step and task.step > target_step:
            raise HandlerError(f"流程未经过所填的当前步骤，已到达“{task.title}”，请将当前步骤改为该步骤")
        if task.is_review:
            _complete(state, task, {"decision": "approve", "outcome": {}, "review_opinion": IMPORTED_OPINION})
            state.reviews[task.name] = "approve"
        else:
            if not task.data_key or task.data_key not in steps:
                raise HandlerError(f"缺少已完成步骤“{task.title}”的数据")
            step_data = {task.data_key: steps[task.data_key]}
            _refuse_future_dates(task, {**step_data, ACTION_DATE: day})
            _complete(state, task, {**step_data, "rule_errors": {}, "outcome": {}})
            used.add(task.data_key)
        if state.outcome:
            raise HandlerError(f"“{task.title}”的数据使流程走向“{state.outcome.get('reason') or state.outcome.get('kind')}”，"
                               "在途人员导入只能导入仍在发展中的人员")
    else:
        raise HandlerError("导入的步骤过多")
    passed = sorted(set(steps) - used)
    if passed:
        raise StepsPassedBy(passed)


# The event recording each outcome kind a diagram's outcome script may set.
OUTCOME_ACTIONS = {"stop": Action.STOP, "return": Action.SEND_BACK, "extend": Action.EXTEND_PROBATION,
                   "disqualify": Action.DISQUALIFY}


def outcome_event(state: State, decided: dict) -> dict | None:
    """The event recording the outcome the last completion decided (after the event ``decided``), or None."""
    if not state.outcome:
        return None
    return {"action": OUTCOME_ACTIONS[state.outcome["kind"]], "task_name": decided["task_name"],
            "task_pass": decided["task_pass"], "data": dict(state.outcome), "attachments": []}


def _outcome(state: State, event: dict) -> None:
    # The status change happened with the decision itself; this event records it, and the replay checks that
    # the diagram decides the same way today.
    kind = next((k for k, action in OUTCOME_ACTIONS.items() if action == event["action"]), None)
    if not state.outcome or state.outcome.get("kind") != kind:
        raise HandlerError(f"记录的结果“{event['action']}”与流程图的决定不符")
    state.outcome = {}


# One entry per action name, for every procedure (development, 接续培养, 实名认证, 归国恢复).
HANDLERS = {
    "start": _start,
    "save": _save,
    "submit": _submit,
    "report": _submit,
    "approve": _review,
    "reject": _review,
    "cancel": _status_change("该人员不在发展流程中"),
    "restore": _status_change("该人员未被取消发展"),
    "redevelop": _status_change("只有已停止发展的人员可以重新发展"),
    "move_back": _move_back,
    "migrate": _migrate,
    "amend": _amend,
    "correct": _correct,
    "transfer": _transfer,
    "withdraw": _end_review("withdraw"),
    "lapse": _end_review("lapse"),
    # 暂停发展-出国(境) and its return: the engine state stays where it was, only the status moves.
    "suspend": _status_change("该人员不在发展流程中，不能暂停发展"),
    "resume": _status_change("该人员未处于暂停发展状态"),
    "import": _import,
    **{action: _outcome for action in OUTCOME_ACTIONS.values()},
}


def apply(state: State, event: dict) -> None:
    """Apply one event (dict with action, task_name, task_pass, data) to ``state`` through its handler."""
    handler = HANDLERS.get(event["action"])
    if handler is None:
        raise HandlerError(f"无法处理的操作“{event['action']}”")
    handler(state, event)
    if state.wf is not None and state.status == "running" and engine.is_completed(state.wf):
        ending = Action.DISQUALIFY if state.outcome.get("kind") == "disqualify" else FINISH
        state.status = INSTANCE.target(ending, state.status)

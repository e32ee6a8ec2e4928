"""The transitions of every procedure, once: one pure handler per action, over an engine state.

The runner (``app.workflow.runner``) applies a new event through ``apply`` before saving it; the
auditor's replay (``app.audit.replay``) applies the logged events through the same ``apply``. A
handler reads only the state and the event (and a diagram loader for start/migrate), never the
database, the person row or the clock, so forward and replay cannot disagree.
"""
from dataclasses import dataclass, field
from typing import Callable

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

    def __init__(self, task_name: str, fields: dict, rule: str | None = None):
        super().__init__(f"规则拒绝了任务 {task_name} 的数据: {fields}")
        self.fields = dict(fields)
        self.rule = rule


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


def _submit(state: State, event: dict) -> None:
    task = _ready_task(state, event)
    _complete(state, task, {**(event.get("data") or {}), "rule_errors": {}})


def _review(state: State, event: dict) -> None:
    task = _ready_task(state, event)
    if not task.is_review:
        raise HandlerError(f"任务 {task.name} 不是审核任务")
    _complete(state, task, {"decision": event["action"],
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


def _transfer(state: State, event: dict) -> None:
    # 接续培养 moves the person to another branch: the engine state is unchanged, the history records it.
    if state.wf is None or state.status != "running":
        raise StaleTask("接续培养时流程不在进行中")
    data = event.get("data") or {}
    if not data.get("from_org_id") or not data.get("to_org_id"):
        raise HandlerError("接续培养记录缺少原党组织或接受党组织")


# One entry per action name, for every procedure (development, 接续培养, 实名认证).
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
    "transfer": _transfer,
}


def apply(state: State, event: dict) -> None:
    """Apply one event (dict with action, task_name, task_pass, data) to ``state`` through its handler."""
    handler = HANDLERS.get(event["action"])
    if handler is None:
        raise HandlerError(f"无法处理的操作“{event['action']}”")
    handler(state, event)
    if state.wf is not None and state.status == "running" and engine.is_completed(state.wf):
        state.status = INSTANCE.target(FINISH, state.status)

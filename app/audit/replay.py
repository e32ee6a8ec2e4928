"""Replay: rebuild an instance from its event log alone.

The instance's recorded process version is started afresh and fed the logged inputs in order, one
handler per action name (``HANDLERS``). Nothing here reads today's state, the person table or the
clock, so the result is what the log says happened. It works on plain event dicts and a diagram
loader, so the same code replays from the database and from an exported bundle.
"""
from dataclasses import dataclass, field
from typing import Callable

from app.workflow import engine


class ReplayError(Exception):
    """The log cannot be replayed at event ``seq`` (the message says why, in Chinese)."""

    def __init__(self, seq: int, message: str):
        super().__init__(f"事件 #{seq}: {message}")
        self.seq = seq
        self.message = message


@dataclass
class Snapshot:
    """The instance as of one event: engine workflow, status, and the process version it runs."""
    wf: object = None
    status: str = "running"
    version_id: int | None = None
    seq: int = 0
    # BPMN task id → how the last review of it ended ("approve"/"reject"), as of this event.
    reviews: dict = field(default_factory=dict)


# (version id) → (diagram xml, process id)
VersionLoader = Callable[[int], tuple[bytes, str]]


def _ready_task(snap: Snapshot, event: dict) -> engine.TaskInfo:
    if snap.wf is None:
        raise ReplayError(event["seq"], "流程尚未开始")
    task = engine.find_ready(snap.wf, event["task_name"], event["task_pass"] or None)
    if task is None:
        raise ReplayError(event["seq"], f"任务 {event['task_name']}（第{event['task_pass']}次）在重放中未就绪")
    return task


def _complete(snap: Snapshot, event: dict, task: engine.TaskInfo, data: dict) -> None:
    try:
        engine.complete(snap.wf, task.id, data)
    except engine.EngineError as exc:
        raise ReplayError(event["seq"], f"引擎拒绝: {exc}") from exc
    # A rule gateway that refuses input loops back with rule_errors; the original request was then
    # rolled back and never logged, so meeting one here means the log and the diagram disagree.
    for ready in engine.ready_tasks(snap.wf, with_data=True):
        if ready.name == task.name and ready.data.get("rule_errors"):
            raise ReplayError(event["seq"], f"重放时规则拒绝了记录的数据: {ready.data['rule_errors']}")


def _start(snap: Snapshot, event: dict, load_version: VersionLoader) -> None:
    if snap.wf is not None:
        raise ReplayError(event["seq"], "流程重复开始")
    version_id = (event["data"] or {}).get("process_version_id")
    try:
        xml, process_id = load_version(int(version_id))
    except (LookupError, TypeError, ValueError) as exc:
        raise ReplayError(event["seq"], f"找不到记录的流程版本 {version_id}") from exc
    recorded = (event["data"] or {}).get("spec_ref")
    if recorded and recorded != engine.spec_ref(xml, process_id):
        raise ReplayError(event["seq"], f"流程版本 {version_id} 的定义与开始时记录的校验值不符")
    snap.wf = engine.start(xml, process_id)
    snap.version_id = int(version_id)


def _save(snap: Snapshot, event: dict, _load) -> None:
    task = _ready_task(snap, event)
    engine.update_data(snap.wf, task.id, dict(event["data"] or {}))


def _submit(snap: Snapshot, event: dict, _load) -> None:
    task = _ready_task(snap, event)
    _complete(snap, event, task, {**(event["data"] or {}), "rule_errors": {}})


def _review(snap: Snapshot, event: dict, _load) -> None:
    task = _ready_task(snap, event)
    if not task.is_review:
        raise ReplayError(event["seq"], f"任务 {task.name} 不是审核任务")
    _complete(snap, event, task, {"decision": event["action"],
                                  "review_opinion": (event["data"] or {}).get("opinion", "")})
    snap.reviews[task.name] = event["action"]


def _cancel(snap: Snapshot, event: dict, _load) -> None:
    if snap.status != "running":
        raise ReplayError(event["seq"], "取消发展时流程不在进行中")
    snap.status = "cancelled"


def _restore(snap: Snapshot, event: dict, _load) -> None:
    if snap.status != "cancelled":
        raise ReplayError(event["seq"], "恢复发展时流程未被取消")
    snap.status = "running"


def _redevelop(snap: Snapshot, event: dict, _load) -> None:
    if snap.status != "cancelled":
        raise ReplayError(event["seq"], "重新发展时流程未被取消")
    snap.status = "closed"


def _move_back(snap: Snapshot, event: dict, _load) -> None:
    try:
        engine.reset_to(snap.wf, event["task_name"])
    except engine.EngineError as exc:
        raise ReplayError(event["seq"], f"无法退回到 {event['task_name']}: {exc}") from exc


def _migrate(snap: Snapshot, event: dict, load_version: VersionLoader) -> None:
    data = event["data"] or {}
    if snap.version_id != data.get("from_version"):
        raise ReplayError(event["seq"], f"迁移记录的源版本 {data.get('from_version')} 与重放中的版本 {snap.version_id} 不符")
    try:
        xml, process_id = load_version(int(data.get("to_version")))
    except (LookupError, TypeError, ValueError) as exc:
        raise ReplayError(event["seq"], f"找不到迁移的目标版本 {data.get('to_version')}") from exc
    ref = engine.spec_ref(xml, process_id)
    if data.get("to_ref") and data["to_ref"] != ref:
        raise ReplayError(event["seq"], f"目标版本 {data['to_version']} 的定义与迁移时记录的校验值不符")
    engine.parse(xml, process_id)  # cached by reference, so migrate finds it without the database
    try:
        snap.wf = engine.migrate(snap.wf, ref)
    except engine.EngineError as exc:
        raise ReplayError(event["seq"], f"重放迁移失败: {exc}") from exc
    snap.version_id = int(data["to_version"])


def _amend(snap: Snapshot, event: dict, _load) -> None:
    # 人员信息 edits a step already reached: the step's data is replaced in every task holding it.
    data = dict(event["data"] or {})
    before = data.pop("before", {}) or {}
    if len(data) != 1:
        raise ReplayError(event["seq"], "修改记录的数据格式不正确")
    key, changed = next(iter(data.items()))
    tasks = engine.ready_tasks(snap.wf, with_data=True) + engine.completed_tasks(snap.wf)
    target = next((t for t in tasks if t.name == event["task_name"] and t.pass_no == event["task_pass"]), None)
    if target is None:
        raise ReplayError(event["seq"], f"修改的任务 {event['task_name']}（第{event['task_pass']}次）在重放中未到达")
    old = dict(target.data.get(key) or {})
    if any(old.get(name) != before.get(name) for name in changed):
        raise ReplayError(event["seq"], "修改前的值与重放结果不一致")
    engine.amend_data(snap.wf, key, {**old, **changed})


def _transfer(snap: Snapshot, event: dict, _load) -> None:
    # 接续培养 moves the person to another branch; the engine state is unchanged, only the history
    # records it. The instance must have started and not ended for a transfer to be valid.
    if snap.wf is None or snap.status != "running":
        raise ReplayError(event["seq"], "接续培养时流程不在进行中")
    data = event["data"] or {}
    if not data.get("from_org_id") or not data.get("to_org_id"):
        raise ReplayError(event["seq"], "接续培养记录缺少原党组织或接受党组织")


# One entry per action name.
HANDLERS = {
    "start": _start,
    "save": _save,
    "submit": _submit,
    "report": _submit,
    "approve": _review,
    "reject": _review,
    "cancel": _cancel,
    "restore": _restore,
    "redevelop": _redevelop,
    "move_back": _move_back,
    "migrate": _migrate,
    "amend": _amend,
    "transfer": _transfer,
}


def replay(events: list[dict], load_version: VersionLoader, upto: int | None = None) -> Snapshot:
    """Feed ``events`` (dicts with seq, action, task_name, task_pass, data; oldest first) to a fresh
    engine, stopping after event ``upto`` if given. Raises ReplayError at the first event that fails."""
    snap = Snapshot()
    for event in events:
        if upto is not None and event["seq"] > upto:
            break
        handler = HANDLERS.get(event["action"])
        if handler is None:
            raise ReplayError(event["seq"], f"无法重放的操作“{event['action']}”")
        handler(snap, event, load_version)
        if snap.wf is not None and snap.status == "running" and engine.is_completed(snap.wf):
            snap.status = "completed"
        snap.seq = event["seq"]
    return snap


def meaning(wf, status: str) -> dict:
    """The state by meaning, comparable between a replay and the stored JSON (whose UUIDs differ):
    status, and (task id, pass) → data of every completed and every ready user task."""
    from app.events.services import canonical
    return {
        "status": status,
        "completed": {(t.name, t.pass_no): canonical(t.data) for t in engine.completed_tasks(wf)},
        "ready": {(t.name, t.pass_no): canonical(t.data) for t in engine.ready_tasks(wf, with_data=True)},
    }

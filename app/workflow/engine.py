"""The only module that imports SpiffWorkflow.

It parses diagrams (cached per checksum), starts, loads and saves workflows, lists ready user tasks
with the extension properties the app needs, and completes tasks safely (pitfall 1 of the engine
notes: run() on a task that is not READY silently completes it, so every completion checks state).
Diagram expressions run in the restricted evaluator of ``expressions``.
"""
import copy
import hashlib
import json
import re
import types
import uuid
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

from app.workflow import diagram, expressions
from app.lru import LRU


class EngineError(Exception):
    """The engine refused an operation (task not ready, diagram invalid, expression failed)."""


class _RestrictedEnvironment(TaskDataEnvironment):
    def evaluate(self, expression, context, external_context=None):
        return expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        expressions.execute(script, context)
        return True


SCRIPT_ENGINE = PythonScriptEngine(environment=_RestrictedEnvironment())
# Parsed diagrams by spec reference. Bounded: every draft a designer validates is parsed too, and a worker
# must not keep them all; a deployed version evicted by drafts is simply parsed again on its next load.
SPEC_CACHE_SIZE = 64
_SPEC_CACHE = LRU(SPEC_CACHE_SIZE)
# Called with a spec reference missing from the cache; returns (xml, process_id). Set by the app.
_spec_loader = None


def set_spec_loader(loader) -> None:
    """Register how to fetch a diagram by spec reference (``checksum:process_id``) on a cache miss."""
    global _spec_loader
    _spec_loader = loader


def configure(spec_cache_size: int | None = None) -> None:
    """Set the bound of the parsed-diagram cache (the app's ``SPEC_CACHE_SIZE``)."""
    if spec_cache_size:
        _SPEC_CACHE.resize(spec_cache_size)


def _resolve(ref: str):
    cached = _SPEC_CACHE.get(ref)
    if cached is not None:
        return cached
    if _spec_loader is None:
        raise EngineError(f"流程定义 {ref} 未加载")
    xml, process_id = _spec_loader(ref)
    return parse(xml, process_id)


class _SpecByReference(BpmnWorkflowConverter):
    """Saves a reference to the diagram instead of the diagram itself.

    SpiffWorkflow embeds the whole spec (about 50 KiB for this diagram) in every instance and rebuilds
    it on every load: two thirds of a load-complete-save cycle. A deployed version is immutable, so
    the instance stores ``checksum:process_id`` and loads reuse one parsed spec per version.
    """

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec"] = {"spec_ref": workflow.spec_ref}
        dct["subprocess_specs"] = {}
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        ref = dct.pop("spec")["spec_ref"]
        dct.pop("subprocess_specs", None)
        spec, subs = _resolve(ref)
        workflow = self.target_class(spec, subs, deserializing=True)
        workflow.spec_ref = ref
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**DEFAULT_CONFIG,
                                                                        BpmnWorkflow: _SpecByReference}))

# States in which a task has been reached (as opposed to predicted).
_REACHED = TaskState.READY | TaskState.COMPLETED | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass
class TaskInfo:
    """What the app needs to know about one user task."""
    id: str
    name: str
    title: str
    lane: str
    form_key: str
    step: int
    stage: int
    category: str
    review_of: str
    pass_no: int
    # Where an edit task keeps its form data in the task data (the diagram's ``dataKey`` property).
    data_key: str = ""
    changed_at: float = 0.0
    data: dict = field(default_factory=dict, repr=False)

    @property
    def is_review(self) -> bool:
        return bool(self.review_of)


def checksum(xml: bytes) -> str:
    """sha256 of the diagram bytes: the key of the parse cache and of a deployed version."""
    return hashlib.sha256(xml).hexdigest()


def spec_ref(xml: bytes, process_id: str) -> str:
    """How an instance names its diagram: ``checksum:process_id``."""
    return checksum(xml) + ":" + process_id


def parse(xml: bytes, process_id: str, filename: str = "diagram.bpmn"):
    """Parse and validate a diagram; returns (spec, subprocess_specs) or raises EngineError."""
    key = spec_ref(xml, process_id)
    cached = _SPEC_CACHE.get(key)
    if cached is not None:
        return cached
    try:
        # Parsed by us with entities, DTDs and network off (add_bpmn_str uses lxml's defaults).
        root = diagram.safe_parse(xml)
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_xml(root.getroottree(), filename=filename)
        spec = parser.get_spec(process_id)
        subs = parser.get_subprocess_specs(process_id)
    except Exception as exc:  # the parser raises many types; the designer needs the message
        raise EngineError(str(exc)) from exc
    _SPEC_CACHE.put(key, (spec, subs))
    return spec, subs


def user_task_specs(xml: bytes, process_id: str) -> list:
    """(name, title, lane, properties) of every user task in a diagram, in no particular order."""
    spec, subs = parse(xml, process_id)
    result = []
    for s in [spec, *subs.values()]:
        for task_spec in s.task_specs.values():
            if getattr(task_spec, "manual", False):
                result.append((task_spec.name, task_spec.bpmn_name or task_spec.name, task_spec.lane or "",
                               _properties(task_spec)))
    return result


def start(xml: bytes, process_id: str):
    """A new workflow from a diagram, run up to its first user task."""
    spec, subs = parse(xml, process_id)
    wf = _fast(BpmnWorkflow(spec, subs, script_engine=SCRIPT_ENGINE))
    wf.spec_ref = spec_ref(xml, process_id)
    _run_engine(wf)
    return wf


# The task tree walk below replaces SpiffWorkflow's TaskIterator for a workflow without subprocesses.
# SpiffWorkflow walks the whole tree after every task it runs (the ready engine tasks, then the waiting
# ones), through an iterator that costs a few microseconds per task visited; an import completing 30 steps
# spent most of its time there. The walk visits the same tasks in the same order, lazily (children are
# read when their parent is reached, as the iterator reads them, since the caller may change the tree
# between two tasks), with the same depth bound, and yields the same matches.
_MAX_DEPTH = 1000
_FAST_FILTERS = {"state", "manual", "spec_name"}


def _walk(root, state=TaskState.ANY_MASK, manual=None, spec_name=None):
    if state & TaskState.PREDICTED_MASK:
        min_state = TaskState.MAYBE
    elif state & TaskState.DEFINITE_MASK:
        min_state = TaskState.FUTURE
    else:
        min_state = TaskState.COMPLETED
    tasks = root.workflow.tasks
    todo = [(root, 0)]
    while todo:
        task, depth = todo.pop()
        if task._children and task._state >= min_state and depth < _MAX_DEPTH:
            todo.extend((tasks.get(child), depth + 1) for child in reversed(task._children))
        if (task._state & state and task.last_state_change >= 0
                and (manual is None or task.task_spec.manual == manual)
                and (spec_name is None or task.task_spec.name == spec_name)):
            yield task


def _get_tasks_iterator(wf, first_task=None, **kwargs):
    if wf.subprocesses or not set(kwargs) <= _FAST_FILTERS:
        return BpmnWorkflow.get_tasks_iterator(wf, first_task, **kwargs)
    return _walk(first_task or wf.task_tree, **kwargs)


def _update_waiting_tasks(wf) -> None:
    if wf.subprocesses:
        return BpmnWorkflow.update_waiting_tasks(wf)
    for task in _walk(wf.task_tree, state=TaskState.WAITING):
        task.task_spec._update(task)


def _fast(wf):
    """``wf`` with the tree walk above in place of the library's iterator (bound to this object only, so the
    serialised state is unchanged)."""
    wf.get_tasks_iterator = types.MethodType(_get_tasks_iterator, wf)
    wf.update_waiting_tasks = types.MethodType(_update_waiting_tasks, wf)
    return wf


def dumps(wf) -> str:
    """Serialize a workflow to JSON text (the spec is embedded, so it keeps its version)."""
    return _SERIALIZER.serialize_json(wf)


def loads(text: str):
    """Load a workflow saved by ``dumps``."""
    wf = _SERIALIZER.deserialize_json(text)
    wf.script_engine = SCRIPT_ENGINE
    return _fast(wf)


def _properties(task_spec) -> dict:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))


def _user_tasks(wf, state, spec_name: str | None = None) -> list:
    """User tasks in ``state`` (of the element ``spec_name`` if given), in no particular order.

    A flat pass over the workflow's task map: SpiffWorkflow's tree iterator costs about ten times as much
    per task, and the runner, the replay and verification ask this several times per event. A workflow
    with subprocesses goes through the iterator, which descends into them."""
    if wf.subprocesses:
        return [t for t in wf.get_tasks(state=state, spec_name=spec_name) if t.task_spec.manual]
    return [t for t in wf.tasks.values()
            if t._state & state and t.task_spec.manual and (spec_name is None or t.task_spec.name == spec_name)]


def _passes(wf, reached: list | None = None) -> dict:
    """task id → which pass through its BPMN element it is (1 = first time reached), in one sweep."""
    reached = list(_user_tasks(wf, _REACHED) if reached is None else reached)
    # Ready tasks come after every completed pass through the same element.
    reached.sort(key=lambda t: (t.state == TaskState.READY, t.last_state_change))
    counts: dict[str, int] = {}
    result = {}
    for t in reached:
        counts[t.task_spec.name] = counts.get(t.task_spec.name, 0) + 1
        result[t.id] = counts[t.task_spec.name]
    return result


def _info(wf, task, passes: dict, with_data: bool = False) -> TaskInfo:
    props = _properties(task.task_spec)
    return TaskInfo(
        id=str(task.id), name=task.task_spec.name, title=task.task_spec.bpmn_name or task.task_spec.name,
        lane=task.task_spec.lane or "", form_key=props.get("formKey", ""),
        step=int(props.get("step") or 0), stage=int(props.get("stage") or 0),
        category=props.get("category", ""), review_of=props.get("reviewOf", ""),
        pass_no=passes.get(task.id, 1), data_key=props.get("dataKey", ""), changed_at=task.last_state_change,
        data=dict(task.data) if with_data else {})


def ready_tasks(wf, with_data: bool = False) -> list[TaskInfo]:
    """The user tasks waiting for a person."""
    reached = _user_tasks(wf, _REACHED)
    passes = _passes(wf, reached)
    return [_info(wf, t, passes, with_data) for t in reached if t.state == TaskState.READY]


def completed_tasks(wf) -> list[TaskInfo]:
    """Completed user tasks in the order they were completed, each with its data."""
    reached = _user_tasks(wf, _REACHED)
    done = sorted((t for t in reached if t.state == TaskState.COMPLETED), key=lambda t: t.last_state_change)
    passes = _passes(wf, reached)
    return [_info(wf, t, passes, with_data=True) for t in done]


def approved_reviews(wf) -> set[str]:
    """Names of the completed review tasks (``reviewOf``) whose decision was 'approve': the part of
    ``completed_tasks`` R32's seal asks for, without building every completed task with a copy of its data."""
    return {t.task_spec.name for t in _user_tasks(wf, TaskState.COMPLETED)
            if t.data.get("decision") == "approve" and _properties(t.task_spec).get("reviewOf")}


def is_completed(wf) -> bool:
    """True once the process has reached its end."""
    return wf.is_completed()


def _ready_task(wf, task_id: str):
    try:
        task = wf.get_task_from_id(uuid.UUID(str(task_id)))
    except Exception:
        task = None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise EngineError("任务不存在或已被处理")
    return task


def find_ready(wf, task_name: str, pass_no: int | None = None) -> TaskInfo | None:
    """The ready user task with this BPMN id (and pass, if given), or None.

    One walk over the tasks of that element only (the runner and the replay call this for every event)."""
    reached = _user_tasks(wf, _REACHED, task_name)
    reached.sort(key=lambda t: (t.state == TaskState.READY, t.last_state_change))
    for n, task in enumerate(reached, start=1):
        if task.state == TaskState.READY and (pass_no is None or n == pass_no):
            return _info(wf, task, {task.id: n})
    return None


def rule_errors(wf, task_name: str) -> dict:
    """The ``rule_errors`` a rule gateway left on the task ``task_name`` when it looped back to it, or {}."""
    for task in _user_tasks(wf, TaskState.READY, task_name):
        if task.data.get("rule_errors"):
            return dict(task.data["rule_errors"])
    return {}


def refusing_rule(wf, task_name: str) -> str:
    """The rule id (``R05``) named at the start of the gateway or script that looped back to the ready task
    ``task_name`` with ``rule_errors``, or '': the designer's names carry the ids, the data does not."""
    for task in wf.get_tasks(state=TaskState.READY, spec_name=task_name):
        if not (task.task_spec.manual and task.data.get("rule_errors")):
            continue
        step = task.parent
        for _ in range(8):  # script → gateway → … back to the task that was completed
            if step is None or step.task_spec.manual:
                break
            match = _RULE_ID.match(step.task_spec.bpmn_name or "")
            if match:
                return match.group(1)
            step = step.parent
    return ""


_RULE_ID = re.compile(r"(R\d+)")


def outcome(wf) -> dict:
    """The ``outcome`` an outcome script of the diagram set on the way from the task just completed (a dict with
    ``kind``: stop, return, extend, disqualify, and ``reason``), or {}: read from the tasks now ready, or from
    the workflow's data when the path ended the process."""
    ready = _user_tasks(wf, TaskState.READY)  # the flat pass: this runs after every completion
    for task in ready:
        if task.data.get("outcome"):
            return dict(task.data["outcome"])
    # Only a workflow with no ready task can have ended (asking the engine walks every task).
    if not ready and wf.is_completed():
        return dict(wf.data.get("outcome") or {})
    return {}


def task_data(wf, task_id: str) -> dict:
    """A copy of a ready task's data."""
    return dict(_ready_task(wf, task_id).data)


def complete(wf, task_id: str, data: dict) -> None:
    """Merge ``data`` into a ready user task, complete it and run the engine to the next user task."""
    task = _ready_task(wf, task_id)
    task.data.update(data)
    try:
        task.run()
        _run_engine(wf)
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc


def reset_to(wf, task_name: str, data: dict | None = None) -> TaskInfo:
    """Rewind to the last completed task with this BPMN id, making it ready again; later tasks go."""
    done = [t for t in wf.get_tasks(state=TaskState.COMPLETED, spec_name=task_name)]
    if not done:
        raise EngineError(f"流程中没有已完成的任务 {task_name}")
    target = max(done, key=lambda t: t.last_state_change)
    wf.reset_from_task_id(target.id, data)
    _run_engine(wf)
    info = find_ready(wf, task_name)
    if info is None:
        raise EngineError(f"无法回退到任务 {task_name}")
    return info


def _run_engine(wf) -> None:
    try:
        wf.do_engine_steps()
    except SpiffWorkflowException as exc:
        raise EngineError(str(exc)) from exc
    except expressions.ExpressionError as exc:
        raise EngineError(str(exc)) from exc


def update_data(wf, task_id: str, data: dict) -> None:
    """Store data on a ready task without completing it (保存, a draft)."""
    _ready_task(wf, task_id).data.update(data)


def trail(wf) -> dict:
    """The path an instance has taken: completed element ids, ready user task ids, and the
    (source, target) pairs of elements one after the other on that path."""
    reached = wf.get_tasks(state=_REACHED)
    done = sorted({t.task_spec.name for t in reached if t.state == TaskState.COMPLETED})
    current = sorted({t.task_spec.name for t in reached if t.state == TaskState.READY and t.task_spec.manual})
    pairs = {(t.parent.task_spec.name, t.task_spec.name) for t in reached
             if t.parent is not None and t.parent.state == TaskState.COMPLETED}
    return {"done": done, "current": current, "pairs": sorted(pairs)}


class MigrationRefused(EngineError):
    """Moving an instance to another diagram version would lose or misplace its state."""


def _spec_kind(task_spec) -> str:
    return type(task_spec).__name__


def migrate(wf, new_spec_ref: str):
    """The same instance on another version of its diagram, or MigrationRefused naming the reason.

    Completed tasks stay as history, tasks reached but not finished (ready, waiting) stay where they are,
    and everything predicted after them is dropped and predicted again from the new diagram, so the
    instance follows the new rules from its current position on. Refused when a task the instance
    completed or stands on is missing from the new diagram, or changed its kind (a user task became a
    script, say), or the new diagram is another process. Pure: ``wf`` itself is not changed. The auditor's
    replay calls this for "migrate" events, so it reads nothing but the workflow and the new diagram.
    """
    old_ref = getattr(wf, "spec_ref", "")
    if old_ref.split(":", 1)[-1] != new_spec_ref.split(":", 1)[-1]:
        raise MigrationRefused("目标版本属于另一个流程")
    spec, subs = _resolve(new_spec_ref)
    if wf.subprocesses:
        raise MigrationRefused("含子流程的实例不支持迁移")
    new_specs = spec.task_specs
    for task in wf.get_tasks(state=_REACHED | TaskState.CANCELLED):
        name = task.task_spec.name
        label = task.task_spec.bpmn_name or name
        if task.state == TaskState.ERROR:
            raise MigrationRefused(f"任务“{label}”（{name}）处于错误状态")
        if name not in new_specs:
            where = "已完成的" if task.state & (TaskState.COMPLETED | TaskState.CANCELLED) else "当前所处的"
            raise MigrationRefused(f"{where}任务“{label}”（{name}）在新版本中已删除")
        if task.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED) and \
                _spec_kind(new_specs[name]) != _spec_kind(task.task_spec):
            raise MigrationRefused(f"当前所处的任务“{label}”（{name}）在新版本中类型已改变")
    dct = _SERIALIZER.to_dict(wf)
    predicted = {tid for tid, t in dct["tasks"].items() if t["state"] & TaskState.PREDICTED_MASK}
    for tid in predicted:
        del dct["tasks"][tid]
    for t in dct["tasks"].values():
        t["children"] = [c for c in t["children"] if c not in predicted]
    dct["spec"] = {"spec_ref": new_spec_ref}
    dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
    try:
        new = _SERIALIZER.deserialize_json(json.dumps(dct, cls=_SERIALIZER._encoder_cls))
        new.script_engine = SCRIPT_ENGINE
        for task in new.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            task.task_spec._predict(task)
    except Exception as exc:  # the engine raises many types; the designer needs the message
        raise MigrationRefused(f"新版本无法接续该实例：{exc}") from exc
    before = sorted(t.name for t in ready_tasks(wf))
    after = sorted(t.name for t in ready_tasks(new))
    if before != after:
        raise MigrationRefused(f"迁移后待办任务不一致：{before} → {after}")
    return new


def amend_data(wf, key: str, value: dict) -> int:
    """Replace ``key`` in the data of every task that holds it, and in the workflow's data.

    A step's data is copied forward from task to task as the process runs, so an amendment of a step
    already completed must reach its own task and every later one that inherited it; otherwise the next
    step (or a gateway) would read the old values. Returns how many tasks were changed.
    """
    changed = 0
    for task in wf.get_tasks():
        if key in task.data:
            task.data[key] = copy.deepcopy(value)
            changed += 1
    if key in wf.data:
        wf.data[key] = copy.deepcopy(value)
    return changed

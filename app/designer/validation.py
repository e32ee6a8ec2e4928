"""Validation of a diagram before it may be activated. Each problem names the element it concerns.

Checks, in order: the XML parses (safely: no entities, DTDs or network), the process is there, SpiffWorkflow
accepts it, every user task names an existing form, sits in a lane and declares a deadline it can compute
(dueRule/dueFrom/dueIn, app/deadlines/rules.py), every lane is a role, every condition
and script compiles under the restricted evaluator, calls only allowed functions and has no literal that makes
it compute something huge, every element can be reached from the start. For the development process, also:
every edit task has a data key of its own and every review names a user task; each of the 25 steps the 细则
requires keeps a user task with its form; and every value the person projection and the logic checks read is
fed by some task's form (a designer may add steps, relabel them and change rules).
"""
import ast
import re
from dataclasses import dataclass

from app.auth.roles import LANE_ROLES
from app.checks.projection import CHECK_FACTS
from app.deadlines.rules import property_problems
from app.people.projection import PERSON_COLUMNS
from app.workflow import diagram, engine, expressions
from app.workflow.diagram import BPMN_NS, NS
from app.workflow.handlers import ACTION_DATE
from app.workflow.versions import DEVELOPMENT
from forms import FORMS, REQUIRED_FORMS, default_data_key, feeds, forms_feeding

_DATA_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
# Task-data names the application or the diagram's rules use themselves, and SpiffWorkflow's reserved key.
_RESERVED_KEYS = {"rule_errors", "decision", "review_opinion", "typename", "outcome", ACTION_DATE,
                  *expressions.DEFAULTS}

# Flow nodes: what sequence flows connect. Lanes, flows, data objects and text annotations are not.
_NODE_TAGS = {f"{{{BPMN_NS}}}{name}" for name in (
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "complexGateway")}


@dataclass(frozen=True)
class Problem:
    """One reason a diagram cannot be activated."""
    element_id: str
    element_name: str
    message: str

    def __str__(self) -> str:
        where = f"{self.element_name}（{self.element_id}）" if self.element_name else self.element_id
        return f"{where}：{self.message}" if where else self.message


def _problem(element, message: str) -> Problem:
    return Problem(element.get("id") or "", element.get("name") or "", message)


def properties(element) -> dict:
    """The spiffworkflow extension properties of an element."""
    return {p.get("name"): p.get("value") or "" for p in
            element.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def validate(xml: bytes, process_id: str) -> list[Problem]:
    """Every problem that keeps this diagram from being activated as process ``process_id``; [] if none."""
    try:
        root = diagram.safe_parse(xml)
    except diagram.DiagramError as exc:
        return [Problem("", "", str(exc))]
    process = diagram.find_process(root, process_id)
    if process is None:
        found = "、".join(diagram.process_ids(root)) or "无"
        return [Problem(process_id, "", f"流程图中没有 id 为 {process_id} 的流程（找到：{found}）")]
    problems = _check_expressions(process)
    if not problems:  # SpiffWorkflow would only repeat a compile error less clearly
        try:
            engine.parse(xml, process_id)
        except engine.EngineError as exc:
            problems.append(Problem(process_id, process.get("name") or "", f"流程引擎拒绝该流程图：{exc}"))
    task_problems = _check_user_tasks(process)
    if process_id == DEVELOPMENT:
        task_problems += _check_data_keys(process)
    problems += task_problems + _check_lanes(process) + _check_reachable(process)
    if process_id == DEVELOPMENT and not task_problems:  # a task's own problem already names what is missing
        problems += _check_required(process)
    return problems


def _check_user_tasks(process) -> list[Problem]:
    problems = []
    laned = {ref.text for ref in process.iterfind(".//bpmn:lane/bpmn:flowNodeRef", NS)}
    for task in process.iterfind(".//bpmn:userTask", NS):
        props = properties(task)
        key = props.get("formKey", "")
        if not key:
            problems.append(_problem(task, "用户任务没有指定表单（formKey）"))
        elif key not in FORMS:
            problems.append(_problem(task, f"表单“{key}”不存在"))
        for name in ("step", "stage"):
            if props.get(name) and not props[name].isdigit():
                problems.append(_problem(task, f"属性 {name} 须为正整数，现为“{props[name]}”"))
        if task.get("id") not in laned:
            problems.append(_problem(task, "用户任务不在任何泳道中，无法确定由哪个角色办理"))
        problems += [_problem(task, f"期限属性：{message}") for message in property_problems(props)]
    return problems


def _edit_tasks(process) -> list:
    return [task for task in process.iterfind(".//bpmn:userTask", NS) if not properties(task).get("reviewOf")]


def _check_data_keys(process) -> list[Problem]:
    # Each edit task keeps its form data under its own key: two tasks sharing one would overwrite each
    # other's data, and a key the rules or the engine use would corrupt the instance.
    problems, seen = [], {}
    tasks = {task.get("id") for task in process.iterfind(".//bpmn:userTask", NS)}
    for task in process.iterfind(".//bpmn:userTask", NS):
        review_of = properties(task).get("reviewOf")
        if review_of and review_of not in tasks:
            problems.append(_problem(task, f"reviewOf 指向的用户任务“{review_of}”不存在，审核的数据无从找到"))
    for task in _edit_tasks(process):
        props = properties(task)
        key = props.get("dataKey") or default_data_key(props.get("formKey", ""))
        if not key:
            problems.append(_problem(task, "用户任务没有指定数据键（dataKey），表单数据无处保存"))
        elif not _DATA_KEY.match(key) or key in _RESERVED_KEYS:
            problems.append(_problem(task, f"数据键（dataKey）“{key}”须以字母开头、只含字母数字和下划线，"
                                           f"且不能是 {'、'.join(sorted(_RESERVED_KEYS))}"))
        elif key in seen:
            problems.append(_problem(task, f"数据键（dataKey）“{key}”与用户任务 {seen[key]} 相同，两步的数据会互相覆盖"))
        else:
            seen[key] = task.get("id")
    return problems


def _check_required(process) -> list[Problem]:
    present = {properties(task).get("formKey", "") for task in _edit_tasks(process)}
    where = (process.get("id") or "", process.get("name") or "")
    problems = [Problem(*where, f"缺少细则规定的步骤“{name}”（表单 {key}）：可以增加步骤、修改名称和规则，"
                                f"但不能删除细则规定的25个步骤")
                for key, name in REQUIRED_FORMS.items() if key not in present]
    fed = {fact for key in present for fact in feeds(key).values()}
    for fact in (*PERSON_COLUMNS, *CHECK_FACTS):
        if fact not in fed:
            problems.append(Problem(*where, f"没有用户任务的表单提供“{fact}”，人员信息和逻辑校验需要它"
                                            f"（提供它的表单：{'、'.join(forms_feeding(fact)) or '无'}）"))
    return problems


def _check_lanes(process) -> list[Problem]:
    roles = "、".join(LANE_ROLES)
    return [_problem(lane, f"泳道“{lane.get('name') or ''}”不是系统中的角色（可用：{roles}）")
            for lane in process.iterfind(".//bpmn:lane", NS) if (lane.get("name") or "") not in LANE_ROLES]


def _refusals(code: str, mode: str) -> list[str]:
    """What the restricted evaluator would refuse only at run time: imports, calls of unknown functions, and
    literals that make a range, a repetition or a power huge (``sum(range(10**11))``)."""
    tree = ast.parse(code, mode=mode)
    messages = [f"计算量过大：{message}" for message in expressions.size_problems(code, mode)]
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
        messages.append("不允许 import")
    called = sorted({node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                     and isinstance(node.func, ast.Name) and node.func.id not in expressions.CALLABLE_NAMES})
    if called:
        allowed = "、".join(sorted(expressions.CALLABLE_NAMES))
        messages.append(f"调用了不允许的函数 {'、'.join(called)}（可用：{allowed}）")
    return messages


def _check_code(element, code: str, kind: str) -> list[Problem]:
    compile_ = expressions.compile_expression if kind == "条件" else expressions.compile_script
    try:
        compile_(code)
        refused = _refusals(code, "eval" if kind == "条件" else "exec")
    except (expressions.ExpressionError, SyntaxError) as exc:
        return [_problem(element, f"{kind}无法在受限环境中编译：{exc}")]
    return [_problem(element, f"{kind}{message}") for message in refused]


def _check_expressions(process) -> list[Problem]:
    problems = []
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None and (condition.text or "").strip():
            problems += _check_code(flow, condition.text.strip(), "条件")
    for task in process.iterfind(".//bpmn:scriptTask", NS):
        script = task.find("bpmn:script", NS)
        problems += _check_code(task, script.text if script is not None and script.text else "", "脚本")
    return problems


def _check_reachable(process) -> list[Problem]:
    nodes = {el.get("id"): el for el in process if el.tag in _NODE_TAGS}
    edges: dict[str, list[str]] = {}
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        edges.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    for node in nodes.values():
        if node.get("attachedToRef"):  # a boundary event is reached with the task it sits on
            edges.setdefault(node.get("attachedToRef"), []).append(node.get("id"))
    seen = set()
    todo = [i for i, el in nodes.items() if el.tag == f"{{{BPMN_NS}}}startEvent"]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(edges.get(current, []))
    return [_problem(el, "从开始事件无法到达该元素") for i, el in nodes.items() if i not in seen]

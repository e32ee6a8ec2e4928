"""Checks of bpmn/development.bpmn, the development (发展党员) process diagram.

The diagram is parsed, run and saved by the application's own engine wrapper (app/workflow/engine.py), so
its conditions and scripts run in the application's restricted evaluator (app/workflow/expressions.py)
with exactly the helpers the app offers a designer; nothing here rebuilds a copy of either. A failure here
is a failure of the diagram as the application runs it.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from lxml import etree

from app.workflow import engine, expressions
from app.workflow.expressions import add_years, span_days
from forms import REQUIRED_FORMS, default_data_key

BPMN_FILE = Path(__file__).resolve().parent.parent / "bpmn" / "development.bpmn"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}

# (step, task id, manual's name)
STEPS = [
    (1, "step01_application", "递交入党申请书"),
    (2, "step02_talk", "党组织派人谈话"),
    (3, "step03_activist", "推荐和确定入党积极分子"),
    (4, "step04_activist_publicity", "入党积极分子公示、备案"),
    (5, "step05_contacts", "指定培养联系人"),
    (6, "step06_activist_training", "入党积极分子培养教育考察"),
    (7, "step07_candidate", "确定发展对象人选"),
    (8, "step08_candidate_publicity", "发展对象备案、公示"),
    (9, "step09_introducers", "确定入党介绍人"),
    (10, "step10_political_review", "对发展对象进行政治审查"),
    (11, "step11_training", "对发展对象进行短期集中培训"),
    (12, "step12_branch_committee_review", "支部委员会审查"),
    (13, "step13_committee_prereview", "基层党委预审"),
    (14, "step14_application_form", "填写入党志愿书"),
    (15, "step15_admission_meeting", "拟接收预备党员公示、支部大会讨论"),
    (16, "step16_talk", "指派专人与发展对象谈话"),
    (17, "step17_committee_approval", "党委审批预备党员"),
    (18, "step18_filing", "上级党委组织部门备案"),
    (19, "step19_assignment", "编入党支部和党小组"),
    (20, "step20_oath", "入党宣誓"),
    (21, "step21_probation_education", "继续教育考察"),
    (22, "step22_full_membership_application", "预备党员提出转正申请"),
    (23, "step23_full_membership_meeting", "支部大会讨论预备党员转正"),
    (24, "step24_full_membership_approval", "上级党委审批"),
    (25, "step25_archive", "入党材料归档"),
]
EDIT_IDS = [tid for _, tid, _ in STEPS]
STEP_OF = {tid: n for n, tid, _ in STEPS}
REVIEWED = [2, 3, 6, 7, 11, 18, 25]
REVIEW_IDS = ["step%02d_review" % n for n in REVIEWED]
EDIT_OF_REVIEW = {"step%02d_review" % n: STEPS[n - 1][1] for n in REVIEWED}
PUBLICITY_STEPS = [4, 8, 15, 17, 23]


def stage_of(n):
    return 1 if n <= 2 else 2 if n <= 6 else 3 if n <= 11 else 4 if n <= 18 else 5


def category_of(n):
    if n <= 3:
        return "入党申请人"
    if n <= 7:
        return "入党积极分子"
    if n <= 17:
        return "发展对象"
    if n <= 24:
        return "预备党员"
    return "正式党员"


STAGE_NAMES = {
    1: "申请入党",
    2: "入党积极分子的确定和培养教育",
    3: "发展对象的确定和考察",
    4: "预备党员的接收",
    5: "预备党员的教育、考察和转正",
}


@pytest.fixture(scope="module")
def xml_bytes():
    return BPMN_FILE.read_bytes()


@pytest.fixture(scope="module")
def tree(xml_bytes):
    return etree.fromstring(xml_bytes)


@pytest.fixture(scope="module")
def parsed(xml_bytes):
    return engine.parse(xml_bytes, "development")


@pytest.fixture
def new_wf(xml_bytes):
    def make():
        return engine.start(xml_bytes, "development")

    return make


# ----------------------------------------------------------------------------- valid data


def valid_data():
    """Form data for every step, dates in order, each rule satisfied."""
    pub = lambda s, e: {"publicity_start": s, "publicity_end": e, "publicity_result": "通过"}  # noqa: E731
    votes = {"voters_total": 20, "voters_present": 18, "votes_for": 17}
    d = {
        "step01": {"apply_date": "2020-01-10"},
        "step02": {"talk_date": "2020-02-01"},
        "step03": {"activist_date": "2020-03-01", "double_recommend_date": "2020-02-25"},
        "step04": dict(pub("2020-03-02", "2020-03-08"), filing_date="2020-03-09"),
        "step05": {"contacts": ["张三", "李四"], "assign_date": "2020-03-10"},
        "step06": {"contact_opinions": [{"date": "2020-09-01"}, {"date": "2021-02-01"}],
                   "branch_opinions": [{"date": "2020-09-02"}, {"date": "2021-02-02"}]},
        "step07": {"candidate_date": "2021-03-01"},
        "step08": dict(pub("2021-03-05", "2021-03-11")),
        "step09": {"introducers": ["王五", "赵六"]},
        "step10": {"review_result": "合格", "review_date": "2021-04-01"},
        "step11": {"start_date": "2021-04-10", "end_date": "2021-04-12", "hours": 24},
        "step12": {"meeting_date": "2021-05-01"},
        "step13": {"review_date": "2021-05-10", "prereview_result": "同意"},
        "step14": {"form_date": "2021-05-20"},
        "step15": dict(pub("2021-06-01", "2021-06-07"), meeting_date="2021-06-10", **votes),
        "step16": {"talk_date": "2021-06-15"},
        "step17": dict(pub("2021-07-01", "2021-07-07"), approval_date="2021-07-08", approval_result="批准"),
        "step18": {"filing_date": "2021-07-15"},
        "step19": {"assign_date": "2021-07-16"},
        "step20": {"oath_date": "2021-07-20"},
        "step21": {"education": [{"date": "2021-12-01"}, {"date": "2022-05-01"}]},
        "step22": {"apply_date": "2022-06-11"},
        "step23": dict(pub("2022-06-12", "2022-06-18"), meeting_date="2022-06-20", conclusion="按期转正", **votes),
        "step24": {"approval_date": "2022-07-01", "conclusion": "按期转正"},
        "step25": {"archive_date": "2022-07-10"},
    }
    assert sorted(d) == ["step%02d" % n for n in range(1, 26)]
    return d


# ----------------------------------------------------------------------------- driving


def ready_task(wf, with_data=False):
    ready = engine.ready_tasks(wf, with_data=with_data)
    assert len(ready) == 1, [t.name for t in ready]
    return ready[0]


def ready_name(wf):
    return ready_task(wf).name


def complete_edit(wf, expected, form):
    task = ready_task(wf)
    assert task.name == expected and not task.is_review
    # The diagram declares where the task keeps its data (dataKey); the rules read it from there.
    engine.complete(wf, task.id, {task.data_key: form, "rule_errors": {}})


def complete_review(wf, expected, decision):
    task = ready_task(wf)
    assert task.name == expected and task.is_review
    engine.complete(wf, task.id, {"decision": decision,
                                  "review_opinion": "同意" if decision == "approve" else "材料不全，退回修改"})


def step_once(wf, data, trail=None):
    """Complete whatever is ready with valid data / approval."""
    name = ready_name(wf)
    if trail is not None:
        trail.append(name)
    if name in EDIT_OF_REVIEW:
        complete_review(wf, name, "approve")
    else:
        complete_edit(wf, name, data["step%02d" % STEP_OF[name]])


def advance_to(wf, target, data=None):
    data = data or valid_data()
    for _ in range(100):
        if ready_name(wf) == target:
            return
        step_once(wf, data)
    raise AssertionError("never reached %s" % target)


# ----------------------------------------------------------------------------- structure


def test_parses_with_process_name_and_lanes(parsed, tree):
    spec, _ = parsed
    process = tree.find("bpmn:process", NS)
    assert process.get("id") == "development"
    assert process.get("name") == "发展党员流程"
    assert process.get("isExecutable") == "true"
    lanes = {lane.get("id"): lane.get("name") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)}
    assert lanes == {"lane_branch": "党支部", "lane_committee": "基层党委"}
    participant = tree.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == "development"


def test_edit_tasks_properties_and_lane(parsed):
    spec, _ = parsed
    deadlines = {}
    for n, tid, name in STEPS:
        ts = spec.task_specs[tid]
        assert ts.manual, tid
        assert ts.bpmn_name == name
        assert ts.lane == "党支部", tid
        props = dict(ts.extensions["properties"])
        due = {k: props.pop(k) for k in ("dueRule", "dueFrom", "dueIn") if k in props}
        # R03: the talk a pre-2014 application passes by says why (shown as 已跳过)
        skip = {"skipReason": "申请入党日期早于2014年5月28日，不需要党组织派人谈话（R03）"} if n == 2 else {}
        assert props == {
            "formKey": tid, "dataKey": "step%02d" % n, "step": str(n), "stage": str(stage_of(n)),
            "category": category_of(n), **skip}, tid
        # deadlines (app/deadlines) are declared on the tasks whose rule has one, complete when present
        assert len(due) in (0, 3), tid
        if due:
            deadlines[due["dueRule"]] = tid
        # a version deployed before tasks declared dataKey finds the same data through the form
        assert default_data_key(tid) == "step%02d" % n
    # the steps activation insists on are exactly the 25 steps of the 细则, by the manual's names
    assert REQUIRED_FORMS == {tid: name for _, tid, name in STEPS}
    assert sorted(deadlines) == ["R02", "R07", "R13", "R14", "R15"]


def test_review_tasks_properties_and_lane(parsed):
    spec, _ = parsed
    for n in REVIEWED:
        rid = "step%02d_review" % n
        edit_id, edit_name = STEPS[n - 1][1], STEPS[n - 1][2]
        ts = spec.task_specs[rid]
        assert ts.manual
        assert ts.bpmn_name == "审核：" + edit_name
        assert ts.lane == "基层党委"
        assert ts.extensions == {"properties": {
            "formKey": "review", "step": str(n), "stage": str(stage_of(n)),
            "category": category_of(n), "reviewOf": edit_id}}


def test_no_other_user_tasks(tree):
    ids = {t.get("id") for t in tree.iterfind(".//bpmn:userTask", NS)}
    assert ids == set(EDIT_IDS) | set(REVIEW_IDS)


def test_every_flow_node_in_exactly_one_lane(tree):
    process = tree.find("bpmn:process", NS)
    refs = [r.text for r in process.iterfind("bpmn:laneSet/bpmn:lane/bpmn:flowNodeRef", NS)]
    assert len(refs) == len(set(refs))
    nodes = {el.get("id") for el in process
             if isinstance(el.tag, str) and etree.QName(el).localname not in
             ("laneSet", "sequenceFlow", "documentation", "group", "extensionElements")}
    assert set(refs) == nodes


def test_gateways_defaults_and_conditions(tree):
    process = tree.find("bpmn:process", NS)
    flows = {f.get("id"): f for f in process.iterfind("bpmn:sequenceFlow", NS)}
    outgoing, incoming = {}, {}
    for f in flows.values():
        outgoing.setdefault(f.get("sourceRef"), []).append(f)
        incoming.setdefault(f.get("targetRef"), []).append(f)
    for gw in process.iterfind("bpmn:exclusiveGateway", NS):
        outs = outgoing[gw.get("id")]
        if len(outs) > 1:
            default = gw.get("default")
            assert default in {f.get("id") for f in outs}, gw.get("id")
            for f in outs:
                has_cond = f.find("bpmn:conditionExpression", NS) is not None
                assert has_cond == (f.get("id") != default), f.get("id")
    # loops come back through an explicit merge: every task has one way in and one way out
    for kind in ("userTask", "scriptTask"):
        for t in process.iterfind("bpmn:" + kind, NS):
            assert len(incoming[t.get("id")]) == 1, t.get("id")
            assert len(outgoing[t.get("id")]) == 1, t.get("id")
    # every condition and script compiles in the application's restricted evaluator
    for c in process.iterfind(".//bpmn:conditionExpression", NS):
        expressions.compile_expression(c.text)
    for s in process.iterfind(".//bpmn:script", NS):
        expressions.compile_script(s.text)


def test_stage_groups(tree):
    process = tree.find("bpmn:process", NS)
    values = {v.get("id"): v.get("value") for v in tree.iterfind("bpmn:category/bpmn:categoryValue", NS)}
    groups = [g.get("categoryValueRef") for g in process.iterfind("bpmn:group", NS)]
    assert len(groups) == 5
    labels = [values[ref] for ref in groups]
    for st, name in STAGE_NAMES.items():
        assert any(label.endswith(name) for label in labels), name


def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def test_diagram_interchange_complete(tree):
    process = tree.find("bpmn:process", NS)
    plane = tree.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == tree.find("bpmn:collaboration", NS).get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.iterfind("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.iterfind("bpmndi:BPMNEdge", NS)}

    for extra in ["Participant_development", "lane_branch", "lane_committee"]:
        assert extra in shapes and _bounds(shapes[extra])[2] > 0
    for g in process.iterfind("bpmn:group", NS):
        assert g.get("id") in shapes

    lane_of = {r.text: r.getparent().get("id")
               for r in process.iterfind("bpmn:laneSet/bpmn:lane/bpmn:flowNodeRef", NS)}
    node_bounds = {}
    for node_id, lane_id in lane_of.items():
        assert node_id in shapes, node_id
        x, y, w, h = node_bounds[node_id] = _bounds(shapes[node_id])
        assert w > 0 and h > 0
        lx, ly, lw, lh = _bounds(shapes[lane_id])
        assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (node_id, lane_id)

    # no two flow nodes overlap
    items = list(node_bounds.items())
    for i, (a, (ax, ay, aw, ah)) in enumerate(items):
        for b, (bx, by, bw, bh) in items[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)

    def on_border(pt, box):
        x, y, w, h = box
        px, py = pt
        return x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1

    for f in process.iterfind("bpmn:sequenceFlow", NS):
        fid = f.get("id")
        assert fid in edges, fid
        pts = [(float(p.get("x")), float(p.get("y"))) for p in edges[fid].iterfind("di:waypoint", NS)]
        assert len(pts) >= 2, fid
        assert on_border(pts[0], node_bounds[f.get("sourceRef")]), fid
        assert on_border(pts[-1], node_bounds[f.get("targetRef")]), fid
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
            assert x1 == x2 or y1 == y2, fid  # orthogonal routing


# ----------------------------------------------------------------------------- behaviour


def test_helpers():
    assert span_days("2020-03-01", "2020-03-07") == 7
    assert add_years("2020-03-01", 1) == "2021-03-01"
    assert add_years("2020-02-29", 1) == "2021-02-28"
    # the helpers the diagram calls are the ones the evaluator offers
    assert {"span_days", "add_years"} <= set(expressions.HELPERS)


def test_happy_path_visits_all_steps_in_order(new_wf):
    wf = new_wf()
    data = valid_data()
    trail = []
    for _ in range(100):
        if engine.is_completed(wf):
            break
        step_once(wf, data, trail)
    assert engine.is_completed(wf)
    assert [t for t in trail if t in STEP_OF] == EDIT_IDS
    assert [t for t in trail if t in EDIT_OF_REVIEW] == REVIEW_IDS
    # each review comes right after the step it reviews
    for rid, edit_id in EDIT_OF_REVIEW.items():
        assert trail[trail.index(rid) - 1] == edit_id
    assert len(trail) == 32
    assert "end_event" in engine.trail(wf)["done"]
    assert engine.completed_tasks(wf)[-1].data["step25"] == data["step25"]


@pytest.mark.parametrize("apply_date, expected", [
    ("2014-05-27", "step03_activist"),
    ("2014-05-28", "step02_talk"),
    ("2013-01-01", "step03_activist"),
    ("2020-01-10", "step02_talk"),
])
def test_r03_skip_talk_before_2014_05_28(new_wf, apply_date, expected):
    wf = new_wf()
    complete_edit(wf, "step01_application", {"apply_date": apply_date})
    assert ready_name(wf) == expected


def test_r03_skipped_path_reaches_the_end(new_wf):
    wf = new_wf()
    data = valid_data()
    data["step01"] = {"apply_date": "2014-05-27"}
    complete_edit(wf, "step01_application", data["step01"])
    trail = []
    for _ in range(100):
        if engine.is_completed(wf):
            break
        step_once(wf, data, trail)
    assert engine.is_completed(wf)
    assert "step02_talk" not in trail and "step02_review" not in trail
    assert trail[0] == "step03_activist"


@pytest.mark.parametrize("n", PUBLICITY_STEPS)
def test_r05_short_publicity_loops_back(new_wf, n):
    tid = STEPS[n - 1][1]
    key = "step%02d" % n
    wf = new_wf()
    data = valid_data()
    advance_to(wf, tid, data)
    short = dict(data[key], publicity_end=(datetime.date.fromisoformat(data[key]["publicity_start"])
                                           + datetime.timedelta(days=5)).isoformat())
    assert span_days(short["publicity_start"], short["publicity_end"]) == 6
    complete_edit(wf, tid, short)
    task = ready_task(wf, with_data=True)
    assert task.name == tid
    assert task.data["rule_errors"] == {"publicity_end": "公示时间不得少于7天"}
    assert task.data[key] == short  # the user's input is kept
    complete_edit(wf, tid, data[key])
    assert ready_name(wf) != tid
    assert ready_task(wf, with_data=True).data["rule_errors"] == {}


@pytest.mark.parametrize("rid", REVIEW_IDS)
def test_reject_loops_back_then_approve_goes_on(new_wf, rid):
    edit_id = EDIT_OF_REVIEW[rid]
    key = "step%02d" % STEP_OF[edit_id]
    wf = new_wf()
    data = valid_data()
    advance_to(wf, rid, data)
    complete_review(wf, rid, "reject")
    task = ready_task(wf, with_data=True)
    assert task.name == edit_id
    assert task.data[key] == data[key]  # previous data kept for editing
    complete_edit(wf, edit_id, data[key])
    assert ready_name(wf) == rid
    complete_review(wf, rid, "approve")
    if rid == "step25_review":
        assert engine.is_completed(wf)
    else:
        nxt = ready_name(wf)
        assert nxt in STEP_OF and STEP_OF[nxt] == STEP_OF[edit_id] + 1


def test_r04_needs_a_recommendation(new_wf):
    wf = new_wf()
    data = valid_data()
    advance_to(wf, "step03_activist", data)
    complete_edit(wf, "step03_activist", {"activist_date": "2020-03-01"})
    task = ready_task(wf, with_data=True)
    assert task.name == "step03_activist"
    assert task.data["rule_errors"] == {"double_recommend_date": "“双推”会议和群团组织推优至少要录入一项"}
    complete_edit(wf, "step03_activist", {"activist_date": "2020-03-01", "double_recommend_date": ""})
    assert ready_name(wf) == "step03_activist"
    complete_edit(wf, "step03_activist", {"activist_date": "2020-03-01", "league_recommend_date": "2020-02-20"})
    assert ready_name(wf) == "step03_review"


def test_r07_needs_two_opinions_each(new_wf):
    wf = new_wf()
    data = valid_data()
    advance_to(wf, "step06_activist_training", data)
    for bad in ({"contact_opinions": [{"date": "2020-09-01"}], "branch_opinions": data["step06"]["branch_opinions"]},
                {"contact_opinions": data["step06"]["contact_opinions"], "branch_opinions": [{"date": "2020-09-02"}]},
                {}):
        complete_edit(wf, "step06_activist_training", bad)
        task = ready_task(wf, with_data=True)
        assert task.name == "step06_activist_training"
        assert task.data["rule_errors"] == {"contact_opinions": "培养联系人考察意见、党支部考察意见须分别录入两条以上"}
    complete_edit(wf, "step06_activist_training", data["step06"])
    assert ready_name(wf) == "step06_review"


def test_r08_one_year_between_activist_and_candidate(new_wf):
    wf = new_wf()
    data = valid_data()
    advance_to(wf, "step07_candidate", data)
    complete_edit(wf, "step07_candidate", {"candidate_date": "2021-02-28"})
    task = ready_task(wf, with_data=True)
    assert task.name == "step07_candidate"
    assert task.data["rule_errors"] == {"candidate_date": "确定为发展对象须在确定为入党积极分子满一年之后"}
    complete_edit(wf, "step07_candidate", {"candidate_date": "2021-03-01"})
    assert ready_name(wf) == "step07_review"


def test_restricted_environment_refuses_escape():
    with pytest.raises(Exception):
        expressions.evaluate("().__class__", {})
    with pytest.raises(Exception):
        expressions.evaluate("__import__('os')", {})


def test_serialization_round_trip_mid_process(new_wf, parsed):
    spec, _ = parsed
    wf = new_wf()
    data = valid_data()
    advance_to(wf, "step07_review", data)
    wf2 = engine.loads(engine.dumps(wf))
    task = ready_task(wf2)
    assert task.name == "step07_review"
    assert task.lane == "基层党委"
    assert task.review_of == "step07_candidate"
    assert spec.task_specs["step07_review"].extensions["properties"]["reviewOf"] == "step07_candidate"
    complete_review(wf2, "step07_review", "reject")
    assert ready_name(wf2) == "step07_candidate"

"""Process designers: validation (each failure names its element), deploy and activate, versions kept per
instance, migration allowed and refused, comparison, and the operations log."""
import io
import re

import pytest
import sqlalchemy as sa

from app.designer import diff, validation
from app.events.models import Event, OperationLog
from app.extensions import db
from app.people.models import Person
from app.workflow import engine, services, simulate
from app.workflow.models import ProcessInstance, ProcessVersion
from app.workflow.versions import BPMN_DIR
from tests.conftest import csrf_token, login

SEVEN = b"span_days(step04['publicity_start'], step04['publicity_end']) &gt;= 7"
FIVE = b"span_days(step04['publicity_start'], step04['publicity_end']) &gt;= 5"


def _diagram() -> bytes:
    with open(f"{BPMN_DIR}/development.bpmn", "rb") as fh:
        return fh.read()


def _replace(old, new, xml: bytes | None = None) -> bytes:
    xml = _diagram() if xml is None else xml
    old, new = (v.encode() if isinstance(v, str) else v for v in (old, new))
    assert old in xml, old
    return xml.replace(old, new, 1)


def _rename_task(xml: bytes, old: str, new: str) -> bytes:
    """Rename a task's BPMN id everywhere it is referenced (the form key stays)."""
    for pattern in ('id="{}"', 'sourceRef="{}"', 'targetRef="{}"', 'bpmnElement="{}"', '>{}<', 'reviewOf" value="{}"'):
        xml = xml.replace(pattern.format(old).encode(), pattern.format(new).encode())
    return xml


# --- validation ---------------------------------------------------------------------------------------------------

def test_the_bundled_diagram_passes_validation():
    assert validation.validate(_diagram(), "development") == []


@pytest.mark.parametrize("make, element_id, message", [
    (lambda: b"<bpmn:definitions", "", "XML 无法解析"),
    (lambda: _diagram(), "other_process", "没有 id 为 other_process 的流程"),
    # SpiffWorkflow refuses a non-default gateway exit without a condition.
    (lambda: _replace(b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">step01[\'apply_date\'] &lt; \'2014-05-28\'</bpmn:conditionExpression>', b""),
     "development", "流程引擎拒绝"),
    (lambda: _replace(b'<spiffworkflow:property name="formKey" value="step02_talk"/>', b""),
     "step02_talk", "没有指定表单"),
    (lambda: _replace(b'value="step02_talk"', b'value="step02_no_such_form"'), "step02_talk",
     "表单“step02_no_such_form”不存在"),
    (lambda: _replace('name="基层党委"', 'name="宣传部"'), "lane_committee", "不是系统中的角色"),
    (lambda: _replace(b"<bpmn:flowNodeRef>step02_talk</bpmn:flowNodeRef>", b""), "step02_talk", "不在任何泳道"),
    (lambda: _replace(SEVEN, b"span_days(step04['publicity_start'], "), "flow_step04_r05_gw_to_step04_r24_gw",
     "条件无法在受限环境中编译"),
    (lambda: _replace(SEVEN, b"__import__('os').system('id') == 0"), "flow_step04_r05_gw_to_step04_r24_gw",
     "条件无法在受限环境中编译"),
    (lambda: _replace(SEVEN, b"open('/etc/passwd').read() != ''"), "flow_step04_r05_gw_to_step04_r24_gw",
     "不允许的函数 open"),
    (lambda: _replace(b"<bpmn:script>rule_errors = {'publicity_end'",
                      b"<bpmn:script>import os\nrule_errors = {'publicity_end'"),
     "step04_r05_error", "脚本不允许 import"),
    (lambda: _replace(b'<bpmn:exclusiveGateway id="step02_merge">',
                      '<bpmn:task id="orphan_task" name="孤立的任务"/><bpmn:exclusiveGateway id="step02_merge">'),
     "orphan_task", "从开始事件无法到达"),
], ids=["xml", "process", "spiff", "no-form", "unknown-form", "lane", "no-lane", "condition-syntax",
        "condition-import", "condition-open", "script-import", "unreachable"])
def test_each_validation_failure_names_its_element(make, element_id, message):
    process_id = "other_process" if element_id == "other_process" else "development"
    problems = validation.validate(make(), process_id)
    assert problems, "expected the diagram to be refused"
    matching = [p for p in problems if message in p.message]
    assert matching, [str(p) for p in problems]
    assert element_id in {p.element_id for p in matching}, [str(p) for p in problems]


def _delete_task(task_id: str, xml: bytes | None = None) -> bytes:
    """Delete a user task the way a designer does in the modeler: the task, its shape, its lane entry and its
    outgoing flow go, and the flow that led into it now leads where the task led."""
    from lxml import etree

    from app.workflow.diagram import NS
    root = etree.fromstring(_diagram() if xml is None else xml)
    task = root.find(f".//bpmn:userTask[@id='{task_id}']", NS)
    process = task.getparent()
    incoming, outgoing = task.find("bpmn:incoming", NS).text, task.find("bpmn:outgoing", NS).text
    out_flow = process.find(f"bpmn:sequenceFlow[@id='{outgoing}']", NS)
    target = process.find(f"*[@id='{out_flow.get('targetRef')}']", NS)
    process.find(f"bpmn:sequenceFlow[@id='{incoming}']", NS).set("targetRef", target.get("id"))
    next(el for el in target.findall("bpmn:incoming", NS) if el.text == outgoing).text = incoming
    for element in [task, out_flow, *root.iterfind(".//bpmn:flowNodeRef", NS)]:
        if element is task or element is out_flow or element.text == task_id:
            element.getparent().remove(element)
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS) if False else root.iter("{*}BPMNShape", "{*}BPMNEdge"):
        if shape.get("bpmnElement") in (task_id, outgoing):
            shape.getparent().remove(shape)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_deleting_a_required_step_is_refused_naming_it():
    xml = _delete_task("step05_contacts")
    engine.parse(xml, "development")             # a well-formed diagram: only the procedure's rule refuses it
    problems = validation.validate(xml, "development")
    assert [p.message for p in problems] == [
        "缺少细则规定的步骤“指定培养联系人”（表单 step05_contacts）：可以增加步骤、修改名称和规则，但不能删除细则规定的25个步骤"]
    assert problems[0].element_id == "development"


def test_a_diagram_without_the_form_a_check_reads_is_refused():
    # Step 2's form replaced by step 16's (also a talk): nothing records 谈话日期 for R02 any more.
    xml = _replace(b'<spiffworkflow:property name="formKey" value="step02_talk"/>',
                   b'<spiffworkflow:property name="formKey" value="step16_talk"/>')
    messages = [p.message for p in validation.validate(xml, "development")]
    assert any("“党组织派人谈话”" in m for m in messages), messages
    assert any("没有用户任务的表单提供“talk_date”" in m and "step02_talk" in m for m in messages), messages


@pytest.mark.parametrize("new_value, message", [
    (b"step03", "与用户任务 step03_activist 相同"),
    (b"rule_errors", "不能是"),
    (b"2bad", "须以字母开头"),
])
def test_each_edit_task_keeps_its_data_under_its_own_key(new_value, message):
    xml = _replace(b'<spiffworkflow:property name="dataKey" value="step05"/>',
                   b'<spiffworkflow:property name="dataKey" value="' + new_value + b'"/>')
    problems = [p for p in validation.validate(xml, "development") if "数据键" in p.message]
    assert [p.element_id for p in problems] == ["step05_contacts"] and message in problems[0].message


def test_a_designer_may_add_a_step_and_relabel_one():
    xml = _replace('name="指定培养联系人"', 'name="指定培养联系人（两名正式党员）"')
    # A second 培养联系人 step after step 5, on the same form, keeping its data under a key of its own.
    xml = _replace(b'<bpmn:sequenceFlow id="flow_step05_contacts_to_step06_merge" sourceRef="step05_contacts" '
                   b'targetRef="step06_merge"/>',
                   '<bpmn:sequenceFlow id="flow_step05_contacts_to_step06_merge" sourceRef="step05_contacts" '
                   'targetRef="contacts_again"/>'
                   '<bpmn:userTask id="contacts_again" name="增补培养联系人"><bpmn:extensionElements>'
                   '<spiffworkflow:properties><spiffworkflow:property name="formKey" value="step05_contacts"/>'
                   '<spiffworkflow:property name="dataKey" value="contacts_again"/>'
                   '<spiffworkflow:property name="step" value="5"/></spiffworkflow:properties>'
                   '</bpmn:extensionElements><bpmn:incoming>flow_step05_contacts_to_step06_merge</bpmn:incoming>'
                   '<bpmn:outgoing>flow_contacts_again_to_step06_merge</bpmn:outgoing></bpmn:userTask>'
                   '<bpmn:sequenceFlow id="flow_contacts_again_to_step06_merge" sourceRef="contacts_again" '
                   'targetRef="step06_merge"/>', xml)
    xml = _replace(b'<bpmn:exclusiveGateway id="step06_merge">\n      <bpmn:incoming>flow_step05_contacts_to_step06_merge',
                   b'<bpmn:exclusiveGateway id="step06_merge">\n      <bpmn:incoming>flow_contacts_again_to_step06_merge',
                   xml)
    xml = _replace(b"<bpmn:flowNodeRef>step05_contacts</bpmn:flowNodeRef>",
                   b"<bpmn:flowNodeRef>step05_contacts</bpmn:flowNodeRef><bpmn:flowNodeRef>contacts_again"
                   b"</bpmn:flowNodeRef>", xml)
    assert validation.validate(xml, "development") == []
    assert "contacts_again" in {name for name, *_ in engine.user_task_specs(xml, "development")}


def test_a_version_without_data_keys_keeps_the_forms_defaults(app, demo):
    """Versions deployed before tasks declared dataKey still find their instances' data."""
    xml = re.sub(rb'\s*<spiffworkflow:property name="dataKey" value="\w+"/>', b"", _diagram())
    assert b"dataKey" not in xml.split(b"</bpmn:documentation>", 1)[1]
    assert validation.validate(xml, "development") == []
    version = ProcessVersion(process_id="development", version=99, bpmn_xml=xml, state="retired",
                             checksum=engine.checksum(xml))
    db.session.add(version)
    db.session.flush()
    keys = [s.data_key for s in services.step_catalogue(version.id)]
    assert keys == ["step%02d" % n for n in range(1, 26)]


def test_xxe_payload_reads_no_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    xml = _diagram().replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode())
    xml = xml.replace("<bpmn:documentation>发展党员纪实".encode(), "<bpmn:documentation>&xxe;发展党员纪实".encode())
    problems = validation.validate(xml, "development")
    assert [p.message for p in problems] == ["流程图不得包含 DOCTYPE 声明（外部实体已禁用）"]
    assert "TOP-SECRET" not in str(problems)
    with pytest.raises(engine.EngineError) as info:
        engine.parse(xml, "development")
    assert "TOP-SECRET" not in str(info.value)
    # Even without the DOCTYPE refusal, the parser itself leaves the entity unresolved.
    from lxml import etree
    root = etree.fromstring(xml, parser=validation.diagram._parser())
    assert b"TOP-SECRET" not in etree.tostring(root)


def test_a_condition_reading_a_file_is_refused_and_harmless_at_run_time(tmp_path):
    marker = tmp_path / "pwned"
    xml = _replace(b"tFormalExpression\">step01['apply_date'] &lt; '2014-05-28'",   # the R03 gateway's condition
                   b"tFormalExpression\">" + f"open('{marker}', 'w').write('x') == 1".encode())
    assert any("open" in p.message for p in validation.validate(xml, "development"))
    wf = engine.start(xml, "development")   # if it were deployed anyway, the evaluator still refuses it
    task = engine.ready_tasks(wf)[0]
    with pytest.raises(engine.EngineError):
        engine.complete(wf, task.id, {"step01": {"apply_date": "2020-01-01"}, "rule_errors": {}})
    assert not marker.exists()


# --- pages, deploy, activate --------------------------------------------------------------------------------------

@pytest.fixture
def designer(app, demo):
    client = app.test_client()
    login(client, demo.users["designer"])
    return client


def _upload(client, xml: bytes, comment="公示改为不少于5天", process_id="development"):
    return client.post("/designer/upload", data={
        "csrf_token": csrf_token(client, "/designer/"), "process_id": process_id, "comment": comment,
        "file": (io.BytesIO(xml), "development.bpmn")}, content_type="multipart/form-data")


def _activate(client, version_id):
    return client.post(f"/designer/versions/{version_id}/activate",
                       data={"csrf_token": csrf_token(client, f"/designer/versions/{version_id}")})


def _version(number: int) -> ProcessVersion:
    return db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.process_id == "development",
                                                             ProcessVersion.version == number))


def _deploy_and_activate(client, xml: bytes) -> ProcessVersion:
    response = _upload(client, xml)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    version_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = _activate(client, version_id)
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))
    db.session.expire_all()
    return db.session.get(ProcessVersion, version_id)


def test_only_designers_reach_the_designer_pages(app, demo, designer):
    assert designer.get("/designer/").status_code == 200
    other = app.test_client()
    login(other, demo.users["county_admin"])
    assert other.get("/designer/").status_code == 403
    assert other.get(f"/designer/versions/{_version(1).id}/download").status_code == 403
    token = csrf_token(other, "/process/new")
    assert other.post(f"/designer/versions/{_version(1).id}/activate", data={"csrf_token": token}).status_code == 403
    assert other.post("/designer/validate", data={"csrf_token": token, "xml": "<x/>"}).status_code == 403


def test_the_modeler_validate_button_reports_problems_without_storing(designer):
    token = csrf_token(designer, "/designer/")
    response = designer.post("/designer/validate", data={
        "csrf_token": token, "process_id": "development",
        "xml": _replace(b'value="step02_talk"', b'value="nope"').decode()})
    assert response.status_code == 200
    assert response.get_json()["problems"] == ["党组织派人谈话（step02_talk）：表单“nope”不存在"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)
                             .where(ProcessVersion.process_id == "development")) == 1


def test_upload_deploys_a_draft_and_activation_retires_the_old_version(designer, demo):
    page = designer.get("/designer/").get_data(as_text=True)
    assert "第 1 版" in page and "已启用" in page
    response = _upload(designer, _replace(SEVEN, FIVE))
    assert response.status_code == 303
    draft = _version(2)
    assert draft.state == "draft" and draft.author_id == demo.users["designer"].id
    assert draft.comment == "公示改为不少于5天" and draft.checksum == engine.checksum(draft.bpmn_xml)

    response = _activate(designer, draft.id)
    assert response.status_code == 303
    db.session.expire_all()
    assert (_version(1).state, _version(2).state) == ("retired", "active")
    assert _version(2).activated_at is not None
    logged = db.session.scalars(sa.select(OperationLog).where(OperationLog.action.like("process.%"))
                                .order_by(OperationLog.id)).all()
    assert [(row.action, row.target, row.actor_id) for row in logged] == [
        ("process.deploy", "development v2", demo.users["designer"].id),
        ("process.activate", "development v2", demo.users["designer"].id)]
    assert logged[1].detail["previous_version_ids"] == [_version(1).id]

    download = designer.get(f"/designer/versions/{draft.id}/download")
    assert download.status_code == 200 and download.data == _replace(SEVEN, FIVE)
    assert "attachment" in download.headers["Content-Disposition"]


def test_an_invalid_draft_cannot_be_activated(designer):
    bad = _replace(b'value="step02_talk"', b'value="nope"')
    response = _upload(designer, bad)
    assert response.status_code == 303
    response = _activate(designer, _version(2).id)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "表单“nope”不存在" in html and "step02_talk" in html
    db.session.expire_all()
    assert (_version(1).state, _version(2).state) == ("active", "draft")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog)
                             .where(OperationLog.action == "process.activate")) == 0


def test_an_upload_with_an_xxe_payload_is_refused(designer, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-43")
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
           '<bpmn:process id="development" name="&xxe;"/></bpmn:definitions>').encode()
    response = _upload(designer, xml)
    assert response.status_code == 422
    assert "DOCTYPE" in response.get_data(as_text=True) and "TOP-SECRET" not in response.get_data(as_text=True)
    assert _version(2) is None


def test_the_modeler_save_endpoint_creates_then_updates_a_draft(designer):
    v1 = _version(1)
    token = csrf_token(designer, f"/designer/versions/{v1.id}/edit")
    response = designer.post(f"/designer/versions/{v1.id}/save", data={
        "csrf_token": token, "xml": _replace(SEVEN, FIVE).decode(), "comment": "五天"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["version"] == 2 and body["problems"] == []
    again = designer.post(f"/designer/versions/{body['version_id']}/save", data={
        "csrf_token": token, "xml": _replace(SEVEN, b"1 +").decode(), "comment": ""})
    assert again.get_json()["version"] == 2 and again.get_json()["problems"]   # saved over the draft
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)
                             .where(ProcessVersion.process_id == "development")) == 2
    assert designer.post(f"/designer/versions/{v1.id}/save", data={"xml": "x"}).status_code == 400  # CSRF


def test_compare_lists_the_changed_condition(designer):
    xml = _replace(SEVEN, FIVE)
    xml = _replace(b'value="step05_contacts"/>', b'value="step05_contacts"/><spiffworkflow:property name="note" value="x"/>', xml)
    xml = _rename_task(xml, "step02_talk", "step02_talk_new")
    changes = {(c.element_id, c.change) for c in diff.compare(_diagram(), xml)}
    assert ("flow_step04_r05_gw_to_step04_r24_gw", "changed") in changes
    assert ("step02_talk", "removed") in changes and ("step02_talk_new", "added") in changes
    _upload(designer, _replace(SEVEN, FIVE))
    html = designer.get(f"/designer/compare?a={_version(1).id}&b={_version(2).id}").get_data(as_text=True)
    assert "flow_step04_r05_gw_to_step04_r24_gw" in html and "&gt;= 5" in html and "修改" in html


# --- versions per instance and migration ---------------------------------------------------------------------------

def _publicity(actor, person, days: int):
    """Submit step 4 with a publicity of ``days`` days (both ends counted)."""
    ctx = services.load(db.session.get(Person, person.id))
    task = next(t for t in ctx.ready if t.name == "step04_activist_publicity")
    sha = simulate.stored_sample_file(actor)
    data = simulate.sample("step04_activist_publicity", sha, publicity_start="2020-03-01",
                           publicity_end=f"2020-03-{days:02d}")
    services.act(actor, ctx, task.id, "submit", data)
    db.session.commit()


def _instance(person) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, db.session.get(Person, person.id).instance_id)


def test_running_instances_keep_their_version_while_new_ones_start_on_the_active_one(designer, demo, actors):
    old = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="老申请人")
    simulate.advance(old, actors, until_step=4)
    v2 = _deploy_and_activate(designer, _replace(SEVEN, FIVE))

    new = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 2, name="新申请人")
    simulate.advance(new, actors, until_step=4)
    assert _instance(old).process_version_id == _version(1).id
    assert _instance(new).process_version_id == v2.id

    _publicity(actors["branch_admin"], new, 5)            # 5 days suffice on version 2
    assert db.session.get(Person, new.id).current_step == 5
    with pytest.raises(services.RuleViolation) as info:    # version 1 still asks for 7
        _publicity(actors["branch_admin"], old, 5)
    db.session.rollback()
    assert "公示时间不得少于7天" in str(info.value.fields)


def test_migration_preview_migrate_and_back(designer, demo, actors):
    old = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="待迁移")
    simulate.advance(old, actors, until_step=4)
    v1 = _version(1)
    v2 = _deploy_and_activate(designer, _replace(SEVEN, FIVE))

    page = designer.get(f"/designer/versions/{v2.id}/migrate?from={v1.id}").get_data(as_text=True)
    assert f'data-person="{old.id}"' in page and "可以迁移" in page
    assert "待迁移" not in page  # the designer sees the record number, never the applicant's name
    response = designer.post(f"/designer/versions/{v2.id}/migrate", data={
        "csrf_token": csrf_token(designer, "/designer/"), "from": v1.id, "person_id": [str(old.id)],
        "scope": "selected"})
    assert response.status_code == 303
    instance = _instance(old)
    assert instance.process_version_id == v2.id
    event = db.session.scalar(sa.select(Event).where(Event.instance_id == instance.id, Event.action == "migrate"))
    assert event.data == {"from_version": v1.id, "to_version": v2.id,
                          "from_ref": engine.spec_ref(v1.bpmn_xml, "development"),
                          "to_ref": engine.spec_ref(v2.bpmn_xml, "development")}
    assert event.actor_id == demo.users["designer"].id
    log = db.session.scalar(sa.select(OperationLog).where(OperationLog.action == "process.migrate"))
    assert log.detail["person_ids"] == [old.id] and log.actor_id == demo.users["designer"].id
    # The inbox still offers the same step, now under the new version's rules.
    assert db.session.get(Person, old.id).current_task == "step04_activist_publicity"

    # Reversible: back to version 1 (retired), where 7 days are asked again.
    response = designer.post(f"/designer/versions/{v1.id}/migrate", data={
        "csrf_token": csrf_token(designer, "/designer/"), "from": v2.id, "scope": "all"})
    assert response.status_code == 303
    assert _instance(old).process_version_id == v1.id
    with pytest.raises(services.RuleViolation):
        _publicity(actors["branch_admin"], old, 5)
    db.session.rollback()

    # And forward again, where 5 days are enough.
    from app.designer import migration
    outcomes = migration.migrate(demo.users["designer"], v1, v2, [old.id])
    db.session.commit()
    assert [c.ok for c in outcomes] == [True]
    _publicity(actors["branch_admin"], old, 5)
    assert db.session.get(Person, old.id).current_step == 5
    assert [e.action for e in db.session.scalars(sa.select(Event).where(
        Event.instance_id == instance.id).order_by(Event.seq))].count("migrate") == 3


def test_migration_is_refused_when_the_current_or_a_completed_task_was_removed(designer, demo, actors):
    at_step4 = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="第四步")
    simulate.advance(at_step4, actors, until_step=4)
    at_step2 = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 2, name="第二步")
    simulate.advance(at_step2, actors, until_step=2)
    v1 = _version(1)
    # Version 2 renames step 3 (completed by the first, ahead of the second) and keeps the rest.
    v2 = _deploy_and_activate(designer, _rename_task(_diagram(), "step03_activist", "step03_activist_2026"))

    page = designer.get(f"/designer/versions/{v2.id}/migrate?from={v1.id}").get_data(as_text=True)
    rows = dict(re.findall(r'data-person="(\d+)" class="(movable|refused)"', page))
    assert rows == {str(at_step4.id): "refused", str(at_step2.id): "movable"}
    assert "已完成的任务“推荐和确定入党积极分子”（step03_activist）在新版本中已删除" in page
    # Per step: step 3 is gone from the new version; step 4 keeps its tasks but its instance is refused (for
    # the step it completed); step 2's instance can move.
    steps = dict(re.findall(r'<tr data-step="(\d+)" class="(movable|refused)"', page))
    assert steps["3"] == "refused" and steps["4"] == "refused" and steps["2"] == "movable" and steps["5"] == "movable"
    assert "目标版本中没有任务 step03_activist" in page

    response = designer.post(f"/designer/versions/{v2.id}/migrate", data={
        "csrf_token": csrf_token(designer, "/designer/"), "from": v1.id, "scope": "all"})
    assert response.status_code == 303
    assert _instance(at_step4).process_version_id == v1.id      # refused, untouched
    assert _instance(at_step2).process_version_id == v2.id      # moved
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.instance_id == _instance(at_step4).id, Event.action == "migrate")) == 0
    # The moved one later reaches the renamed step under its new id.
    simulate.advance(db.session.get(Person, at_step2.id), actors, until_step=3)
    assert db.session.get(Person, at_step2.id).current_task == "step03_activist_2026"


def test_engine_refuses_a_task_the_instance_stands_on_being_removed():
    wf = engine.start(_diagram(), "development")
    xml = _rename_task(_diagram(), "step01_application", "step01_new")
    engine.parse(xml, "development")
    with pytest.raises(engine.MigrationRefused, match="当前所处的任务.*step01_application"):
        engine.migrate(wf, engine.spec_ref(xml, "development"))
    other = _replace(b'<bpmn:process id="development"', b'<bpmn:process id="other"')
    other = other.replace(b'processRef="development"', b'processRef="other"')
    engine.parse(other, "other")
    with pytest.raises(engine.MigrationRefused, match="另一个流程"):
        engine.migrate(wf, engine.spec_ref(other, "other"))


def test_activating_a_diagram_without_a_required_step_is_refused(designer):
    assert _upload(designer, _delete_task("step05_contacts"), comment="删去第5步").status_code == 303
    response = _activate(designer, _version(2).id)
    assert response.status_code == 422
    assert "缺少细则规定的步骤“指定培养联系人”" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (_version(1).state, _version(2).state) == ("active", "draft")

"""人员信息 (manual §2.4): search, the four tabs, editing into the process, and 采集表 printing (§2.2)."""
import re

import pytest
import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.people.models import Person, PersonField
from app.workflow import engine, services, simulate
from tests.conftest import count, csrf_token, login
from tests.test_printing_pdf import embedded_fonts


@pytest.fixture
def world(app, demo):
    """One person in branch1 advanced to step 8 (stages 1-3 basic data entered), one in branch3 at step 2."""
    users = demo.users
    actors = {"branch_admin": users["branch1:branch_admin"], "committee_admin": users["committee1:committee_admin"]}
    wang = simulate.add_applicant(users["branch1:branch_admin"], demo.orgs["branch1"], 1, name="王小明")
    simulate.advance(wang, actors, until_step=8)
    li = simulate.add_applicant(users["branch3:branch_admin"], demo.orgs["branch3"], 2, name="李大红")
    return type("World", (), {"wang": wang, "li": li, "users": users, "orgs": demo.orgs})


def client_for(app, user):
    c = app.test_client()
    login(c, user)
    return c


def step_data(person, step_no):
    ctx = services.load(db.session.get(Person, person.id))
    return services.step_view(None, ctx, step_no).data


def test_search_by_name_and_id_number_within_scope(app, world):
    branch1 = client_for(app, world.users["branch1:branch_admin"])
    html = branch1.get("/people/info?q=小明").get_data(as_text=True)
    assert "王小明" in html and "李大红" not in html
    html = branch1.get("/people/info?q=" + world.wang.id_number[:10]).get_data(as_text=True)
    assert "王小明" in html
    assert "暂无数据" in branch1.get("/people/info?q=李大红").get_data(as_text=True)
    county = client_for(app, world.users["county:county_admin"])
    html = county.get("/people/info").get_data(as_text=True)
    assert "王小明" in html and "李大红" in html
    # Out of scope: 404, as if it did not exist.
    assert branch1.get(f"/people/{world.li.id}/info").status_code == 404
    assert branch1.get(f"/printing/person/{world.li.id}?stage=1").status_code == 404


def test_tabs_show_stages_reached(app, world):
    county = client_for(app, world.users["county:county_admin"])
    html = county.get(f"/people/{world.wang.id}/info?tab=2").get_data(as_text=True)
    assert "入党积极分子基本信息" in html and "籍贯（示例）" in html and world.wang.id_number in html
    html = county.get(f"/people/{world.wang.id}/info?tab=3").get_data(as_text=True)
    assert "发展对象基本信息" in html and "尚未进行到此阶段" not in html
    html = county.get(f"/people/{world.wang.id}/info?tab=4").get_data(as_text=True)
    assert "尚未进行到此阶段" in html
    html = county.get(f"/people/{world.li.id}/info?tab=2").get_data(as_text=True)
    assert "尚未进行到此阶段" in html


def _edit(client, person, tab, values):
    url = f"/people/{person.id}/info/{tab}/edit"
    page = client.get(url)
    assert page.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": csrf_token(client, url), "version": version, **values})


def test_edit_updates_the_process_projection_and_event(app, world):
    # Stage 3 (steps 7-11) is open: its closing review (step 11) is not approved yet.
    branch1 = client_for(app, world.users["branch1:branch_admin"])
    before = step_data(world.wang, 7)
    events = count(Event, Event.action == "amend")
    form = {name: before.get(name) or "" for name in ("native_place", "birthplace", "work_start_date", "education",
                                                      "job", "work_unit", "address")}
    form.update(native_place="山东宁阳", job="非公有制单位/企业管理人员")
    response = _edit(branch1, world.wang, 3, form)
    assert response.status_code == 303, re.findall(r"(?:error[^>]*>)([^<]+)", response.get_data(as_text=True))
    # The step's own task and every later task carry the new values (one source of truth).
    data = step_data(world.wang, 7)
    assert data["native_place"] == "山东宁阳" and data["candidate_date"] == before["candidate_date"]
    ctx = services.load(db.session.get(Person, world.wang.id))
    later = engine.ready_tasks(ctx.wf, with_data=True)
    assert later and all(t.data["step07"]["native_place"] == "山东宁阳" for t in later)
    # person.job mirrors the latest stage naming a 工作岗位 (step 7 here).
    assert db.session.get(Person, world.wang.id).job == "非公有制单位/企业管理人员"
    assert db.session.get(PersonField, (world.wang.id, "step07.job")).value_text == "非公有制单位/企业管理人员"
    assert db.session.get(PersonField, (world.wang.id, "step07.native_place")).value_text == "山东宁阳"
    assert count(Event, Event.action == "amend") == events + 1
    event = db.session.scalar(sa.select(Event).where(Event.action == "amend").order_by(Event.id.desc()))
    assert event.task_name == "step07_candidate"
    assert event.data["step07"]["native_place"] == "山东宁阳"
    assert event.data["before"]["native_place"] == before["native_place"]
    html = branch1.get(f"/people/{world.wang.id}/info?tab=3").get_data(as_text=True)
    assert "山东宁阳" in html


def test_edit_step1_name_before_any_approval_reaches_person_row_and_inbox(app, world):
    committee = client_for(app, world.users["committee2:committee_admin"])  # a higher admin may edit too
    data = step_data(world.li, 1)
    form = {k: data[k] for k in ("name", "id_number", "sex", "ethnicity", "birth_date", "education",
                                 "apply_date", "phone", "background")}
    form["name"] = "李小红"
    assert _edit(committee, world.li, 1, form).status_code == 303
    assert db.session.get(Person, world.li.id).name == "李小红"
    assert step_data(world.li, 1)["name"] == "李小红"
    assert step_data(world.li, 1)["org_id"] == world.orgs["branch3"].id  # not editable, kept


def test_bad_edit_is_refused_with_message_and_nothing_changes(app, world):
    branch3 = client_for(app, world.users["branch3:branch_admin"])
    data = step_data(world.li, 1)
    form = {k: data[k] for k in ("name", "id_number", "sex", "ethnicity", "birth_date", "education",
                                 "apply_date", "phone", "background")}
    form["id_number"] = "360426199101010072"  # wrong check digit
    form["name"] = "改了名字"
    events = count(Event)
    response = _edit(branch3, world.li, 1, form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-field="id_number"' in html and 'value="改了名字"' in html
    assert count(Event) == events and step_data(world.li, 1)["name"] == "李大红"
    # R18: another person's ID number.
    form["id_number"] = world.wang.id_number
    response = _edit(branch3, world.li, 1, form)
    assert response.status_code == 422 and "已存在" in response.get_data(as_text=True)


def test_edit_rights_follow_the_procedure(app, world):
    auditor = client_for(app, world.users["auditor"])
    assert auditor.get(f"/people/{world.wang.id}/info?tab=1").status_code == 200
    assert auditor.get(f"/people/{world.wang.id}/info/1/edit").status_code == 403
    branch2 = client_for(app, world.users["branch2:branch_admin"])
    assert branch2.get(f"/people/{world.wang.id}/info/1/edit").status_code == 404
    branch1 = client_for(app, world.users["branch1:branch_admin"])
    assert branch1.get(f"/people/{world.wang.id}/info/4/edit").status_code == 403  # stage not reached
    html = branch1.get(f"/people/{world.wang.id}/info?tab=3").get_data(as_text=True)
    assert "/info/3/edit" in html
    assert "/info/3/edit" not in auditor.get(f"/people/{world.wang.id}/info?tab=3").get_data(as_text=True)


def test_blank_template_and_person_sheet_html_and_pdf(app, world):
    branch1 = client_for(app, world.users["branch1:branch_admin"])
    html = branch1.get("/printing/template?stage=1").get_data(as_text=True)
    assert "入党申请人信息采集表" in html and "公民身份证号码" in html and "□男" in html
    assert "css/print_sheet.css" in html  # the A4 print stylesheet
    html = branch1.get("/printing/template?stage=4").get_data(as_text=True)
    assert "预备党员信息采集表" in html and "党籍状态" in html
    assert 'data-testid="sheet-template"' in branch1.get("/people/?stage=1").get_data(as_text=True)
    html = branch1.get(f"/printing/person/{world.wang.id}?stage=2").get_data(as_text=True)
    assert "入党积极分子信息采集表" in html and "王小明" in html and "籍贯（示例）" in html
    assert world.wang.id_number in html and "中共宁阳县东疏镇前村支部委员会" in html
    for url in ("/printing/template.pdf?stage=3", f"/printing/person/{world.wang.id}.pdf?stage=1"):
        response = branch1.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")
        assert any("CJK" in name for name in embedded_fonts(response.data))


def test_menu_entry_is_the_real_page(app, world):
    county = client_for(app, world.users["county:county_admin"])
    html = county.get("/people/info").get_data(as_text=True)
    assert 'href="/people/info" data-menu="people"' in html

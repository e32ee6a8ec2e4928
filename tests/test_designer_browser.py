"""The diagram in the browser: the person page's viewer (done, current, path taken, click to a step) and the
designer's modeler (change a condition in the properties panel, save a draft, activate it)."""
import os

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Person
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:
    """A screenshot for a human look when BROWSER_SCREENSHOTS names a folder."""
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, name), full_page=True)


def _person_at_step(live_server, min_step: int) -> Person:
    with live_server.app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.current_step >= min_step,
                                                           Person.status == "active").order_by(Person.id))
        db.session.expunge(person)
        return person


def test_person_page_shows_the_path_taken_and_opens_a_step(live_server, browser_page):
    page = browser_page
    person = _person_at_step(live_server, 4)
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.goto(live_server(f"/process/{person.id}?view=diagram"))
    page.wait_for_selector("#person-diagram[data-ready='1']")

    view = page.locator("#person-diagram")
    _shot(page, "person_diagram.png")
    assert view.locator("g.djs-element.pv-done[data-element-id='step01_application']").count() == 1
    assert view.locator(f"g.djs-element.pv-current[data-element-id='{person.current_task}']").count() == 1
    assert view.locator("g.djs-element.pv-done[data-element-id='step03_activist']").count() == 1
    # Flows actually taken are marked, and a flow out of a step not reached is not.
    assert view.locator("g.djs-connection.pv-flow").count() >= 5
    assert view.locator("g.pv-flow[data-element-id='flow_step02_merge_to_step02_talk']").count() == 1
    assert view.locator("g.pv-flow[data-element-id='flow_step24_full_membership_approval_to_step24_r14_gw']"
                        ).count() == 0
    assert view.locator("g.djs-element.pv-done[data-element-id='step20_oath']").count() == 0

    page.evaluate("document.querySelector('#person-diagram').bpmnViewer.get('canvas')"
                  ".scrollToElement('step01_application')")
    view.locator("g.djs-element[data-element-id='step01_application']").click()
    page.wait_for_url(f"**/process/{person.id}/steps/1")
    assert "递交入党申请书" in page.content()
    assert page.js_errors == []


FLOW = "flow_step04_r05_gw_to_step04_r24_gw"


def test_designer_changes_a_condition_in_the_modeler_saves_a_draft_and_activates_it(live_server, browser_page):
    from app.workflow.models import ProcessVersion
    page = browser_page
    with live_server.app.app_context():
        v1 = db.session.scalar(sa.select(ProcessVersion.id).where(ProcessVersion.state == "active",
                                                             ProcessVersion.process_id == "development"))
    browser_login(page, live_server, live_server.accounts["designer"])
    page.click("nav.sidebar a[data-menu=designer]")
    page.wait_for_selector("table.versions")
    page.click("table.versions tr[data-version='1'] >> text=以此为基础修改")
    page.wait_for_selector("#modeler[data-ready='1']")
    assert page.locator("#properties .bio-properties-panel").count() == 1   # bpmn-js properties panel
    # In Chinese, with a minimap, at a readable zoom with the start event in view, clear of the palette.
    assert page.locator(".djs-palette [aria-label='任务']").count() == 1
    assert page.locator(".djs-palette [aria-label='Create task']").count() == 0
    assert page.locator("#properties .bio-properties-panel-header-type").inner_text().strip() in ("流程", "协作")
    assert page.locator(".djs-minimap").count() == 1
    assert page.locator(".djs-minimap .toggle").get_attribute("title") == "关闭缩略图"
    view = page.evaluate("""() => { const m = window.designerModeler, c = m.get('canvas'), vb = c.viewbox();
        const s = m.get('elementRegistry').filter(e => e.type === 'bpmn:StartEvent')[0];
        const p = document.querySelector('.djs-palette').getBoundingClientRect();
        const r = document.querySelector('#canvas').getBoundingClientRect();
        return {zoom: c.zoom(), startX: r.left + (s.x - vb.x) * vb.scale, paletteRight: p.right,
                width: r.width}; }""")
    assert 0.9 <= view["zoom"] <= 1.1 and view["paletteRight"] < view["startX"] < view["width"]
    # Live validation: a user task without a form is marked on the diagram, and unmarked on undo.
    page.evaluate("""() => { const m = window.designerModeler;
        m.get('selection').select(m.get('elementRegistry').filter(e => e.type === 'bpmn:UserTask')[0]); }""")
    page.select_option("#app-formkey", "")
    page.wait_for_selector(".djs-element.has-problem .djs-visual", state="attached")
    assert "表单" in page.locator(".problem-badge").first.get_attribute("title")
    page.evaluate("() => window.designerModeler.get('commandStack').undo()")
    page.wait_for_selector("#modeler[data-problems='0']", state="attached")

    # Bring the flow into view at 100 % and click it on the canvas.
    page.evaluate("""(id) => { const m = window.designerModeler, canvas = m.get('canvas');
        canvas.zoom(1); canvas.scrollToElement(m.get('elementRegistry').get(id)); }""", FLOW)
    box = page.evaluate("""(id) => { const c = window.designerModeler.get('elementRegistry').get(id);
        const wp = c.waypoints, a = wp[0], b = wp[1];
        const vb = window.designerModeler.get('canvas').viewbox();
        const r = document.querySelector('#canvas').getBoundingClientRect();
        return {x: r.left + ((a.x + b.x) / 2 - vb.x) * vb.scale, y: r.top + ((a.y + b.y) / 2 - vb.y) * vb.scale}; }""", FLOW)
    page.mouse.click(box["x"], box["y"])
    condition = page.locator("#app-condition")
    condition.wait_for()
    assert ">= 7" in condition.input_value()
    condition.fill("span_days(step04['publicity_start'], step04['publicity_end']) >= 5")
    _shot(page, "modeler.png")
    # The bpmn-js properties panel shows the same element.
    assert page.locator("#properties .bio-properties-panel-header-label").inner_text().strip() != ""

    page.fill("#comment", "入党积极分子公示改为不少于5天")
    with page.expect_navigation():
        page.click("#save-button")
    assert page.locator("#version-state").inner_text() == "草稿"
    assert page.locator("#problems-none").count() == 1, page.locator("#problems").inner_text()
    page.wait_for_selector("#version-diagram[data-ready='1']")
    _shot(page, "draft.png")
    page.click("#activate")  # asks first, in a dialog of the page
    assert "确定启用" in page.locator("#confirm-dialog .confirm-message").inner_text()
    with page.expect_navigation():
        page.click("#confirm-ok")
    assert page.locator("#version-state").inner_text() == "已启用"
    assert "已启用" in page.locator(".flash").inner_text()
    assert page.js_errors == []

    with live_server.app.app_context():
        versions = {v.version: v for v in db.session.scalars(sa.select(ProcessVersion).where(
            ProcessVersion.process_id == "development"))}
        assert versions[1].id == v1 and versions[1].state == "retired"
        assert versions[2].state == "active" and versions[2].comment == "入党积极分子公示改为不少于5天"
        xml = versions[2].bpmn_xml.decode()
        assert "publicity_end']) &gt;= 5" in xml and xml.count("&gt;= 7") == versions[1].bpmn_xml.decode().count("&gt;= 7") - 1
        assert xml.count('name="formKey"') == versions[1].bpmn_xml.decode().count('name="formKey"')
        # A new applicant follows the diagram bpmn-js wrote: 5 days of publicity now pass at step 4.
        _new_applicant_passes_a_five_day_publicity(versions[2])


def _new_applicant_passes_a_five_day_publicity(version):
    from app.auth.models import User
    from app.orgs.models import Organisation
    from app.workflow import services, simulate
    from app.workflow.models import ProcessInstance
    branch = db.session.scalar(sa.select(Organisation).where(Organisation.level == "branch").order_by(Organisation.id))
    actors = {"branch_admin": db.session.scalar(sa.select(User).where(User.role == "branch_admin",
                                                                      User.org_id == branch.id)),
              "committee_admin": db.session.scalar(sa.select(User).where(User.role == "committee_admin",
                                                                         User.org_id == branch.parent_id))}
    person = simulate.add_applicant(actors["branch_admin"], branch, 301, name="新规申请人")
    assert db.session.get(ProcessInstance, person.instance_id).process_version_id == version.id
    simulate.advance(person, actors, until_step=4)
    ctx = services.load(person)
    task = next(t for t in ctx.ready if t.name == "step04_activist_publicity")
    data = simulate.sample("step04_activist_publicity", simulate.stored_sample_file(actors["branch_admin"]),
                           publicity_start="2020-03-01", publicity_end="2020-03-05")
    services.act(actors["branch_admin"], ctx, task.id, "submit", data)
    db.session.commit()
    assert db.session.get(type(person), person.id).current_step == 5


def test_modeler_panel_sets_a_user_tasks_form_and_lane(live_server, browser_page):
    from app.workflow.models import ProcessVersion
    from app.designer.validation import properties
    from app.workflow.diagram import NS, safe_parse
    page = browser_page
    with live_server.app.app_context():
        v1 = db.session.scalar(sa.select(ProcessVersion.id).where(ProcessVersion.state == "active",
                                                             ProcessVersion.process_id == "development"))
    browser_login(page, live_server, live_server.accounts["designer"])
    page.goto(live_server(f"/designer/versions/{v1}/edit"))
    page.wait_for_selector("#modeler[data-ready='1']")
    page.evaluate("""() => { const m = window.designerModeler;
        m.get('selection').select(m.get('elementRegistry').get('step05_contacts')); }""")
    page.locator("#app-formkey").wait_for()
    assert page.locator("#app-formkey").input_value() == "step05_contacts"
    assert page.locator("#app-lane option:checked").inner_text() == "党支部"
    page.select_option("#app-formkey", "step16_talk")
    page.select_option("#app-lane", label="基层党委")
    # A deadline for the task: rule, the date it counts from (a choice of person/fact dates), the period.
    assert page.locator("#app-duefrom").input_value() == ""
    page.fill("#app-duerule", "R06")
    page.select_option("#app-duefrom", "activist_date")
    page.fill("#app-duein", "30d")
    # The talk's skip reason and deadline are shown as the diagram holds them, and edit.
    page.evaluate("""() => { const m = window.designerModeler;
        m.get('selection').select(m.get('elementRegistry').get('step02_talk')); }""")
    page.locator("#app-skipreason").wait_for()
    assert "R03" in page.locator("#app-skipreason").input_value()
    assert [page.locator(f"#app-{n}").input_value() for n in ("duerule", "duefrom", "duein")] == \
        ["R02", "apply_date", "1M"]
    page.fill("#app-skipreason", "2014年5月28日前申请，无需谈话（R03）")
    page.fill("#app-duein", "2M")
    with page.expect_navigation():
        page.click("#save-button")
    assert page.locator("#version-state").inner_text() == "草稿"
    assert page.js_errors == []
    with live_server.app.app_context():
        draft = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.state == "draft"))
        root = safe_parse(draft.bpmn_xml)
        task = root.find(".//bpmn:userTask[@id='step05_contacts']", NS)
        assert properties(task)["formKey"] == "step16_talk" and properties(task)["step"] == "5"
        lanes = {lane.get("name"): [r.text for r in lane.findall("bpmn:flowNodeRef", NS)]
                 for lane in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}lane")}
        assert "step05_contacts" in lanes["基层党委"] and "step05_contacts" not in lanes["党支部"]
        assert {k: properties(task).get(k) for k in ("dueRule", "dueFrom", "dueIn")} == \
            {"dueRule": "R06", "dueFrom": "activist_date", "dueIn": "30D"}
        talk = properties(root.find(".//bpmn:userTask[@id='step02_talk']", NS))
        assert talk["skipReason"] == "2014年5月28日前申请，无需谈话（R03）" and talk["dueIn"] == "2M"
        # The saved diagram's deadlines are what the application reads.
        from app.deadlines.rules import parse
        from app.workflow import engine
        specs = {name: props for name, _, _, props in engine.user_task_specs(draft.bpmn_xml, draft.process_id)}
        assert parse(specs["step05_contacts"]).amount == 30 and parse(specs["step02_talk"]).unit == "M"

"""The Content-Security-Policy in a real browser: the main pages of every role load and work under the policy the
app sends (no inline script, style or handler), with no policy violation and no JavaScript error.

Each page is watched by a `securitypolicyviolation` listener (added before any page script runs) and by the console
("Refused to …" messages); both land in ``page.problems``."""
import pytest
import sqlalchemy as sa

from app.attachments.models import Attachment
from app.auth.models import User
from app.extensions import db
from app.people.models import Person
from app.workflow.models import ProcessVersion
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

_LISTENER = """document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' in ' + e.sourceFile
                + ':' + e.lineNumber + ' ' + (e.sample || ''));
}, true);"""


@pytest.fixture
def page(browser_page):
    """The browser page, reporting CSP violations, console errors and uncaught errors in ``page.problems``."""
    page = browser_page
    page.problems = page.js_errors
    page.add_init_script(_LISTENER)
    page.on("console", lambda message: _note(page, message))
    return page


def _note(page, message) -> None:
    # The browser asks for /favicon.ico by itself; the app has none, and that 404 is no page's fault.
    if message.location.get("url", "").endswith("/favicon.ico"):
        return
    # Policy refusals are already in page.js_errors (conftest); the rest of the console errors are added here.
    if "Content Security Policy" in message.text:
        return
    if message.type == "error" or "Refused to" in message.text:
        page.problems.append(f"{message.type}: {message.text} @ {page.url}")


def _open(page, url: str) -> None:
    """Load a page, check that it came with the policy, and let its scripts run."""
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    page.wait_for_load_state("load")


def _username(live_server, name: str) -> str:
    with live_server.app.app_context():
        return db.session.scalar(sa.select(User.username).where(User.name == name))


def _person(live_server, name: str) -> Person:
    with live_server.app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.name == name))
        db.session.expunge(person)
        return person


def _menu_pages(page, live_server) -> None:
    """Every entry of the logged-in user's menu."""
    hrefs = page.locator("nav.sidebar a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    assert hrefs
    for href in hrefs:
        _open(page, live_server(href))


def test_login_and_sign_up_pages_work_under_the_policy(live_server, page):
    for path in ("/auth/login", "/auth/activate", "/auth/forgot"):
        _open(page, live_server(path))
        page.wait_for_function("() => document.getElementById('captcha-img').naturalWidth > 0")
    # The captcha image reloads on a click (a data-attribute, no onclick handler); the styles come from app.css.
    image = page.locator("#captcha-img")
    before = image.get_attribute("src")
    image.click()
    page.wait_for_function(f"() => document.getElementById('captcha-img').src.indexOf({before!r} + '?') >= 0")
    assert page.locator("#captcha-img").evaluate("(el) => getComputedStyle(el).cursor") == "pointer"
    assert page.locator("button.offscreen").evaluate("(el) => getComputedStyle(el).position") == "absolute"
    browser_login(page, live_server, live_server.accounts["branch_admin"])
    assert "/auth/login" not in page.url
    assert page.problems == [], "\n".join(page.problems)


def test_branch_pages_diagram_and_step_rows_work_under_the_policy(live_server, page):
    person = _person(live_server, "刘敏")  # branch3, at step 6, whose form has repeating rows
    browser_login(page, live_server, _username(live_server, "吴支部"))
    _menu_pages(page, live_server)

    _open(page, live_server(f"/process/{person.id}?view=diagram"))
    page.wait_for_selector("#person-diagram[data-ready='1']")
    assert page.locator("#person-diagram").evaluate("(el) => el.getBoundingClientRect().height") > 300
    assert page.locator("#person-diagram g.pv-current").count() == 1
    # The marker colours come from app.css: the current step is drawn red.
    fill = page.locator("#person-diagram g.pv-current .djs-visual > :nth-child(1)").evaluate(
        "(el) => getComputedStyle(el).fill")
    assert fill == "rgb(255, 235, 238)"

    _open(page, live_server(f"/process/{person.id}/steps/6"))
    rows = page.locator("fieldset[data-list] .row-list > .row")
    before = rows.count()
    page.locator("[data-add-row]").first.click()
    assert rows.count() == before + 1
    page.locator(".row-list > .row [data-remove-row]").last.click()
    assert rows.count() == before

    _open(page, live_server("/process/new"))
    _open(page, live_server("/printing/template?stage=1"))
    assert page.locator("h1").evaluate("(el) => getComputedStyle(el).textAlign") == "center"

    with live_server.app.app_context():
        sha = db.session.scalar(sa.select(Attachment.sha256).where(Attachment.mime == "image/png").limit(1))
    # The picture opens in the browser under the sandbox policy; Chromium's picture viewer styles it inline.
    response = page.goto(live_server(f"/attachments/{sha}"))
    assert response.status == 200 and "sandbox" in response.headers["content-security-policy"]
    assert page.locator("img").evaluate("(el) => el.naturalWidth") > 0
    assert page.problems == [], "\n".join(page.problems)


def test_query_and_statistics_work_under_the_policy(live_server, page):
    browser_login(page, live_server, live_server.accounts["county_admin"])
    # 综合查询 reads its field catalogue from <script type="application/json"> blocks: data, never executed.
    _open(page, live_server("/query/"))
    conditions = page.locator("table.conditions [data-remove]")
    before = conditions.count()
    page.click("[data-add]")
    assert conditions.count() == before + 1

    _open(page, live_server("/stats/"))
    page.locator(".chart canvas").first.wait_for()
    # Every chart shows its tooltip. ECharts' HTML tooltip is built with inline style attributes, so charts.js
    # has it drawn on the canvas (renderMode "richText"); a violation would be reported here.
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('.chart')).map((el) => {
        const chart = echarts.getInstanceByDom(el);
        chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0});
        return chart.getOption().tooltip[0].renderMode; })""")
    assert shown and set(shown) == {"richText"}
    page.wait_for_timeout(300)
    assert page.locator(".charts").evaluate("(el) => getComputedStyle(el).display") == "grid"

    # 计划分配: changing the year submits its form (data-submit-on-change).
    _open(page, live_server("/plans/"))
    year = page.locator("select#year")
    other = year.locator("option:not([selected])").first.get_attribute("value")
    with page.expect_navigation():
        year.select_option(other)
    assert f"year={other}" in page.url
    assert page.problems == [], "\n".join(page.problems)


def test_designer_pages_and_modeler_work_under_the_policy(live_server, page):
    with live_server.app.app_context():
        version = db.session.scalar(sa.select(ProcessVersion.id).where(ProcessVersion.process_id == "development"))
    browser_login(page, live_server, live_server.accounts["designer"])
    _menu_pages(page, live_server)
    _open(page, live_server(f"/designer/versions/{version}"))
    page.wait_for_selector("#version-diagram[data-ready='1']")
    _open(page, live_server(f"/designer/versions/{version}/edit"))
    page.wait_for_selector("#modeler[data-ready='1']")
    assert page.locator(".modeler").evaluate("(el) => getComputedStyle(el).display") == "flex"
    # Selecting a task fills both panels (bpmn-js-properties-panel renders with preact at run time).
    page.evaluate("""() => { const m = window.designerModeler;
        m.get('selection').select(m.get('elementRegistry').get('step02_talk')); }""")
    page.locator("#app-formkey").wait_for()
    page.locator("#properties .bio-properties-panel").wait_for()
    # Direct editing of a label (a contenteditable box bpmn-js positions with styles at run time).
    page.evaluate("""() => { const m = window.designerModeler;
        m.get('directEditing').activate(m.get('elementRegistry').get('step02_talk')); }""")
    page.locator(".djs-direct-editing-parent").wait_for()
    assert page.problems == [], "\n".join(page.problems)


def test_auditor_security_officer_and_county_pages_work_under_the_policy(live_server, page):
    person = _person(live_server, "焦中旺")
    browser_login(page, live_server, live_server.accounts["auditor"])
    _menu_pages(page, live_server)
    _open(page, live_server(f"/audit/people/{person.id}/replay"))
    page.wait_for_selector(".bpmn-view[data-ready='1']")
    # The slider shows its value while it moves (data-mirror) and jumps on release (data-submit-on-change).
    page.locator("input#n").evaluate("(el) => { el.value = 3; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    assert page.locator("#n-out").inner_text() == "3"
    with page.expect_navigation():
        page.locator("input#n").evaluate("(el) => el.dispatchEvent(new Event('change', {bubbles: true}))")
    assert "n=3" in page.url
    _open(page, live_server(f"/audit/people/{person.id}/dossier"))
    assert page.locator("h1").evaluate("(el) => getComputedStyle(el).textAlign") == "center"

    page.context.clear_cookies()
    browser_login(page, live_server, live_server.accounts["security_officer"])
    _menu_pages(page, live_server)
    _open(page, live_server("/auth/accounts/new"))
    # Roles that do not fit the chosen organisation's level are hidden (static js/account_roles.js).
    assert page.locator("select#role option[hidden]").count() == 0
    page.select_option("select#org_id", index=1)
    assert page.locator("select#role option[hidden]").count() > 0

    page.context.clear_cookies()
    browser_login(page, live_server, live_server.accounts["county_admin"])
    _menu_pages(page, live_server)
    _open(page, live_server(f"/process/{person.id}"))
    move_back = page.locator("button[data-dialog^='move-back']")
    if move_back.count():
        # The reason opens in a dialog; 取消 closes it and keeps the page: nothing is submitted.
        move_back.first.click()
        dialog = page.locator("dialog#" + move_back.first.get_attribute("data-dialog"))
        assert dialog.is_visible()
        dialog.locator("[data-close-dialog]").click()
        assert not dialog.is_visible()
        assert page.url.endswith(f"/process/{person.id}")
    assert page.problems == [], "\n".join(page.problems)

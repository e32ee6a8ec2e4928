"""A branch secretary's day in headless Chromium: a step done on a phone (390 px) without horizontal scroll, an
upload that survives an error elsewhere in the form (and a wrong one removed), and axe-core on the main pages at
1440 px with no serious or critical violation. ``SCREENSHOTS=1`` also writes the README's screenshots to
docs/screenshots/."""
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.workflow import simulate
from tests.conftest import STRICT, browser_login

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "screenshots"


def _no_page_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page, name: str, tmp_path) -> None:
    """Every run keeps its screenshots beside the test; SCREENSHOTS=1 refreshes the README's copies."""
    target = SHOTS if os.environ.get("SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name))


def _within_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def test_a_step_on_a_phone(live_server, browser_page, tmp_path):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, live_server, live_server.accounts["branch_admin"])
    page.goto(live_server("/inbox/"))
    assert _no_page_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    act = page.locator("[data-testid=inbox] a", has_text="马上处理").first
    assert act.is_visible() and _within_view(page, act)
    name_cell = page.locator("[data-testid=inbox] td[data-label=姓名]").first
    assert name_cell.bounding_box()["height"] < 40  # a name on one line, not one character per line
    _shot(page, "inbox-390.png", tmp_path)
    with page.expect_navigation():
        act.click()
    assert "/steps/" in page.url and _no_page_scroll(page)
    assert _within_view(page, page.locator("form .actions button[type=submit]").last)
    _shot(page, "step-390.png", tmp_path)
    page.goto(page.url.split("/steps/")[0])
    assert _no_page_scroll(page) and page.locator("[data-testid=current-step]").is_visible()
    assert page.locator("[data-testid=steps]").is_visible()
    _shot(page, "person-390.png", tmp_path)
    page.goto(live_server("/people/?stage=1"))
    assert _no_page_scroll(page)
    assert page.js_errors == []


def test_an_upload_survives_an_error_and_a_wrong_one_is_removed(live_server, browser_page, tmp_path):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    letter, wrong = tmp_path / "入党申请书.png", tmp_path / "拍错了.png"
    # Bytes of their own: a file already stored for the branch keeps the name it was first uploaded under.
    letter.write_bytes(simulate.TINY_PNG + b"letter")
    wrong.write_bytes(simulate.TINY_PNG + b"wrong")
    data = simulate.sample("step01_application", "0" * 64, id_number=simulate.make_id_number(321))
    browser_login(page, live_server, live_server.accounts["branch_admin"])
    page.goto(live_server("/process/new"))
    for name in ("id_number", "phone", "background"):  # 姓名 left empty on purpose
        page.fill(f"[name={name}]", str(data[name]))
    # 性别 and 出生日期 follow the ID number (read-only, R17).
    page.fill("input[name=apply_date]", data["apply_date"])
    for name in ("ethnicity", "education"):
        page.select_option(f"select[name={name}]", data[name])
    page.set_input_files("input[type=file][name=application_scans]", [str(letter), str(wrong)])
    page.click("button[value=submit]")
    page.wait_for_selector(".error[data-field=name]")
    files = page.locator("[data-field=application_scans] li.file")
    assert files.count() == 2 and "入党申请书.png" in files.first.inner_text()
    assert "PNG图片" in files.first.inner_text() and files.first.locator("img.thumb").is_visible()
    assert _no_page_scroll(page)
    files.filter(has_text="拍错了.png").locator("[data-remove-file]").click()
    assert files.count() == 1
    page.fill("[name=name]", "保留附件")
    with page.expect_navigation():
        page.click("button[value=submit]")  # the kept file is not chosen again
    assert "/process/new" not in page.url, page.locator(".error").all_inner_texts()
    with page.expect_navigation():
        page.locator("[data-testid=steps] tr[data-step='1'] a", has_text="查看详情").click()
    shown = page.locator("ul.files li.file").all_inner_texts()
    assert len(shown) == 1 and "入党申请书.png" in shown[0]
    assert page.js_errors == []


def _axe(page) -> list[dict]:
    # Runtime evaluation is not subject to the page's CSP, so axe needs no inline <script>.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']})
        .then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))""")
    return result


def test_main_pages_have_no_serious_accessibility_violation(live_server, browser_page, tmp_path):
    if not AXE.exists():
        message = f"{AXE} missing (npm ci): accessibility test skipped"
        if STRICT:
            pytest.fail(message + " [STRICT=1]")
        pytest.skip(message)
    from app.people.models import Person
    with live_server.app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.current_step > 1).order_by(Person.id))
        person_id, step = person.id, person.current_step
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    found = {}
    shots = {"/inbox/": "inbox-1440.png", f"/process/{person_id}": "person-1440.png",
             f"/process/{person_id}/steps/{step}": "step-1440.png", "/people/?stage=1": "stage-list-1440.png"}
    for role, paths in (("county_admin", ["/inbox/", "/people/?stage=1", f"/process/{person_id}",
                                          f"/process/{person_id}/steps/{step}", f"/people/{person_id}/info",
                                          "/query/", "/stats/", "/checks/", "/plans/", "/archive/"]),
                        ("auditor", [f"/audit/people/{person_id}"])):
        page.context.clear_cookies()
        browser_login(page, live_server, live_server.accounts[role])
        for path in paths:
            page.goto(live_server(path))
            page.wait_for_load_state("load")
            assert _no_page_scroll(page), path
            if path in shots:
                _shot(page, shots[path], tmp_path)
            violations = _axe(page)
            if violations:
                found[path] = violations
    assert found == {}, "\n".join(f"{p}: {v}" for p, v in found.items())
    assert page.js_errors == []

"""The auditor in a real browser: pick a person, step through the replay, see the diagram marked as it
was at each event, run verification over the county."""
import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_auditor_steps_through_a_replay_and_verifies_the_county(live_server, browser_page, tmp_path):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["auditor"])
    page.click('a[data-menu="audit"]')
    page.fill("input[name=q]", "焦中旺")
    page.click("form.filters button[type=submit]")
    page.click('[data-testid="audit-people"] a:has-text("重放")')
    diagram = page.locator('.bpmn-view[data-ready="1"]')
    diagram.wait_for()
    last = int(page.locator('[data-testid="replay-event"]').get_attribute("data-seq"))
    assert page.locator(".bpmn-view .pv-current").count() == 1
    flows_at_end = page.locator(".bpmn-view .pv-flow").count()
    assert flows_at_end > 10
    page.screenshot(path=str(tmp_path / "replay-end.png"), full_page=True)
    page.click('a[rel="prev"]')
    page.locator('.bpmn-view[data-ready="1"]').wait_for()
    assert page.locator('[data-testid="replay-event"]').get_attribute("data-seq") == str(last - 1)
    # The slider jumps to event 2: step 1 done, step 2 current.
    page.locator("input#n").evaluate("(el) => { el.value = 2; el.dispatchEvent(new Event('change')); }")
    page.wait_for_url("**/replay?n=2")
    page.locator('.bpmn-view[data-ready="1"]').wait_for()
    assert page.locator('tr[data-step="1"]').get_attribute("data-status") == "done"
    assert page.locator('tr[data-step="2"]').get_attribute("data-status") == "ready"
    assert page.locator(".bpmn-view .pv-current").count() == 1
    assert page.locator(".bpmn-view .pv-flow").count() < flows_at_end
    page.screenshot(path=str(tmp_path / "replay-2.png"), full_page=True)
    page.goto(live_server("/audit/"))
    page.click('[data-testid="verify-scope"]')
    with page.expect_navigation():
        page.click('[data-testid="verify-start"]')  # a background job; its page shows progress, then the result
    page.locator('[data-testid="verify-clean"]').wait_for()
    assert page.locator('[data-testid="job-status"]').inner_text() == "已完成"
    assert "核验实例 8 个" in page.locator('[data-testid="verify-summary"]').inner_text()
    assert page.js_errors == []

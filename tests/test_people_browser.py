"""人员信息 in headless Chromium: search, open a person, switch tabs, edit a tab, print the 采集表."""
import pytest

from app.workflow import simulate
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_search_edit_and_print(live_server, browser_page, tmp_path):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["branch_admin"])  # branch1: 焦中旺 is at step 12
    page.click("nav.sidebar a[data-menu=people]")
    page.fill("input[name=q]", "焦中旺")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    link = page.locator("[data-testid=people-list] a", has_text="焦中旺")
    assert link.count() == 1
    person_url = link.get_attribute("href")
    page.goto(live_server(person_url))
    page.click("nav.tabs a:has-text('发展对象基本信息')")
    assert "tab=3" in page.url
    # Stage 3 was approved (step 11): sealed for the branch (R32), no 编辑.
    assert page.locator("[data-testid=sealed-badge]").count() == 1
    assert page.locator("[data-testid=tab-values] a:has-text('编辑')").count() == 0

    # The county corrects it with a reason and a file.
    page.context.clear_cookies()
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.goto(live_server(person_url.split("?")[0] + "?tab=3"))
    page.click("[data-testid=tab-values] a:has-text('更正')")
    page.fill("input[name=native_place]", "山东省宁阳县")
    page.fill("textarea[name=correction_reason]", "籍贯登记有误")
    scan = tmp_path / "依据.png"
    scan.write_bytes(simulate.TINY_PNG)
    page.set_input_files("input[name=correction_files]", str(scan))
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('保存')")
    assert "已更正" in page.locator(".flash").inner_text()
    assert "山东省宁阳县" in page.locator("[data-testid=tab-values]").inner_text()

    sheet_url = page.locator("[data-testid=print-sheet]").get_attribute("href")
    assert "stage=3" in sheet_url
    page.goto(live_server(sheet_url))
    assert page.locator("h1").inner_text() == "发展对象信息采集表"
    assert "山东省宁阳县" in page.locator("[data-testid=sheet]").inner_text()
    assert page.js_errors == []

"""综合查询 in headless Chromium: + adds a condition row whose modes and input follow the field's type,
− removes it, and the search shows the results."""
import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_add_and_remove_conditions(live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.click("nav.sidebar a[data-menu=query]")
    assert "/query/" in page.url
    rows = page.locator("table.conditions tr[data-row]")
    assert rows.count() == 4  # 姓名, 性别, 民族, 公民身份证号

    page.click("button[data-add]")
    assert rows.count() == 5
    new = rows.nth(4)
    new.locator("select[data-role=field]").select_option("step03.native_place")
    modes = new.locator("select[data-role=mode] option").all_inner_texts()
    assert modes == ["模糊", "精准", "左匹配", "右匹配"]
    new.locator("select[data-role=field]").select_option("step01.apply_date")
    assert new.locator("select[data-role=mode] option").all_inner_texts() == ["时间区间", "精准"]
    assert new.locator("input[type=date]").count() == 2
    new.locator("select[data-role=field]").select_option("step01.education")
    new.locator("select[data-role=mode]").select_option("multi")
    assert new.locator("select[multiple]").count() == 1
    new.locator("select[multiple]").select_option(["大学本科"])

    with page.expect_navigation():
        page.click("form#query-form button[type=submit]")
    assert "step01.education" in page.url
    results = page.locator("[data-testid=query-results] tr")
    assert results.count() > 1 and "没有符合条件的人员" not in page.locator("[data-testid=query-results]").inner_text()
    # The condition is kept on the page, and − removes it.
    assert rows.count() == 5
    rows.nth(4).locator("button[data-remove]").click()
    assert rows.count() == 4
    with page.expect_navigation():
        page.click("form#query-form button[type=submit]")
    assert "step01.education" not in page.url
    assert page.js_errors == []

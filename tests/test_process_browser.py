"""The procedure in a real browser: 添加 with a scanned letter, step 2 上报, the committee's 审核通过, step 3 next.
(All 25 steps run over HTTP in test_process_development and over the API in test_api_process.)"""
import pytest

from app.workflow import simulate
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _fill_application(page, data, scan):
    for name in ("name", "id_number", "phone", "background"):
        page.fill(f"[name={name}]", str(data[name]))
    # 性别 and 出生日期 are read-only and follow the ID number as it is typed (R17).
    assert page.input_value("input[name=birth_date]") == data["birth_date"]
    assert page.input_value("select[name=sex]") == data["sex"]
    page.fill("input[name=apply_date]", data["apply_date"])
    for name in ("ethnicity", "education"):
        page.select_option(f"select[name={name}]", data[name])
    page.select_option("select[name=org_id]", index=0)
    page.set_input_files("input[name=application_scans]", str(scan))


def test_add_report_approve_in_the_browser(live_server, browser_page, tmp_path):
    page = browser_page
    scan = tmp_path / "申请书.png"
    scan.write_bytes(simulate.TINY_PNG)
    data = simulate.sample("step01_application", "0" * 64, name="浏览器测试",
                           id_number=simulate.make_id_number(987, birth="19910101"), birth_date="1991-01-01")

    browser_login(page, live_server, live_server.accounts["branch_admin"])
    page.goto(live_server("/process/new"))
    _fill_application(page, data, scan)
    with page.expect_navigation():
        page.click("button[value=submit]")
    assert "/process/new" not in page.url, page.locator(".error").all_inner_texts()
    assert data["name"] in page.content()

    page.goto(live_server("/inbox/"))
    assert page.get_by_text(data["name"]).count() >= 1
    with page.expect_navigation():
        page.click("text=马上处理")
    page.fill("[name=talker]", "王书记")
    page.fill("input[name=talk_date]", "2024-03-20")
    page.click("button[value=report]")  # asks first
    with page.expect_navigation():
        page.click("#confirm-ok")
    assert page.get_by_text("已上报").count() >= 1

    committee = page.context.browser.new_context(locale="zh-CN")
    other = committee.new_page()
    browser_login(other, live_server, live_server.accounts["committee_admin"])
    other.goto(live_server("/inbox/"))
    with other.expect_navigation():
        other.locator("tr", has_text=data["name"]).locator("text=马上处理").click()
    other.fill("[name=opinion]", "同意")
    other.click("button[value=approve]")
    with other.expect_navigation():
        other.click("#confirm-ok")
    assert other.get_by_text("审核通过").count() >= 1
    committee.close()

    # Back in the branch: step 3 is next; the person page lists step 2 as approved.
    page.goto(live_server("/inbox/"))
    row = page.locator("tr", has_text=data["name"])
    assert "推荐和确定入党积极分子" in row.inner_text()
    assert page.js_errors == []

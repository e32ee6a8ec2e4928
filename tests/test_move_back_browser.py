"""调整 into a sealed stage in headless Chromium: the branch files a 调整申请 from the stage list's dialog, the county
approves it from its 待办事项, and the person is back in the target stage."""
import pytest

from app.workflow import simulate
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

BRANCH1, COUNTY = "110101199003070118", "110101199003070054"  # 孙支部 (branch1), 王县 (app/seed.py)


def test_branch_requests_and_county_approves(live_server, chromium, tmp_path):
    scan = tmp_path / "依据材料.png"
    scan.write_bytes(simulate.TINY_PNG)
    errors = []
    contexts = []

    def page_of(username):
        context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        browser_login(page, live_server, username)
        return page

    # 李宁 is an 积极分子 at step 7 (stage 3 list): stage 1 is sealed, so the branch's 调整 is a request.
    branch = page_of(BRANCH1)
    branch.goto(live_server("/people/?stage=3"))
    row = branch.locator("tr", has_text="李宁")
    row.locator("button[data-dialog^=move-back]").click()
    dialog = branch.locator("dialog[open]")
    dialog.locator("textarea[name=reason]").fill("培养考察材料缺页")
    dialog.locator("input[name=files]").set_input_files(str(scan))
    with branch.expect_navigation():
        dialog.locator("button[type=submit]").click()
    assert "已提交调整申请，待县级审核" in branch.locator(".flash").inner_text()

    county = page_of(COUNTY)
    county.goto(live_server("/inbox/"))
    county.locator("[data-testid=inbox] tr", has_text="调整申请").locator("a").last.click()
    assert "培养考察材料缺页" in county.locator("[data-testid=moveback-detail]").inner_text()
    with county.expect_navigation():
        county.click("[data-testid=moveback-review] button:has-text('通过')")
    assert "已调整" in county.locator("[data-testid=moveback-status]").inner_text()

    branch.goto(live_server("/people/?stage=1"))
    assert branch.locator("tr", has_text="李宁").count() == 1
    assert errors == []
    for context in contexts:
        context.close()

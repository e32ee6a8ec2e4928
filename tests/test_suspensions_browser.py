"""暂停发展-出国(境) → 归国恢复 in headless Chromium through three roles (branch, committee, county), and the
转出 record the sending branch keeps after a 接续培养."""
import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser

# Demo accounts (app/seed.py): 孙支部 branch1, 周支部 branch2, 赵党委 committee1, 王县 county.
BRANCH1, BRANCH2, COMMITTEE1, COUNTY = ("110101199003070118", "110101199003070134", "110101199003070070",
                                        "110101199003070054")


def _person_id(server, name):
    import sqlalchemy as sa
    from app.extensions import db
    from app.people.models import Person
    with server.app.app_context():
        return db.session.scalar(sa.select(Person.id).where(Person.name == name))


def _page(chromium, server, username, errors):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login(page, server, username)
    return context, page


def _review(page, server, opinion):
    page.goto(server("/inbox/"))
    page.locator("[data-testid=inbox] tr", has_text="李宁").locator("a").last.click()
    page.fill("[data-testid=resume-review] textarea[name=opinion]", opinion)
    with page.expect_navigation():
        page.click("[data-testid=resume-review] button:has-text('通过')")
    assert "已审核通过" in page.locator(".flash").inner_text()


def test_suspend_and_return_through_three_roles(live_server, chromium):
    errors = []
    person_id = _person_id(live_server, "李宁")   # step 7, 发展对象
    branch_ctx, page = _page(chromium, live_server, BRANCH1, errors)
    page.goto(live_server(f"/process/{person_id}"))
    page.click("a:has-text('暂停发展-出国(境)')")
    page.fill("textarea[name=reason]", "出国留学")
    page.fill("input[name=destination]", "英国")
    page.fill("input[name=expected_from]", "2026-09-01")
    page.fill("input[name=expected_to]", "2027-07-01")
    page.click("[data-testid=suspend-form] button:has-text('确定')")  # asks first, in the page's dialog
    with page.expect_navigation():
        page.click("#confirm-ok")
    assert "已暂停发展" in page.locator(".flash").inner_text()
    page.goto(live_server("/inbox/"))
    assert "李宁" not in page.locator("main").inner_text()
    # 历史库 → 暂停发展 with the manual's columns, and 【归国恢复申请】 with the branch's opinion.
    page.goto(live_server("/archive/?kind=suspended"))
    row = page.locator("[data-testid=archive-list] tr", has_text="李宁")
    assert "出国留学" in row.inner_text() and "未申请" in row.inner_text()
    row.locator("a:has-text('归国恢复申请')").click()
    page.fill("[data-testid=resume-apply] textarea[name=opinion]", "已归国，支部同意")
    with page.expect_navigation():
        page.click("[data-testid=resume-apply] button")
    assert "等待基层党委审核" in page.locator(".flash").inner_text()

    committee_ctx, page2 = _page(chromium, live_server, COMMITTEE1, errors)
    _review(page2, live_server, "基层党委同意")
    county_ctx, page3 = _page(chromium, live_server, COUNTY, errors)
    _review(page3, live_server, "县级同意")
    assert "已恢复发展" in page3.locator("[data-testid=suspension-status]").inner_text()

    # Back at step 7 in the branch's 待办, and listed under 恢复发展 with why and by whom.
    page.goto(live_server("/inbox/"))
    assert "李宁" in page.locator("[data-testid=inbox]").inner_text()
    page.goto(live_server("/archive/?kind=restored"))
    restored = page.locator("[data-testid=archive-list] tr", has_text="李宁").inner_text()
    assert "归国恢复" in restored and "已归国，支部同意" in restored and "王县" in restored
    assert errors == []
    for context in (branch_ctx, committee_ctx, county_ctx):
        context.close()


def test_sender_keeps_the_transfer_record(live_server, chromium):
    import sqlalchemy as sa
    from app.extensions import db
    from app.people.models import Person
    errors = []
    with live_server.app.app_context():
        id_number = db.session.scalar(sa.select(Person.id_number).where(Person.name == "高广芝"))
    receiver_ctx, page = _page(chromium, live_server, BRANCH2, errors)
    page.goto(live_server("/transfers/new"))
    page.fill("input[name=name]", "高广芝")
    page.fill("input[name=id_number]", id_number)
    page.select_option("select[name=to_org_id]", label="中共宁阳县东疏镇后村支部委员会")
    with page.expect_navigation():
        page.click("[data-testid=transfer-form] button:has-text('确定')")
    sender_ctx, page2 = _page(chromium, live_server, BRANCH1, errors)
    page2.goto(live_server("/transfers/?tab=out"))
    page2.locator("[data-testid=transfers-out] tr", has_text="高广芝").locator("a:has-text('审核')").click()
    with page2.expect_navigation():
        page2.click("[data-testid=transfer-review] button:has-text('通过')")
    page2.goto(live_server("/archive/?kind=transferred"))
    page2.locator("[data-testid=archive-list] tr", has_text="高广芝").locator("a:has-text('查看')").click()
    assert "只读" in page2.locator("h1").inner_text()
    assert page2.locator("[data-testid=record-steps] tr[data-status=done]").count() >= 3
    page2.wait_for_selector("[data-testid=record-diagram] svg")
    assert errors == []
    receiver_ctx.close()
    sender_ctx.close()

"""接续培养 in headless Chromium: branch2 asks for 潘永平 (branch1), branch1 approves, the person moves."""
import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser

# Demo accounts (app/seed.py): 孙支部 administers branch1 (东疏镇前村), 周支部 branch2 (东疏镇后村).
BRANCH1, BRANCH2 = "110101199003070118", "110101199003070134"


def _id_number_of(server, name):
    from app.extensions import db
    from app.people.models import Person
    import sqlalchemy as sa
    with server.app.app_context():
        return db.session.scalar(sa.select(Person.id_number).where(Person.name == name))


def test_request_and_approve(live_server, chromium):
    id_number = _id_number_of(live_server, "潘永平")
    receiver = chromium.new_context(locale="zh-CN")
    page = receiver.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page, live_server, BRANCH2)
    page.click("nav.sidebar a[data-menu=transfers]")
    page.click("a:has-text('发起接续培养')")
    page.fill("input[name=name]", "潘永平")
    page.fill("input[name=id_number]", id_number)
    page.select_option("select[name=to_org_id]", label="中共宁阳县东疏镇后村支部委员会")
    with page.expect_navigation():
        page.click("[data-testid=transfer-form] button:has-text('确定')")
    row = page.locator("[data-testid=transfers-in] tr", has_text="潘永平")
    assert "申请中" in row.inner_text()

    sender = chromium.new_context(locale="zh-CN")
    page2 = sender.new_page()
    page2.set_default_timeout(10_000)
    page2.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page2, live_server, BRANCH1)
    page2.goto(live_server("/transfers/?tab=out"))
    page2.locator("[data-testid=transfers-out] tr", has_text="潘永平").locator("a:has-text('审核')").click()
    page2.fill("textarea[name=opinion]", "同意转出")
    with page2.expect_navigation():
        page2.click("[data-testid=transfer-review] button:has-text('通过')")
    assert "已通过" in page2.locator(".flash").inner_text()
    assert "已完成" in page2.locator("[data-testid=transfers-out] tr", has_text="潘永平").inner_text()
    page2.goto(live_server("/inbox/"))
    assert "潘永平" not in page2.locator("[data-testid=inbox]").inner_text()

    page.goto(live_server("/inbox/"))
    assert "潘永平" in page.locator("[data-testid=inbox]").inner_text()
    assert errors == []
    receiver.close()
    sender.close()

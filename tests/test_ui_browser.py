"""Page furniture in headless Chromium at a phone's width (390 px) and a desktop's (1440 px): no horizontal page
scroll, the sidebar folded behind 菜单 on the phone, the pager's 前往 N 页 box, busy submit buttons."""
import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.workflow import simulate
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

# (role, menu keys): the main pages outside 待办 / 接续培养 / 实名校验 (another helper's pages).
PAGES = [
    ("county_admin", ["process", "people", "query", "stats", "checks", "history", "plans", "orgs"]),
    ("security_officer", ["accounts", "sms", "oplog"]),
    ("designer", ["designer"]),
    ("auditor", ["audit"]),
]
WIDTHS = [390, 1440]


def _no_page_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role, keys", PAGES, ids=[role for role, _ in PAGES])
def test_main_pages_fit_the_screen(live_server, browser_page, role, keys, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 844 if width < 768 else 900})
    browser_login(page, live_server, live_server.accounts[role])
    menu = page.locator("button[data-menu-toggle]")
    sidebar = page.locator("nav#sidebar")
    for key in keys:
        link = sidebar.locator(f"a[data-menu={key}]")
        if width < 768:
            # Folded: only 菜单 shows; it opens the menu and says so to assistive technology.
            assert menu.is_visible() and not sidebar.is_visible()
            assert menu.get_attribute("aria-expanded") == "false"
            menu.click()
            assert sidebar.is_visible() and menu.get_attribute("aria-expanded") == "true"
        else:
            assert not menu.is_visible() and sidebar.is_visible()
        with page.expect_navigation():
            link.click()
        page.wait_for_load_state("load")
        assert page.locator("main h1").first.is_visible(), key
        assert page.locator("main .crumb").first.is_visible(), key
        assert _no_page_scroll(page), (key, width, page.evaluate("document.documentElement.scrollWidth"))
    assert page.js_errors == []


def test_pager_go_box_and_busy_button(live_server, browser_page):
    with live_server.app.app_context():
        branch = db.session.scalar(sa.select(User).where(User.username == live_server.accounts["branch_admin"]))
        for i in range(45):
            simulate.add_applicant(branch, branch.org, 100 + i)
        db.session.commit()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, live_server, live_server.accounts["branch_admin"])
    page.goto(live_server("/people/info?q="))
    pager = page.locator("nav.pager")
    assert pager.locator(".current").inner_text() == "1"
    assert _no_page_scroll(page)
    go = pager.locator("form.pager-go")
    go.locator("input[name=page]").fill("3")
    with page.expect_navigation():
        go.locator("button[type=submit]").click()
    assert "page=3" in page.url and pager.locator(".current").inner_text() == "3"
    assert page.locator("nav.pager a", has_text="上一页").is_visible()
    # A submit marks its form busy and disables the button that sent it, showing 处理中…; the answer is sent
    # into a frame here so that the page stays to be looked at.
    page.evaluate("""() => { const sink = document.createElement('iframe'); sink.name = 'sink';
                             document.body.append(sink);
                             document.querySelector('form.pager-go').target = 'sink'; }""")
    go.locator("input[name=page]").fill("2")
    go.locator("button[type=submit]").click()
    button = go.locator("button[type=submit]")
    page.wait_for_function("document.querySelector('form.pager-go').hasAttribute('data-busy')")
    assert button.is_disabled() and button.inner_text() == "处理中…"
    # The frame itself is refused by our own frame-ancestors policy: that refusal is expected here.
    assert [e for e in page.js_errors if "frame-ancestors" not in e] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_org_tree_filters_lists_and_remembers_the_choice(live_server, browser_page, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.goto(live_server("/people/?stage=1"))
    tree = page.locator("[data-org-tree]")
    page.wait_for_selector("[data-org-tree][data-ready='1']")
    # Opened at the user's own organisation; a branch's children load when it is opened.
    committee = tree.locator("li[role=treeitem]:has(> button.org-pick:text-is('中共宁阳县东疏镇委员会'))")
    assert committee.is_visible()
    committee.locator("> button.org-toggle").click()
    branch = committee.locator("li[role=treeitem]:has(> button.org-pick:text-is('中共宁阳县东疏镇前村支部委员会'))")
    branch.wait_for()
    with page.expect_navigation():
        branch.locator("> button.org-pick").click()
    assert "org=" in page.url
    rows = page.locator("[data-testid=stage-list] tr").all_inner_texts()[1:]
    assert rows and all("前村" in row for row in rows) and not any("伏山" in row for row in rows)
    assert tree.locator(".org-pick.selected").inner_text() == "中共宁阳县东疏镇前村支部委员会"
    assert _no_page_scroll(page)

    # Another list opened without a choice of its own applies the remembered one.
    with page.expect_navigation(url="**org_id=*"):
        page.goto(live_server("/archive/"))
    page.wait_for_selector("[data-org-tree][data-ready='1']")
    assert page.locator(".org-pick.selected").inner_text() == "中共宁阳县东疏镇前村支部委员会"

    # Search: a name typed finds the organisation, a click filters by it.
    page.goto(live_server("/stats/?org=" + page.url.split("org_id=")[1].split("&")[0]))
    page.wait_for_selector("[data-org-tree][data-ready='1']")
    page.fill("[data-org-tree] input[type=search]", "伏山镇南村")
    hit = page.locator(".org-tree-results .org-pick", has_text="南村")
    hit.wait_for()
    with page.expect_navigation():
        hit.click()
    assert "南村" in page.locator("[data-testid=stats-total]").inner_text()
    assert page.js_errors == []


def test_charts_with_nothing_counted_say_so(live_server, browser_page):
    from app.orgs.models import Organisation
    with live_server.app.app_context():
        group = db.session.scalar(sa.select(Organisation.id).where(Organisation.level == "group"))
    page = browser_page
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.goto(live_server(f"/stats/?org={group}"))
    charts = page.locator(".chart")
    assert charts.count() > 0
    page.wait_for_selector(".chart.chart-empty")
    assert page.locator(".chart.chart-empty").count() == charts.count()
    assert all(text == "暂无数据" for text in page.locator(".chart").all_inner_texts())
    assert page.locator(".chart canvas").count() == 0
    # A list with no rows says the same.
    page.goto(live_server(f"/people/info?org={group}"))
    assert page.locator("[data-testid=people-list] td.empty").inner_text() == "暂无数据"
    assert page.js_errors == []


@pytest.mark.parametrize("role, paths", [
    ("auditor", ["/audit/people/{id}", "/audit/people/{id}/replay", "/audit/people/{id}/verify",
                 "/audit/people/{id}/dossier"]),
    ("county_admin", ["/people/{id}/info", "/orgs/"]),
], ids=["auditor", "county_admin"])
def test_person_pages_fit_a_phone(live_server, browser_page, role, paths):
    from app.people.models import Person
    with live_server.app.app_context():
        person_id = db.session.scalar(sa.select(Person.id).order_by(Person.id))
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, live_server, live_server.accounts[role])
    for path in paths:
        page.goto(live_server(path.format(id=person_id)))
        page.wait_for_load_state("load")
        assert page.locator("h1").first.is_visible(), path  # the dossier is a print page without the layout
        assert _no_page_scroll(page), (path, page.evaluate("document.documentElement.scrollWidth"))
    assert page.js_errors == []


def test_slow_link_shows_busy(live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["auditor"])
    page.goto(live_server("/audit/"))
    # The link's own listener keeps the page here (no navigation), so the busy state can be read.
    page.evaluate("document.querySelector('[data-testid=verify-scope]')"
                  ".addEventListener('click', e => e.preventDefault())")
    page.click("[data-testid=verify-scope]")
    state = page.evaluate("() => { const a = document.querySelector('[data-testid=verify-scope]');"
                          " return [a.textContent, a.getAttribute('aria-busy')]; }")
    assert state == ["处理中…", "true"]
    assert page.js_errors == []

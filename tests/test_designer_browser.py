"""The diagram in the browser: the person page's viewer (done, current, path taken, click to a step) and the
designer's modeler (change a condition in the properties panel, save a draft, activate it)."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Person
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _person_at_step(live_server, min_step: int) -> Person:
    with live_server.app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.current_step >= min_step,
                                                           Person.status == "active").order_by(Person.id))
        db.session.expunge(person)
        return person


def test_person_page_shows_the_path_taken_and_opens_a_step(live_server, browser_page):
    page = browser_page
    person = _person_at_step(live_server, 4)
    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.goto(live_server(f"/process/{person.id}"))
    page.wait_for_selector("#person-diagram[data-ready='1']")

    view = page.locator("#person-diagram")
    assert view.locator("g.djs-element.pv-done[data-element-id='step01_application']").count() == 1
    assert view.locator(f"g.djs-element.pv-current[data-element-id='{person.current_task}']").count() == 1
    assert view.locator("g.djs-element.pv-done[data-element-id='step03_activist']").count() == 1
    # Flows actually taken are marked, and a flow out of a step not reached is not.
    assert view.locator("g.djs-connection.pv-flow").count() >= 5
    assert view.locator("g.pv-flow[data-element-id='flow_step02_merge_to_step02_talk']").count() == 1
    assert view.locator("g.pv-flow[data-element-id='flow_step24_full_membership_approval_to_step25_merge']"
                        ).count() == 0
    assert view.locator("g.djs-element.pv-done[data-element-id='step20_oath']").count() == 0

    view.locator("g.djs-element[data-element-id='step01_application']").click()
    page.wait_for_url(f"**/process/{person.id}/steps/1")
    assert "递交入党申请书" in page.content()
    assert page.js_errors == []

"""历史库 in a real browser: the county admin restores a stopped person with a reason and a file."""
import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _cancel(server, name: str) -> int:
    with server.app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.name == name))
        branch = db.session.scalar(sa.select(User).where(User.username == server.accounts["branch_admin"]))
        services.cancel(branch, services.load(person), "本人主动申请暂缓", [])
        db.session.commit()
        return person.id


def test_restore_from_the_history_library_in_the_browser(live_server, browser_page, tmp_path):
    page = browser_page
    person_id = _cancel(live_server, "潘永平")
    scan = tmp_path / "恢复材料.png"
    scan.write_bytes(simulate.TINY_PNG)

    browser_login(page, live_server, live_server.accounts["county_admin"])
    page.click("nav >> text=历史库")
    row = page.locator(f"tr[data-person-id='{person_id}']")
    assert "本人主动申请暂缓" in row.inner_text() and "无附件" in row.inner_text()
    restore = row.locator("details[data-action=restore]")
    restore.locator("summary").click()
    restore.locator("textarea[name=reason]").fill("核实后恢复")
    restore.locator("input[name=files]").set_input_files(str(scan))
    with page.expect_navigation():
        restore.locator("button[type=submit]").click()
    assert page.get_by_text("已恢复发展").count() >= 1
    assert page.locator(f"tr[data-person-id='{person_id}']").count() == 0
    assert page.js_errors == []

    with live_server.app.app_context():
        person = db.session.get(Person, person_id)
        event = db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id)
                                   .order_by(Event.seq.desc()).limit(1)).one()
        assert person.status == "active" and event.action == "restore" and len(event.attachments) == 1

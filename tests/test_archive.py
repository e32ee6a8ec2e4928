"""历史库 (§2.11, §2.3.4): the lists of stopped, closed and completed persons in scope, 恢复发展 back to
the state at cancellation, 重新发展 closing the record and freeing its ID number (R18), both as events
that replay clean."""
import io

import pytest
import sqlalchemy as sa

from app.audit import verify
from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import csrf_token, login


@pytest.fixture
def county(app, demo):
    c = app.test_client()
    login(c, demo.users["county_admin"])
    return c


def _cancelled(demo, actors, seq, name, reason="本人主动申请", until_step=3, files=()):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=name)
    simulate.advance(person, actors, until_step=until_step)
    person = db.session.get(Person, person.id)
    services.cancel(actors["branch_admin"], services.load(person), reason, list(files))
    db.session.commit()
    return person


def _last_event(person):
    return db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id)
                              .order_by(Event.seq.desc()).limit(1)).one()


def _post(client, url, reason, files=()):
    data = {"csrf_token": csrf_token(client), "reason": reason, "kind": "cancelled",
            "files": [(io.BytesIO(simulate.TINY_PNG), name) for name in files]}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_list_shows_reason_date_and_files_filtered_and_paginated(app, demo, actors, county):
    sha = simulate.stored_sample_file(actors["branch_admin"])
    first = _cancelled(demo, actors, 1, "停一", reason="本人主动申请", files=[sha])
    _cancelled(demo, actors, 2, "停二", reason="外出务工")
    other = simulate.add_applicant(demo.users["branch3:branch_admin"], demo.orgs["branch3"], 3, name="停三")
    services.cancel(demo.users["branch3:branch_admin"], services.load(other), "迁出", [])
    simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 4, name="在发展")
    db.session.commit()

    html = county.get("/archive/").get_data(as_text=True)
    assert all(n in html for n in ("停一", "停二", "停三")) and "在发展" not in html
    row = html.split(f'data-person-id="{first.id}"')[1].split("</tr>")[0]
    assert "本人主动申请" in row and f"/attachments/{sha}" in row and "恢复发展" in row and "重新发展" in row
    assert "无附件" in html.split(f'data-person-id="{other.id}"')[1].split("</tr>")[0]

    by_name = county.get("/archive/?name=停二").get_data(as_text=True)
    assert "停二" in by_name and "停一" not in by_name
    by_org = county.get(f"/archive/?org_id={demo.orgs['branch3'].id}").get_data(as_text=True)
    assert "停三" in by_org and "停一" not in by_org

    app.config["PAGE_SIZE"] = 2
    page1, page2 = county.get("/archive/").get_data(as_text=True), county.get("/archive/?page=2").get_data(as_text=True)
    names = lambda h: {n for n in ("停一", "停二", "停三") if n in h}  # noqa: E731
    assert len(names(page1)) == 2 and len(names(page2)) == 1 and names(page1) | names(page2) == {"停一", "停二", "停三"}

    # A branch admin sees only their branch; an organisation outside scope in the filter is 404.
    branch3 = app.test_client()
    login(branch3, demo.users["branch3:branch_admin"])
    html = branch3.get("/archive/").get_data(as_text=True)
    assert "停三" in html and "停一" not in html and "恢复发展</summary>" not in html
    assert branch3.get(f"/archive/?org_id={demo.orgs['branch1'].id}").status_code == 404


def test_completed_records_are_listed_as_archived(app, demo, actors, county):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 5, name="已转正")
    simulate.advance(person, actors)
    assert db.session.get(Person, person.id).status == "completed"
    html = county.get("/archive/?kind=completed").get_data(as_text=True)
    assert "已转正" in html and "正式党员" in html
    assert "已转正" not in county.get("/archive/").get_data(as_text=True)


def test_restore_returns_to_the_state_at_cancellation(app, demo, actors, county):
    person = _cancelled(demo, actors, 1, "恢复者", until_step=5)
    task, step = person.current_task, person.current_step
    response = _post(county, f"/archive/{person.id}/restore", "误操作，予以恢复", files=["恢复材料.png"])
    assert response.status_code == 303
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.status == "active" and (person.current_task, person.current_step) == (task, step)
    event = _last_event(person)
    assert event.action == "restore" and event.data["reason"] == "误操作，予以恢复" and len(event.attachments) == 1
    assert verify.verify_instance(person.instance_id)[0] == []
    assert "恢复者" not in county.get("/archive/").get_data(as_text=True)


def test_restore_without_reason_changes_nothing(app, demo, actors, county):
    person = _cancelled(demo, actors, 1, "无原因")
    response = _post(county, f"/archive/{person.id}/restore", "  ")
    assert response.status_code == 303
    assert "请填写恢复发展原因" in county.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "cancelled"


def test_branch_and_committee_admins_cannot_restore_or_redevelop(app, demo, actors):
    person = _cancelled(demo, actors, 1, "不可恢复")
    for key in ("branch1:branch_admin", "committee1:committee_admin"):
        c = app.test_client()
        login(c, demo.users[key])
        assert _post(c, f"/archive/{person.id}/restore", "恢复").status_code == 403
        assert _post(c, f"/archive/{person.id}/redevelop", "重新发展").status_code == 403
    # The role is refused before the object is looked up: 403 whatever the id, in scope or not.
    outsider = app.test_client()
    login(outsider, demo.users["branch3:branch_admin"])
    assert _post(outsider, f"/archive/{person.id}/restore", "恢复").status_code == 403
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "cancelled"
    assert _last_event(person).action == "cancel"


def test_redevelop_closes_the_record_and_frees_the_id_number(app, demo, actors, county):
    person = _cancelled(demo, actors, 1, "重来者")
    id_number = person.id_number
    # While the cancelled record holds it, R18 refuses the number.
    with pytest.raises(services.RuleViolation):
        simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="重来者")
    db.session.rollback()

    assert _post(county, f"/archive/{person.id}/redevelop", "重新培养", files=["说明.png"]).status_code == 303
    db.session.expire_all()
    old = db.session.get(Person, person.id)
    assert old.status == "closed" and _last_event(old).action == "redevelop"
    assert verify.verify_instance(old.instance_id)[0] == []

    # The old record stays in the 历史库 (closed list) and cannot be restored or acted on again.
    assert "重来者" in county.get("/archive/?kind=closed").get_data(as_text=True)
    assert "重来者" not in county.get("/archive/").get_data(as_text=True)
    with pytest.raises(services.WorkflowError):
        services.restore(actors["county_admin"], services.load(old), "再恢复", [])
    db.session.rollback()
    assert all(services.allowed_actions(actors["branch_admin"], services.load(old), t) == []
               for t in services.load(old).ready)
    assert not services.can_amend(actors["county_admin"], services.load(old), 1)  # no 人员信息 edits either
    assert county.get(f"/process/{old.id}").status_code == 200  # still visible

    # A new step-1 application with the same number is accepted over HTTP (the form's R18 hook too).
    branch = app.test_client()
    login(branch, actors["branch_admin"])
    data = simulate.sample("step01_application", simulate.stored_sample_file(actors["branch_admin"]),
                           org_id=demo.orgs["branch1"].id, name="重来者", id_number=id_number)
    form = to_formdata(get_form_class("step01_application"), data)
    form.update({"csrf_token": csrf_token(branch, "/process/new"), "action": "submit"})
    response = branch.post("/process/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    fresh = db.session.get(Person, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert fresh.id != old.id and fresh.status == "active" and fresh.id_number == id_number
    # ...and a second one is refused beside the field again: R18 still holds among open records.
    form["csrf_token"] = csrf_token(branch, "/process/new")
    response = branch.post("/process/new", data=form)
    assert response.status_code == 422 and "已存在" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
        Person.id_number == id_number)) == 2



def test_closed_records_are_left_out_of_statistics_and_checks(app, demo, actors):
    from app.checks.services import _checked
    from app.reports.catalogue import VIEW_BY_KEY, persons_of
    active = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 2, name="在统计")
    person = _cancelled(demo, actors, 1, "统计外")
    services.redevelop(actors["county_admin"], services.load(person), "重新培养", [])
    db.session.commit()
    counted = lambda where: set(db.session.scalars(sa.select(Person.id).where(where)))  # noqa: E731
    assert counted(persons_of(VIEW_BY_KEY["all"])) == {active.id}
    assert counted(_checked(actors["county_admin"], demo.orgs["county"])) == {active.id}

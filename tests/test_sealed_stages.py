"""R32 sealed stages: once a stage's closing review is approved, branch and committee cannot change its data
(人员信息 and the service behind every page and API); a county admin corrects with a reason and a file, recorded
as a ``correct`` event that the timeline shows as old → new and the replay applies."""
import io
import re

import pytest
import sqlalchemy as sa

from app.audit.services import verify_person
from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from tests.conftest import count, csrf_token, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
IDENTITY = ("name", "id_number", "sex", "ethnicity", "birth_date", "education", "apply_date", "phone", "background")


@pytest.fixture
def world(app, demo, actors):
    """王 in branch1 at step 8: stage 1 (closing review: step 2) and stage 2 (step 6) are sealed, stage 3 not."""
    wang = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="王封存")
    simulate.advance(wang, actors, until_step=8)
    return type("World", (), {"wang": wang, "users": demo.users, "orgs": demo.orgs, "actors": actors})


def client_for(app, user):
    c = app.test_client()
    login(c, user)
    return c


def data_of(person, step_no):
    ctx = services.load(db.session.get(Person, person.id))
    return services.step_view(None, ctx, step_no).data


def post_edit(client, person, tab, values, files=None):
    url = f"/people/{person.id}/info/{tab}/edit"
    version = services.load(db.session.get(Person, person.id)).instance.version
    body = {"csrf_token": csrf_token(client, f"/people/{person.id}/info"), "version": str(version), **values}
    if files:
        body["correction_files"] = files
    return client.post(url, data=body, content_type="multipart/form-data")


@pytest.mark.parametrize("who", ["branch1:branch_admin", "committee1:committee_admin"])
@pytest.mark.parametrize("tab", [1, 2])
def test_branch_and_committee_cannot_edit_a_sealed_stage(app, world, who, tab):
    client = client_for(app, world.users[who])
    page = client.get(f"/people/{world.wang.id}/info/{tab}/edit")
    assert page.status_code == 403 and "已封存" in page.get_data(as_text=True)
    tab_page = client.get(f"/people/{world.wang.id}/info?tab={tab}").get_data(as_text=True)
    assert f"/info/{tab}/edit" not in tab_page and 'data-testid="sealed-badge"' in tab_page
    before, events = data_of(world.wang, 1), count(Event)
    response = post_edit(client, world.wang, tab, {**{k: before[k] for k in IDENTITY}, "name": "改名"})
    assert response.status_code == 403 and count(Event) == events
    assert db.session.get(Person, world.wang.id).name == "王封存"
    # The open stage (3: steps 7-11) still edits.
    assert "/info/3/edit" in client.get(f"/people/{world.wang.id}/info?tab=3").get_data(as_text=True)


def test_the_service_refuses_for_every_caller_with_403(app, world):
    ctx = services.load(db.session.get(Person, world.wang.id))
    with pytest.raises(services.NotAllowed) as refused:
        services.amend_step(world.actors["committee_admin"], ctx, 3, {"native_place": "别处"}, expected_version=None)
    assert refused.value.status == 403 and "已封存" in refused.value.message


def test_identity_is_sealed_by_any_approved_review(app, demo, actors):
    # R03: an application before 2014-05-28 skips step 2, so stage 1 has no approved review of its own; once
    # step 3 is approved, 姓名/身份证号/申请入党日期 are sealed while the stage's other data still edits.
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 5, name="赵早申",
                                    apply_date="2013-03-01")
    simulate.advance(person, actors, until_step=4)
    branch = client_for(app, demo.users["branch1:branch_admin"])
    data = data_of(person, 1)
    response = post_edit(branch, person, 1, {**{k: data[k] for k in IDENTITY}, "name": "赵改名"})
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and 'data-field="name"' in html and "姓名" in html
    assert 'value="赵改名"' in html  # the input is kept beside the message
    assert data_of(person, 1)["name"] == "赵早申"
    response = post_edit(branch, person, 1, {**{k: data[k] for k in IDENTITY}, "phone": "13912345678"})
    assert response.status_code == 303 and data_of(person, 1)["phone"] == "13912345678"


def test_a_stopped_record_is_read_only(app, world):
    ctx = services.load(db.session.get(Person, world.wang.id))
    services.cancel(world.actors["branch_admin"], ctx, "本人申请", [])
    db.session.commit()
    branch = client_for(app, world.users["branch1:branch_admin"])
    page = branch.get(f"/people/{world.wang.id}/info/3/edit")
    assert page.status_code == 403 and "已停止发展" in page.get_data(as_text=True)


def test_county_corrects_a_sealed_value_with_reason_and_file(app, world):
    county = client_for(app, world.users["county:county_admin"])
    page = county.get(f"/people/{world.wang.id}/info/1/edit").get_data(as_text=True)
    assert 'data-testid="sealed"' in page and 'name="correction_reason"' in page
    data = data_of(world.wang, 1)
    values = {**{k: data[k] for k in IDENTITY}, "name": "王更正"}
    events = count(Event)
    # Reason and file are required: refused beside the fields, nothing written.
    response = post_edit(county, world.wang, 1, values)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-field="correction_reason"' in html
    assert 'data-field="correction_files"' in html and 'value="王更正"' in html and count(Event) == events
    # A file that is not an image or PDF is refused too.
    response = post_edit(county, world.wang, 1, {**values, "correction_reason": "户籍信息更正"},
                         files=[(io.BytesIO(b"MZ not a picture"), "x.exe")])
    assert response.status_code == 422 and count(Event) == events
    response = post_edit(county, world.wang, 1, {**values, "correction_reason": "户籍信息更正"},
                         files=[(io.BytesIO(PNG), "proof.png")])
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert db.session.get(Person, world.wang.id).name == "王更正" and data_of(world.wang, 1)["name"] == "王更正"
    event = db.session.scalar(sa.select(Event).where(Event.action == "correct"))
    assert event.data["reason"] == "户籍信息更正" and event.data["before"] == {"name": "王封存"}
    assert len(event.attachments) == 1
    # The replay applies the correction through the same handler: verification finds nothing.
    assert verify_person(world.users["auditor"], db.session.get(Person, world.wang.id)).clean
    auditor = client_for(app, world.users["auditor"])
    html = auditor.get(f"/audit/people/{world.wang.id}").get_data(as_text=True)
    assert "更正封存数据" in html and re.search(r'姓名</dt>\s*<dd><span class="old">王封存</span> → <span class="new">王更正', html)
    assert "更正原因：户籍信息更正" in html

"""调整 (move back) and R32: reopening a sealed stage is a county correction with a reason and a file; branch and
committee move back only within unsealed stages, on the page and over the API; after any move back the identity
fields stay sealed once a review was ever approved. Real engine, real database."""
import io

import pytest

from app.audit.services import verify_person
from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from tests.api_support import Tokens
from tests.conftest import count, csrf_token, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BRANCH, COMMITTEE, COUNTY = "branch1:branch_admin", "committee1:committee_admin", "county:county_admin"


@pytest.fixture
def activist(demo, actors):
    """A 积极分子 at step 5: stage 1 (closing review: step 2) is sealed."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 11, name="调整甲")
    simulate.advance(person, actors, until_step=5)
    return person


def _load(person):
    db.session.expire_all()
    return services.load(db.session.get(Person, person.id))


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_branch_is_refused_on_a_sealed_stage_page_and_api(app, client, demo, activist):
    ctx = _load(activist)
    assert services.move_back_options(demo.users[BRANCH], ctx) == []
    assert services.move_back_options(demo.users[COUNTY], ctx) == [("applicant", "调整为入党申请人", True)]
    for who in (BRANCH, COMMITTEE):
        with pytest.raises(services.NotAllowed) as refused:
            services.move_back(demo.users[who], _load(activist), "applicant", "材料不全")
        assert refused.value.rule == "R32" and "已封存" in refused.value.message
    db.session.rollback()
    # The page offers no 调整 to the branch, and a forged post changes nothing.
    branch = _client(app, demo.users[BRANCH])
    page = branch.get(f"/process/{activist.id}").get_data(as_text=True)
    assert "调整为入党申请人" not in page
    events = count(Event)
    response = branch.post(f"/process/{activist.id}/move-back", data={
        "csrf_token": csrf_token(branch, f"/process/{activist.id}"), "target": "applicant", "reason": "x"})
    assert response.status_code == 303 and count(Event) == events
    assert "已封存" in branch.get(f"/process/{activist.id}").get_data(as_text=True)
    # The API: 403 with the rule, and the record's actions list no 调整 for the branch.
    tokens = Tokens(client, demo)
    refused = client.post(f"/api/v1/people/{activist.id}/move-back", headers=tokens[BRANCH],
                          json={"target": "applicant", "reason": "材料不全"})
    assert refused.status_code == 403 and refused.get_json()["rule"] == "R32"
    record = client.get(f"/api/v1/people/{activist.id}", headers=tokens[BRANCH]).get_json()
    assert record["actions"]["move_back"] == []
    assert count(Event) == events and _load(activist).person.category == "入党积极分子"


def test_county_moves_back_a_sealed_stage_with_reason_and_file(app, client, demo, activist):
    tokens = Tokens(client, demo)
    url = f"/api/v1/people/{activist.id}/move-back"
    events = count(Event)
    missing = client.post(url, headers=tokens["county_admin"], json={"target": "applicant", "reason": " "})
    assert missing.status_code == 422 and missing.get_json()["rule"] == "R32"
    assert set(missing.get_json()["fields"]) == {"reason", "files"} and count(Event) == events
    # The page: the county's dialog asks for a file, the post carries it.
    county = _client(app, demo.users[COUNTY])
    page = county.get(f"/process/{activist.id}").get_data(as_text=True)
    assert "调整为入党申请人（更正已封存阶段）" in page and 'name="files"' in page
    response = county.post(f"/process/{activist.id}/move-back", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(county, f"/process/{activist.id}"), "target": "applicant",
        "reason": "谈话记录有误，需重新谈话", "files": [(io.BytesIO(PNG), "依据.png")]})
    assert response.status_code == 303
    ctx = _load(activist)
    assert ctx.person.category == "入党申请人" and ctx.person.current_task == "step02_talk"
    event = db.session.query(Event).filter_by(instance_id=ctx.instance.id, action="move_back").one()
    assert event.data["sealed"] is True and event.data["reason"] == "谈话记录有误，需重新谈话"
    assert len(event.attachments) == 1
    assert verify_person(demo.users["auditor"], ctx.person).clean
    timeline = _client(app, demo.users["auditor"]).get(f"/audit/people/{activist.id}").get_data(as_text=True)
    assert "更正已封存阶段" in timeline and "谈话记录有误，需重新谈话" in timeline and "依据.png" in timeline


def test_branch_moves_back_an_unsealed_stage_and_identity_stays_sealed(app, demo, actors):
    # R03: applied before 2014-05-28, so step 2 is skipped; at step 5 no stage's closing review is approved
    # (stage 2 closes with step 6), but step 3's review was: the identity fields are sealed.
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 12, name="调整乙",
                                    apply_date="2013-03-01")
    simulate.advance(person, actors, until_step=5)
    branch = demo.users[BRANCH]
    assert services.move_back_options(branch, _load(person)) == [("applicant", "调整为入党申请人", False)]
    services.move_back(branch, _load(person), "applicant", "")
    db.session.commit()
    ctx = _load(person)
    assert ctx.person.category == "入党申请人" and ctx.person.current_task == "step01_application"
    # The reset dropped step 3's approved review from the engine state; the seal follows the log.
    assert not any(t.is_review for t in services.engine.completed_tasks(ctx.wf))
    with pytest.raises(services.NotAllowed) as refused:
        services.amend_step(branch, ctx, 1, {"name": "调整丙"}, expected_version=None)
    assert "申请入党日期、姓名" in refused.value.message
    db.session.rollback()
    ctx = _load(person)
    task = next(t for t in ctx.ready if t.name == "step01_application")
    data = {**services.step_view(branch, ctx, 1).data, "name": "调整丙"}
    with pytest.raises(services.NotAllowed):
        services.act(branch, ctx, task.id, "submit", data)
    db.session.rollback()
    assert _load(person).person.name == "调整乙"

"""Separation of duties: the account that 上报 a pass of a step cannot 审核 that pass, on pages, the API and the
service; another account with the right may, and a new pass reported by someone else may be reviewed again."""
import pytest
import sqlalchemy as sa

from app.access.duties import OWN_REPORT
from app.events.models import Event
from app.extensions import db
from app.workflow import services, simulate
from conftest import count, csrf_token, login


def _reported_by(person, reporter):
    """Step 2 of ``person`` reported by ``reporter`` (who acts for the branch); returns the ready review task."""
    ctx = services.load(person)
    edit = next(t for t in ctx.ready if not t.is_review)
    sha = simulate.stored_sample_file(reporter)
    services.act(reporter, ctx, edit.id, "report", simulate.sample(edit.form_key, sha))
    db.session.commit()
    ctx = services.load(person)
    return ctx, next(t for t in ctx.ready if t.is_review)


@pytest.fixture
def person(demo, actors):
    return simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="分权人")


def test_reporter_cannot_approve_or_reject_in_the_service(person, actors, demo):
    committee = actors["committee_admin"]
    ctx, review = _reported_by(person, committee)
    assert services.allowed_actions(committee, ctx, review) == []
    for action in ("approve", "reject"):
        with pytest.raises(services.NotAllowed) as refused:
            services.act(committee, ctx, review.id, action, opinion="自己审自己")
        assert refused.value.message == OWN_REPORT and refused.value.status == 403
    db.session.rollback()
    # Another account holding the review right (the county admin above) may.
    county = actors["county_admin"]
    ctx = services.load(person)
    assert services.allowed_actions(county, ctx, review) == ["approve", "reject"]
    services.act(county, ctx, review.id, "approve", opinion="同意")
    db.session.commit()
    assert [e.action for e in db.session.query(Event).order_by(Event.seq)][-2:] == ["report", "approve"]


def test_a_new_pass_reported_by_another_account_may_be_reviewed(person, actors):
    county, committee = actors["county_admin"], actors["committee_admin"]
    ctx, review = _reported_by(person, county)
    services.act(committee, ctx, review.id, "reject", opinion="请补充")
    db.session.commit()
    # The branch reports the second pass: the county, who reported the first, may now review it.
    ctx, review = _reported_by(person, actors["branch_admin"])
    assert review.pass_no == 2
    assert services.allowed_actions(county, ctx, review) == ["approve", "reject"]
    assert services.allowed_actions(actors["branch_admin"], ctx, review) == []  # no review right at all


def test_step_page_tells_the_reporter_and_refuses_the_post(app, person, actors):
    committee = actors["committee_admin"]
    _reported_by(person, committee)
    client = app.test_client()
    login(client, committee)
    html = client.get(f"/process/{person.id}/steps/2").get_data(as_text=True)
    assert OWN_REPORT in html and 'value="approve"' not in html
    events = count(Event)
    response = client.post(f"/process/{person.id}/steps/2", data={
        "csrf_token": csrf_token(client, f"/process/{person.id}/steps/2"), "action": "approve", "opinion": "同意"})
    assert response.status_code == 303 and count(Event) == events
    assert OWN_REPORT in client.get(response.headers["Location"]).get_data(as_text=True)
    # The county admin sees the review form.
    county = app.test_client()
    login(county, actors["county_admin"])
    html = county.get(f"/process/{person.id}/steps/2").get_data(as_text=True)
    assert 'value="approve"' in html and OWN_REPORT not in html


def test_api_answers_403_to_the_reporter(app, person, actors, demo):
    committee = actors["committee_admin"]
    _, review = _reported_by(person, committee)
    token = app.test_client().post("/api/v1/auth/token", json={
        "username": committee.username, "password": "Demo12345"}).get_json()["token"]
    events = count(Event)
    response = app.test_client().post(f"/api/v1/tasks/{review.id}", json={"action": "approve", "opinion": "同意"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.get_json()["error"] == OWN_REPORT
    assert count(Event) == events


def test_the_reporter_comes_with_the_person_and_is_not_trusted_after_the_version_moves(person, actors):
    """The step page and its action learn the reporter from the SELECT that loads the person (no statement of
    their own); once an action has moved the instance on, what that SELECT read is no longer used."""
    committee, county = actors["committee_admin"], actors["county_admin"]
    _, review = _reported_by(person, committee)
    ctx = services.load_in_scope(person.id, county)
    assert ctx.latest_report == (ctx.instance.version, review.review_of, committee.id)
    selects = []
    listener = lambda *args: selects.append(args[2])  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert services.allowed_actions(committee, ctx, review) == []
        assert services.allowed_actions(county, ctx, review) == ["approve", "reject"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert not [s for s in selects if "FROM event" in s], selects
    # A forged read (another reporter) at an older version decides nothing: the log does.
    ctx.latest_report = (ctx.instance.version - 1, review.review_of, county.id)
    assert services.allowed_actions(committee, ctx, review) == []

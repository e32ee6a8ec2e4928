"""Lost races with real threads: each thread has its own client, request context and database session.

Ten approvals of one review task at once, a double 上报, ten approvals of one 接续培养, ten 备案认证 of one
实名认证 request: exactly one wins, every other request answers 409 已被他人处理 (never 404 or 500), and
exactly one event is written.
Runs on SQLite and, under scripts/pg_test.sh, on PostgreSQL.
"""
import re

import pytest
import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.realname.models import RealnameRequest
from app.transfers.models import Transfer
from app.workflow import services, simulate
from tests.conftest import count, csrf_token, login, reported_realname, run_together

THREADS = 10


def _token(app, user) -> dict:
    response = app.test_client().post("/api/v1/auth/token", json={"username": user.username,
                                                                  "password": "Demo12345"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def at_review(app, demo):
    """A person whose step 2 was reported: its review task waits for the committee."""
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    ctx = services.load(person)
    services.act(branch, ctx, ctx.ready[0].id, "report",
                 simulate.sample("step02_talk", simulate.stored_sample_file(branch)))
    db.session.commit()
    review = services.load(person).ready[0]
    assert review.is_review
    return person, review


def test_ten_concurrent_api_approvals_one_wins(app, demo, at_review):
    person, review = at_review
    headers = _token(app, demo.users["committee1:committee_admin"])

    def approve(_):
        response = app.test_client().post(f"/api/v1/tasks/{review.id}", headers=headers,
                                          json={"action": "approve"})
        return response.status_code, response.get_json()
    results = run_together(THREADS, approve)
    codes = sorted(r[0] for r in results)
    assert codes == [200] + [409] * (THREADS - 1), results
    assert all(body == {"error": "已被他人处理"} for code, body in results if code == 409)
    db.session.expire_all()
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "approve") == 1
    # A request after the race is still a lost race, not an unknown task.
    late = app.test_client().post(f"/api/v1/tasks/{review.id}", headers=headers, json={"action": "approve"})
    assert late.status_code == 409 and late.get_json() == {"error": "已被他人处理"}


def test_double_report_is_200_and_409(app, demo):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    task = services.load(person).ready[0]
    data = simulate.sample("step02_talk", simulate.stored_sample_file(branch))
    db.session.commit()
    headers = _token(app, branch)

    def report(_):
        response = app.test_client().post(f"/api/v1/tasks/{task.id}", headers=headers,
                                          json={"action": "report", "data": data})
        return response.status_code, response.get_json()
    results = run_together(2, report)
    assert sorted(r[0] for r in results) == [200, 409], results
    db.session.expire_all()
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "report") == 1


_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


def test_ten_concurrent_transfer_approvals_one_wins(app, demo):
    from app.transfers import services as transfers
    sender = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(sender, demo.orgs["branch1"], 1, name="潘永平")
    transfer = transfers.request_transfer(demo.users["branch2:branch_admin"], person.name, person.id_number,
                                          demo.orgs["branch2"].id)
    db.session.commit()
    url = f"/transfers/{transfer.id}"
    posts = []
    for _ in range(THREADS):
        client = app.test_client()
        login(client, sender)
        version = _VERSION.search(client.get(url).get_data(as_text=True)).group(1)
        posts.append((client, {"csrf_token": csrf_token(client, url), "decision": "approve", "opinion": "同意",
                               "version": version}))

    def approve(i):
        client, form = posts[i]
        response = client.post(f"{url}/review", data=form)
        return response.status_code, response.get_data(as_text=True)
    results = run_together(THREADS, approve)
    codes = sorted(r[0] for r in results)
    assert codes == [302] + [409] * (THREADS - 1), [r[0] for r in results]
    assert all("已被他人处理" in body for code, body in results if code == 409)
    db.session.expire_all()
    assert db.session.get(Transfer, transfer.id).status == "已完成"
    assert count(Event, Event.instance_id == transfer.instance_id, Event.action == "approve") == 1
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "transfer") == 1


def test_ten_concurrent_realname_confirmations_start_one_person(app, demo):
    county = demo.users["county:county_admin"]
    row = reported_realname(demo, "实名戊", 9005)
    db.session.commit()
    headers = _token(app, county)
    task_id = db.session.scalar(sa.select(HumanTask.task_id).where(HumanTask.process == "realname",
                                                                     HumanTask.subject_id == row.id))

    def confirm(_):
        response = app.test_client().post(f"/api/v1/tasks/{task_id}", headers=headers, json={"action": "approve"})
        return response.status_code, response.get_json()
    results = run_together(THREADS, confirm)
    assert sorted(r[0] for r in results) == [200] + [409] * (THREADS - 1), results
    db.session.expire_all()
    assert db.session.get(RealnameRequest, row.id).status == "已认证"
    assert count(Person, Person.name == "实名戊") == 1
    assert count(Event, Event.instance_id == row.instance_id, Event.action == "approve") == 1


def test_late_step_post_shows_the_page_with_the_message_and_the_input(app, demo, at_review):
    person, review = at_review
    committee = demo.users["committee1:committee_admin"]
    late = app.test_client()
    login(late, committee)
    url = f"/process/{person.id}/steps/2"
    token = csrf_token(late, url)
    ctx = services.load(person)
    services.act(committee, ctx, review.id, "approve", opinion="同意")
    db.session.commit()
    response = late.post(url, data={"csrf_token": token, "action": "approve", "opinion": "我的审核意见",
                                    "version": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "已被他人处理" in html and "我的审核意见" in html
    assert 'value="approve"' not in html

"""暂停发展 / 归国恢复 and the 接续培养 sender's endpoints over the JSON API: the manual's path through three
roles, opinions required, scope (404), role (403), lost races (409), and the 待办 task API on resume tasks."""
import pytest

from app.extensions import db
from app.people.models import Person
from app.workflow import simulate
from app.workflow import services as workflow


def _token(client, user):
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": "Demo12345"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api(client, demo):
    return {key: _token(client, demo.users[name]) for key, name in (
        ("branch", "branch1:branch_admin"), ("committee", "committee1:committee_admin"),
        ("county", "county_admin"), ("branch2", "branch2:branch_admin"), ("branch3", "branch3:branch_admin"),
        ("auditor", "auditor"), ("designer", "designer"))}


@pytest.fixture
def applicant(demo):
    return simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 11, name="孙出境")


def _suspend(client, api, person, **overrides):
    body = {"reason": "出国务工", "destination": "新加坡", "expected_from": "2026-03-01",
            "expected_to": "2027-03-01", **overrides}
    return client.post(f"/api/v1/people/{person.id}/suspension", headers=api, json=body)


def test_suspend_resume_through_three_roles(client, api, applicant):
    ready = [t.name for t in workflow.load(applicant).ready]
    bad = _suspend(client, api["branch"], applicant, reason="", expected_to="2025-01-01")
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) >= {"reason", "expected_to"}
    response = _suspend(client, api["branch"], applicant)
    assert response.status_code == 201, response.get_json()
    suspension = response.get_json()["suspension"]
    assert suspension["status"] == "suspended" and suspension["resume_status_label"] == "未申请"
    assert _suspend(client, api["branch"], applicant).status_code == 409
    listed = client.get("/api/v1/suspensions?name=孙", headers=api["county"]).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == suspension["id"] and "per_page" in listed

    sid = suspension["id"]
    assert client.post(f"/api/v1/suspensions/{sid}/resume-requests", headers=api["branch"],
                       json={"opinion": ""}).status_code == 422
    created = client.post(f"/api/v1/suspensions/{sid}/resume-requests", headers=api["branch"],
                          json={"opinion": "已回国"})
    assert created.status_code == 201
    request = created.get_json()["request"]
    rid = request["id"]
    # The committee's 待办 lists it (process resume) and the generic task endpoint decides it too.
    tasks = client.get("/api/v1/tasks", headers=api["committee"]).get_json()["items"]
    [task] = [t for t in tasks if t["process"] == "resume"]
    assert task["subject_id"] == rid
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=api["committee"]).get_json()
    assert detail["actions"] == ["approve", "reject"]
    # The branch may not review (role: 403); an empty opinion is refused beside the field.
    assert client.post(f"/api/v1/resume-requests/{rid}/decision", headers=api["branch"],
                       json={"decision": "approve", "opinion": "x"}).status_code == 403
    empty = client.post(f"/api/v1/resume-requests/{rid}/decision", headers=api["committee"],
                        json={"decision": "approve", "opinion": " "})
    assert empty.status_code == 422 and "opinion" in empty.get_json()["fields"]
    stale = client.post(f"/api/v1/resume-requests/{rid}/decision", headers=api["committee"],
                        json={"decision": "approve", "opinion": "同意", "version": request["version"] + 5})
    assert stale.status_code == 409 and stale.get_json()["error"] == "已被他人处理"
    done = client.post(f"/api/v1/tasks/{task['id']}", headers=api["committee"],
                       json={"action": "approve", "opinion": "基层党委同意", "version": request["version"]})
    assert done.status_code == 200, done.get_json()
    # Too late for the same task: a lost race.
    assert client.post(f"/api/v1/tasks/{task['id']}", headers=api["committee"],
                       json={"action": "approve", "opinion": "again"}).status_code == 409
    county = client.post(f"/api/v1/resume-requests/{rid}/decision", headers=api["county"],
                         json={"decision": "approve", "opinion": "县级同意"})
    assert county.status_code == 200 and county.get_json()["request"]["status"] == "resumed"
    db.session.expire_all()
    person = db.session.get(Person, applicant.id)
    assert person.status == "active" and [t.name for t in workflow.load(person).ready] == ready
    record = client.get(f"/api/v1/suspensions/{sid}", headers=api["branch"]).get_json()
    assert record["suspension"]["status"] == "resumed" and len(record["requests"]) == 1
    assert record["requests"][0]["committee"]["opinion"] == "基层党委同意"


def test_scope_is_404_and_role_is_403(client, api, applicant):
    sid = _suspend(client, api["branch"], applicant).get_json()["suspension"]["id"]
    # Another committee's branch: nothing exists for it.
    assert client.get(f"/api/v1/suspensions/{sid}", headers=api["branch3"]).status_code == 404
    assert client.get("/api/v1/suspensions", headers=api["branch3"]).get_json()["total"] == 0
    assert client.post(f"/api/v1/suspensions/{sid}/resume-requests", headers=api["branch3"],
                       json={"opinion": "x"}).status_code == 404
    # Roles without the right: 403 whatever the id.
    assert client.get("/api/v1/suspensions", headers=api["designer"]).status_code == 403
    assert _suspend(client, api["auditor"], applicant).status_code == 403
    assert client.post(f"/api/v1/suspensions/{sid}/resume-requests", headers=api["auditor"],
                       json={"opinion": "x"}).status_code == 403
    # The auditor reads.
    assert client.get(f"/api/v1/suspensions/{sid}", headers=api["auditor"]).status_code == 200


def test_transfer_withdraw_and_sender_record(client, demo, actors, api):
    from app.transfers import services as transfers
    person = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 12, name="周转出")
    simulate.advance(person, actors, until_step=4)
    transfer = transfers.request_transfer(demo.users["branch2:branch_admin"], person.name, person.id_number,
                                          demo.orgs["branch2"].id)
    db.session.commit()
    assert client.post(f"/api/v1/transfers/{transfer.id}/withdraw", headers=api["branch2"],
                       json={}).status_code == 422
    assert client.post(f"/api/v1/transfers/{transfer.id}/withdraw", headers=api["branch"],
                       json={"version": transfer.version}).status_code == 403
    assert client.post(f"/api/v1/transfers/{transfer.id}/withdraw", headers=api["branch3"],
                       json={"version": transfer.version}).status_code == 404
    response = client.post(f"/api/v1/transfers/{transfer.id}/withdraw", headers=api["branch2"],
                           json={"version": transfer.version})
    assert response.status_code == 200 and response.get_json()["status"] == "已撤回"
    assert client.post(f"/api/v1/transfers/{transfer.id}/withdraw", headers=api["branch2"],
                       json={"version": transfer.version}).status_code == 409
    # A second request, approved: the sender reads the record as of the transfer, nobody else does.
    again = transfers.request_transfer(demo.users["branch2:branch_admin"], person.name, person.id_number,
                                       demo.orgs["branch2"].id)
    transfers.decide(demo.users["branch1:branch_admin"], again, "approve", "同意")
    db.session.commit()
    record = client.get(f"/api/v1/transfers/{again.id}/record", headers=api["branch"])
    assert record.status_code == 200
    steps = {s["step"]: s for s in record.get_json()["steps"]}
    assert steps[3]["status"] == "done" and steps[1]["data"]["name"] == "周转出"
    assert client.get(f"/api/v1/transfers/{again.id}/record", headers=api["branch2"]).status_code == 404
    assert client.get(f"/api/v1/transfers/{transfer.id}/record", headers=api["branch"]).status_code == 404
    assert client.get(f"/api/v1/transfers/{again.id}/record", headers=api["designer"]).status_code == 403

"""The procedure over the JSON API: same services, same rules, JSON errors with per-field messages."""
import io

import pytest

from app.extensions import db
from app.workflow import simulate


def _token(client, user):
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": "Demo12345"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api(client, demo):
    return {"branch": _token(client, demo.users["branch1:branch_admin"]),
            "committee": _token(client, demo.users["committee1:committee_admin"]),
            "other": _token(client, demo.users["branch2:branch_admin"])}


def _upload(client, headers):
    response = client.post("/api/v1/attachments", headers=headers,
                           data={"file": (io.BytesIO(simulate.TINY_PNG), "scan.png")})
    assert response.status_code == 201
    return response.get_json()["sha256"]


def test_applicant_to_step_3_and_errors(client, demo, api):
    sha = _upload(client, api["branch"])
    bad = client.post("/api/v1/attachments", headers=api["branch"],
                      data={"file": (io.BytesIO(b"not an image"), "x.png")})
    assert bad.status_code == 422 and "不是JPG" in bad.get_json()["fields"]["file"][0]

    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id)
    wrong = dict(data, id_number="360426199101010072")
    response = client.post("/api/v1/applicants", headers=api["branch"], json={"data": wrong})
    assert response.status_code == 422 and "id_number" in response.get_json()["fields"]

    response = client.post("/api/v1/applicants", headers=api["branch"], json={"data": data})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    person_id, task = body["person"]["id"], body["ready"][0]
    assert task["name"] == "step02_talk"

    again = client.post("/api/v1/applicants", headers=api["branch"], json={"data": data})
    assert again.status_code == 422 and "已存在" in again.get_json()["fields"]["id_number"][0]
    assert again.get_json()["rule"] == "R18"   # the rule that refused it, as for rules in the diagram

    tasks = client.get("/api/v1/tasks", headers=api["branch"]).get_json()
    assert [t["id"] for t in tasks["items"]] == [task["id"]]
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=api["branch"]).get_json()
    assert detail["actions"] == ["save", "report"] and detail["form"] == "step02_talk"
    assert any(f["name"] == "talk_date" and f["type"] == "date" for f in detail["schema"])

    # Outside scope: another branch gets 404 for the task and the person.
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=api["other"]).status_code == 404
    assert client.get(f"/api/v1/people/{person_id}", headers=api["other"]).status_code == 404
    assert client.post(f"/api/v1/tasks/{task['id']}", headers=api["other"],
                       json={"action": "report"}).status_code == 404

    missing = client.post(f"/api/v1/tasks/{task['id']}", headers=api["branch"],
                          json={"action": "report", "data": {}})
    assert missing.status_code == 422 and "talk_date" in missing.get_json()["fields"]

    result = client.post(f"/api/v1/tasks/{task['id']}", headers=api["branch"], json={
        "action": "report", "data": simulate.sample("step02_talk", sha), "version": detail["version"]})
    assert result.status_code == 200, result.get_json()
    review = result.get_json()["ready"][0]
    assert review["kind"] == "review"
    # A branch admin cannot approve; the committee can; a stale version is a 409.
    assert client.post(f"/api/v1/tasks/{review['id']}", headers=api["branch"],
                       json={"action": "approve"}).status_code == 403
    stale = client.post(f"/api/v1/tasks/{review['id']}", headers=api["committee"],
                        json={"action": "approve", "version": detail["version"]})
    assert stale.status_code == 409 and "已被他人处理" in stale.get_json()["error"]
    ok = client.post(f"/api/v1/tasks/{review['id']}", headers=api["committee"], json={"action": "approve"})
    assert ok.status_code == 200 and ok.get_json()["ready"][0]["step"] == 3
    gone = client.post(f"/api/v1/tasks/{review['id']}", headers=api["committee"], json={"action": "approve"})
    assert gone.status_code in (404, 409)

    person = client.get(f"/api/v1/people/{person_id}", headers=api["committee"]).get_json()
    assert [s["status"] for s in person["steps"][:3]] == ["done", "done", "ready"]
    assert person["steps"][1]["review"] == "审核通过"


def test_rule_in_diagram_reported_per_field(client, demo, api):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 7)
    simulate.advance(person, {"branch_admin": branch, "committee_admin": demo.users["committee1:committee_admin"]},
                     until_step=4)
    db.session.expire_all()
    task = client.get("/api/v1/tasks", headers=api["branch"]).get_json()["items"][0]
    sha = _upload(client, api["branch"])
    data = simulate.sample("step04_activist_publicity", sha, publicity_end="2020-03-06")
    response = client.post(f"/api/v1/tasks/{task['id']}", headers=api["branch"],
                           json={"action": "submit", "data": data})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"publicity_end": ["公示时间不得少于7天"]}
    assert response.get_json()["rule"] == "R05"


def test_one_person_through_all_25_steps_over_the_api(client, demo, api):
    """Application to archived member with nothing but the API: each task's schema says what to send."""
    sha = _upload(client, api["branch"])
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id)
    body = client.post("/api/v1/applicants", headers=api["branch"], json={"data": data}).get_json()
    person_id, ready = body["person"]["id"], body["ready"]
    edited = [1]
    for _ in range(60):
        if not ready:
            break
        task = ready[0]
        who = api["committee"] if task["kind"] == "review" else api["branch"]
        detail = client.get(f"/api/v1/tasks/{task['id']}", headers=who).get_json()
        if task["kind"] == "review":
            payload = {"action": "approve", "opinion": "同意", "version": detail["version"]}
        else:
            action = "report" if "report" in detail["actions"] else "submit"
            payload = {"action": action, "data": simulate.sample(detail["form"], sha), "version": detail["version"]}
            edited.append(task["step"])
        response = client.post(f"/api/v1/tasks/{task['id']}", headers=who, json=payload)
        assert response.status_code == 200, (task, response.get_json())
        ready = response.get_json()["ready"]
    assert edited == list(range(1, 26))
    person = client.get(f"/api/v1/people/{person_id}", headers=api["committee"]).get_json()
    assert [s["status"] for s in person["steps"]] == ["done"] * 25
    assert person["person"]["category"] == "正式党员" and person["person"]["status"] == "completed"
    dates = person["person"]["dates"]
    # R31: 转为正式党员日期 is the end of the probation, a year after the admitting 支部大会.
    assert dates["full_member_date"] == dates["probation_end"] == "2022-05-10" and dates["join_date"] == "2021-05-10"
    assert person["ready"] == []
    assert client.get("/api/v1/tasks", headers=api["branch"]).get_json()["items"] == []

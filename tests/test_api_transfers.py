"""接续培养 over the API: request (R20 with its rule id), both sides' lists, the sending side's decision through
the transfer's runner, scope 404, role 403, a stale version 409."""
import pytest

from app.extensions import db
from app.people.models import Person
from app.workflow import simulate
from tests.api_support import Tokens
from tests.conftest import run_together

SENDER, RECEIVER, OUTSIDER = "branch1:branch_admin", "branch3:branch_admin", "branch4:branch_admin"


@pytest.fixture
def tokens(client, demo):
    return Tokens(client, demo)


@pytest.fixture
def applicant(demo):
    return simulate.add_applicant(demo.users[SENDER], demo.orgs["branch1"], 1, name="转接甲")


def _request(client, tokens, demo, person, key=RECEIVER, org="branch3"):
    return client.post("/api/v1/transfers", headers=tokens[key], json={
        "name": person.name, "id_number": person.id_number, "to_org_id": demo.orgs[org].id})


def test_request_lists_and_approve(client, demo, applicant, tokens):
    created = _request(client, tokens, demo, applicant)
    assert created.status_code == 201, created.get_json()
    transfer = created.get_json()
    assert transfer["status"] == "申请中" and transfer["person_id"] is None and not transfer["may_decide"]
    assert transfer["to_organisation"]["id"] == demo.orgs["branch3"].id
    incoming = client.get("/api/v1/transfers?tab=in", headers=tokens[RECEIVER]).get_json()
    outgoing = client.get("/api/v1/transfers?tab=out", headers=tokens[SENDER]).get_json()
    assert [t["id"] for t in incoming["items"]] == [t["id"] for t in outgoing["items"]] == [transfer["id"]]
    assert incoming["total"] == 1 and incoming["total_is_lower_bound"] is False
    seen = client.get(f"/api/v1/transfers/{transfer['id']}", headers=tokens[SENDER]).get_json()
    assert seen["may_decide"] and seen["person_id"] == applicant.id

    url = f"/api/v1/transfers/{transfer['id']}/decision"
    assert client.get(f"/api/v1/transfers/{transfer['id']}", headers=tokens[OUTSIDER]).status_code == 404
    assert client.post(url, headers=tokens[OUTSIDER], json={"decision": "approve"}).status_code == 404
    assert client.post(url, headers=tokens["auditor"], json={"decision": "approve"}).status_code == 403
    assert client.get("/api/v1/transfers", headers=tokens["designer"]).status_code == 403
    assert client.post(url, headers=tokens[SENDER], json={"decision": "maybe"}).status_code == 422
    stale = client.post(url, headers=tokens[SENDER], json={"decision": "approve", "version": seen["version"] + 5})
    assert stale.status_code == 409 and stale.get_json() == {"error": "已被他人处理"}
    done = client.post(url, headers=tokens[SENDER], json={"decision": "approve", "version": seen["version"]})
    assert done.status_code == 200 and done.get_json()["status"] == "已完成"
    db.session.expire_all()
    assert db.session.get(Person, applicant.id).org_id == demo.orgs["branch3"].id
    again = client.post(url, headers=tokens[SENDER], json={"decision": "approve"})
    assert again.status_code == 409


def test_reject_and_rule_refusals(client, demo, actors, applicant, tokens):
    transfer = _request(client, tokens, demo, applicant).get_json()
    refused = client.post(f"/api/v1/transfers/{transfer['id']}/decision", headers=tokens[SENDER],
                          json={"decision": "reject", "opinion": "尚在考察"})
    assert refused.status_code == 200 and refused.get_json()["status"] == "被拒绝"
    assert refused.get_json()["opinion"] == "尚在考察"

    simulate.advance(applicant, actors, until_step=8)   # 发展对象 now: R20 refuses
    db.session.expire_all()
    response = _request(client, tokens, demo, applicant)
    assert response.status_code == 422
    assert response.get_json()["rule"] == "R20" and "id_number" in response.get_json()["fields"]
    empty = client.post("/api/v1/transfers", headers=tokens[RECEIVER], json={"name": "", "to_org_id": "x"})
    assert empty.status_code == 422 and set(empty.get_json()["fields"]) == {"name", "id_number", "to_org_id"}


def test_concurrent_decisions_one_wins_the_rest_409(app, demo, applicant, tokens):
    transfer = _request(app.test_client(), tokens, demo, applicant).get_json()
    headers, url = tokens[SENDER], f"/api/v1/transfers/{transfer['id']}/decision"

    def decide(i):
        response = app.test_client().post(url, headers=headers,
                                          json={"decision": "approve" if i % 2 else "reject", "opinion": "意见"})
        return response.status_code, response.get_json()
    results = run_together(4, decide)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(code for code, _ in results) == [200, 409, 409, 409], results
    assert all(body == {"error": "已被他人处理"} for code, body in results if code == 409)

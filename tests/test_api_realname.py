"""实名认证 over the API: enter and report, the county's 不通过 and 备案认证 (the person's record starts), scope 404,
role 403, 409 when the request was decided meanwhile."""
import pytest

from app.workflow import simulate
from tests.api_support import Tokens, other_county_admin
from tests.conftest import reported_realname

BRANCH, OTHER = "branch1:branch_admin", "branch2:branch_admin"


@pytest.fixture
def tokens(client, demo):
    other_county_admin(demo)
    return Tokens(client, demo)


def _data(demo, seq, name):
    sha = simulate.stored_sample_file(demo.users[BRANCH])
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id, name=name,
                           id_number=simulate.make_id_number(seq))
    data["proof_scans"] = [sha]
    return data


def test_enter_report_reject_correct_and_confirm(client, demo, tokens):
    schema = client.get("/api/v1/realname/schema", headers=tokens[BRANCH]).get_json()
    assert any(f["name"] == "proof_scans" for f in schema["schema"])
    invalid = client.post("/api/v1/realname", headers=tokens[BRANCH], json={"data": {"name": "缺"}})
    assert invalid.status_code == 422 and "id_number" in invalid.get_json()["fields"]
    created = client.post("/api/v1/realname", headers=tokens[BRANCH], json={"data": _data(demo, 3, "实名甲")})
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert row["status"] == "草稿" and row["organisation"]["id"] == demo.orgs["branch1"].id
    assert client.get(f"/api/v1/realname/{row['id']}", headers=tokens[OTHER]).status_code == 404
    assert client.post(f"/api/v1/realname/{row['id']}/report", headers=tokens[OTHER], json={}).status_code == 404
    reported = client.post(f"/api/v1/realname/{row['id']}/report", headers=tokens[BRANCH], json={})
    assert reported.status_code == 200 and reported.get_json()["status"] == "待认证"
    listed = client.get("/api/v1/realname", headers=tokens["county_admin"]).get_json()
    assert [r["id"] for r in listed["items"]] == [row["id"]]

    reject = f"/api/v1/realname/{row['id']}/reject"
    assert client.post(reject, headers=tokens[BRANCH], json={"reason": "x"}).status_code == 403
    assert client.post(reject, headers=tokens["county2:county_admin"], json={"reason": "x"}).status_code == 404
    no_reason = client.post(reject, headers=tokens["county_admin"], json={"reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    refused = client.post(reject, headers=tokens["county_admin"], json={"reason": "照片不清"})
    assert refused.status_code == 200 and refused.get_json()["status"] == "不通过"
    assert client.post(reject, headers=tokens["county_admin"], json={"reason": "again"}).status_code == 409

    corrected = client.post(f"/api/v1/realname/{row['id']}", headers=tokens[BRANCH],
                            json={"action": "report", "data": _data(demo, 3, "实名甲")})
    assert corrected.status_code == 200 and corrected.get_json()["status"] == "待认证"
    confirm = f"/api/v1/realname/{row['id']}/confirm"
    assert client.post(confirm, headers=tokens["county2:county_admin"], json={}).status_code == 404
    done = client.post(confirm, headers=tokens["county_admin"], json={})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["request"]["status"] == "已认证" and body["person"]["name"] == "实名甲"
    assert body["person"]["current_step"] == 2
    assert client.post(confirm, headers=tokens["county_admin"], json={}).status_code == 409


def test_roles_and_filters(client, demo, tokens):
    row = reported_realname(demo, "实名乙", 4)
    assert client.get("/api/v1/realname", headers=tokens["auditor"]).status_code == 403
    assert client.post(f"/api/v1/realname/{row.id}/confirm", headers=tokens["committee1:committee_admin"],
                       json={}).status_code == 403
    assert client.get("/api/v1/realname?status=bogus", headers=tokens[BRANCH]).status_code == 422
    assert client.get("/api/v1/realname?name=实名乙", headers=tokens[BRANCH]).get_json()["total"] == 1
    assert client.get("/api/v1/realname?name=无此人", headers=tokens[BRANCH]).get_json()["total"] == 0
    assert client.get("/api/v1/realname", headers=tokens[OTHER]).get_json()["total"] == 0

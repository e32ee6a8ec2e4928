"""取消发展, 调整阶段, 恢复发展 and 重新发展 over the API: the procedure's services through the runner (an event each),
scope 404, role 403, 422 per field, 409 when the record moved on."""
import pytest

from app.events.models import Event
from app.extensions import db
from app.workflow import simulate
from tests.api_support import Tokens, other_county_admin
from tests.conftest import count, run_together

BRANCH, OTHER = "branch1:branch_admin", "branch2:branch_admin"


@pytest.fixture
def tokens(client, demo):
    other_county_admin(demo)
    return Tokens(client, demo)


@pytest.fixture
def person(demo, actors):
    return simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="操作甲")


def _post(client, tokens, key, person, action, **body):
    return client.post(f"/api/v1/people/{person.id}/{action}", headers=tokens[key], json=body)


def test_cancel_restore_and_the_refusals(client, demo, person, tokens):
    missing = _post(client, tokens, BRANCH, person, "cancel", reason=" ")
    assert missing.status_code == 422 and missing.get_json()["fields"] == {"reason": ["请填写停止发展原因"]}
    assert _post(client, tokens, OTHER, person, "cancel", reason="迁出").status_code == 404
    assert _post(client, tokens, "auditor", person, "cancel", reason="迁出").status_code == 403
    bad = _post(client, tokens, BRANCH, person, "cancel", reason="迁出", attachments=["x"])
    assert bad.status_code == 422 and "attachments" in bad.get_json()["fields"]
    sha = simulate.stored_sample_file(demo.users[BRANCH])
    done = _post(client, tokens, BRANCH, person, "cancel", reason="本人申请", attachments=[sha])
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["person"]["status"] == "cancelled"
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "cancel") == 1
    again = _post(client, tokens, BRANCH, person, "cancel", reason="本人申请")
    assert again.status_code == 409 and again.get_json() == {"error": "已被他人处理"}

    assert _post(client, tokens, BRANCH, person, "restore", reason="误操作").status_code == 403
    assert _post(client, tokens, "county2:county_admin", person, "restore", reason="误操作").status_code == 404
    listed = client.get("/api/v1/archive?kind=cancelled", headers=tokens["auditor"]).get_json()
    assert [(r["person"]["id"], r["reason"], r["attachments"]) for r in listed["items"]] == \
        [(person.id, "本人申请", [sha])]
    assert client.get("/api/v1/archive", headers=tokens[OTHER]).get_json()["total"] == 0
    assert client.get(f"/api/v1/archive?org_id={demo.orgs['branch1'].id}", headers=tokens[OTHER]).status_code == 404
    assert client.get("/api/v1/archive", headers=tokens["designer"]).status_code == 403
    assert client.get("/api/v1/archive?kind=bogus", headers=tokens[BRANCH]).status_code == 422
    restored = _post(client, tokens, "county_admin", person, "restore", reason="误操作")
    assert restored.status_code == 200 and restored.get_json()["person"]["status"] == "active"
    assert _post(client, tokens, "county_admin", person, "restore", reason="误操作").status_code == 409


def test_redevelop_closes_the_cancelled_record(client, demo, person, tokens):
    assert _post(client, tokens, "county_admin", person, "redevelop", reason="重新发展").status_code == 409
    assert _post(client, tokens, BRANCH, person, "cancel", reason="本人申请").status_code == 200
    assert _post(client, tokens, "committee1:committee_admin", person, "redevelop", reason="x").status_code == 403
    assert _post(client, tokens, "county2:county_admin", person, "redevelop", reason="x").status_code == 404
    closed = _post(client, tokens, "county_admin", person, "redevelop", reason="重新发展")
    assert closed.status_code == 200 and closed.get_json()["person"]["status"] == "closed"


def test_move_back_reopens_the_stage(client, demo, actors, person, tokens):
    simulate.advance(person, actors, until_step=5)
    db.session.expire_all()
    assert person.category == "入党积极分子"
    wrong = _post(client, tokens, BRANCH, person, "move-back", target="nowhere", reason="x")
    assert wrong.status_code == 422 and "target" in wrong.get_json()["fields"]
    assert _post(client, tokens, BRANCH, person, "move-back", target="activist").status_code == 409
    assert _post(client, tokens, OTHER, person, "move-back", target="applicant").status_code == 404
    assert _post(client, tokens, "auditor", person, "move-back", target="applicant").status_code == 403
    # Stage 1 is sealed (step 2 approved, R32): the branch's 调整申请 needs a file (tests/test_move_back_sealed.py
    # follows it to the county), the county reopens it at once with a file.
    sealed = _post(client, tokens, BRANCH, person, "move-back", target="applicant", reason="培养不足")
    assert sealed.status_code == 422 and sealed.get_json()["rule"] == "R32" and "files" in sealed.get_json()["fields"]
    sha = simulate.stored_sample_file(demo.users["county_admin"])
    moved = _post(client, tokens, "county_admin", person, "move-back", target="applicant", reason="培养不足",
                  attachments=[sha])
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["person"]["category"] == "入党申请人"
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "move_back") == 1


def test_hostile_bodies(client, demo, person, tokens):
    url = f"/api/v1/people/{person.id}/cancel"
    assert client.post(url, headers=tokens[BRANCH], data="[1]", content_type="application/json").status_code == 400
    assert client.post(url, headers=tokens[BRANCH], json={"reason": 5}).status_code == 422
    assert client.post(url, headers=tokens[BRANCH], json={"reason": "x" * 501}).status_code == 422
    assert client.post(url, headers=tokens[BRANCH], json={"reason": "a\x00"}).status_code == 400
    assert client.post(url, headers=tokens[BRANCH], data="[" * 100000, content_type="application/json").status_code == 400


def test_concurrent_cancels_one_wins_the_rest_409(app, demo, person, tokens):
    headers, url = tokens[BRANCH], f"/api/v1/people/{person.id}/cancel"

    def cancel(_):
        response = app.test_client().post(url, headers=headers,
                                          json={"reason": "本人申请"})
        return response.status_code, response.get_json()
    results = run_together(4, cancel)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(code for code, _ in results) == [200, 409, 409, 409], results
    assert all(body == {"error": "已被他人处理"} for code, body in results if code == 409)
    db.session.expire_all()
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "cancel") == 1

"""审计 over the API: a person's timeline, the bundle (checkable offline), verification of a person and of the
scope; scope 404, role 403 (admins below the county and the designer)."""
import pytest

from app.audit import bundle as audit_bundle
from app.extensions import db
from app.workflow import simulate
from tests.api_support import Tokens, other_county_admin


@pytest.fixture
def tokens(client, demo):
    other_county_admin(demo)
    return Tokens(client, demo)


@pytest.fixture
def person(demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="审计甲")
    simulate.advance(person, actors, until_step=3)
    db.session.expire_all()
    return person


def test_timeline_bundle_and_verification(client, demo, person, tokens):
    auditor = tokens["auditor"]
    timeline = client.get(f"/api/v1/audit/people/{person.id}/timeline", headers=auditor).get_json()
    actions = [e["action"] for e in timeline["events"]]
    assert actions[:2] == ["start", "submit"] and "approve" in actions
    assert timeline["events"][1]["prev_hash"] == timeline["events"][0]["hash"]
    assert timeline["events"][1]["step"] == 1 and timeline["person"]["id"] == person.id
    only = client.get(f"/api/v1/audit/people/{person.id}/timeline?action=approve", headers=auditor).get_json()
    assert {e["action"] for e in only["events"]} == {"approve"}
    bundle = client.get(f"/api/v1/audit/people/{person.id}/bundle", headers=auditor).get_json()
    assert bundle["person"]["id"] == person.id and audit_bundle.verify(bundle) == []
    report = client.get(f"/api/v1/audit/people/{person.id}/verify", headers=auditor).get_json()
    assert report["clean"] and report["instances"] == 1 and report["events"] == len(actions)
    scope = client.get("/api/v1/audit/verify", headers=tokens["county_admin"]).get_json()
    assert scope["clean"] and scope["instances"] >= 1


def test_scope_and_roles(client, demo, person, tokens):
    outsider = tokens["county2:county_admin"]
    for url in (f"/api/v1/audit/people/{person.id}/timeline", f"/api/v1/audit/people/{person.id}/bundle",
                f"/api/v1/audit/people/{person.id}/verify"):
        assert client.get(url, headers=outsider).status_code == 404
        for role in ("branch1:branch_admin", "committee1:committee_admin", "designer"):
            assert client.get(url, headers=tokens[role]).status_code == 403, (url, role)
    assert client.get("/api/v1/audit/verify", headers=tokens["branch1:branch_admin"]).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=outsider).get_json()["instances"] == 0

"""计划分配 over the API: read a year, set children's numbers, R21 refusals with the rule id, scope 404, role 403."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.plans.models import PlanQuota
from app.plans import services as plans
from tests.api_support import Tokens, other_county_admin

YEAR = 2025


@pytest.fixture
def tokens(client, demo):
    other_county_admin(demo)
    return Tokens(client, demo)


def _quota(org):
    return db.session.scalar(sa.select(PlanQuota.quota).where(PlanQuota.org_id == org.id, PlanQuota.year == YEAR))


def test_read_and_set_with_r21(client, demo, tokens):
    province = demo.users["province_admin"]
    plans.save_plans(province, YEAR, {"own": "20", f"org_{demo.orgs['city'].id}": "12"})
    plans.save_plans(demo.users["city_admin"], YEAR, {f"org_{demo.orgs['county'].id}": "10"})
    db.session.commit()
    county = tokens["county_admin"]
    plan = client.get(f"/api/v1/plans/{YEAR}", headers=county).get_json()
    assert plan["quota"] == 10 and plan["organisation"]["id"] == demo.orgs["county"].id
    assert [c["organisation"]["id"] for c in plan["children"]] == [demo.orgs["committee1"].id,
                                                                   demo.orgs["committee2"].id]
    c1, c2 = demo.orgs["committee1"].id, demo.orgs["committee2"].id
    over = client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": {str(c1): 6, str(c2): 5}})
    assert over.status_code == 422 and over.get_json()["rule"] == "R21" and "total" in over.get_json()["fields"]
    assert _quota(demo.orgs["committee1"]) is None
    done = client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": {str(c1): 6}})
    assert done.status_code == 200 and done.get_json()["changed"] == 1
    assert _quota(demo.orgs["committee1"]) == 6
    kept = client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": {str(c2): 4}}).get_json()
    assert [c["quota"] for c in kept["plan"]["children"]] == [6, 4]     # left out: kept, not cleared
    bad = client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": {str(c1): "x"}})
    assert bad.status_code == 422 and "rule" not in bad.get_json()
    assert client.get("/api/v1/plans", headers=county).status_code == 200


def test_scope_role_and_hostile_input(client, demo, tokens):
    county = tokens["county_admin"]
    outsider = tokens["county2:county_admin"]
    assert client.put(f"/api/v1/plans/{YEAR}", headers=outsider,
                      json={"quotas": {str(demo.orgs["committee1"].id): 1}}).status_code == 404
    sibling = client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": {str(demo.orgs["branch1"].id): 1}})
    assert sibling.status_code == 422
    assert client.get(f"/api/v1/plans/{YEAR}", headers=tokens["branch1:branch_admin"]).status_code == 403
    assert client.put(f"/api/v1/plans/{YEAR}", headers=tokens["auditor"], json={}).status_code == 403
    assert client.get("/api/v1/plans/1999", headers=county).status_code == 404
    assert client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": [1]}).status_code == 422
    assert client.put(f"/api/v1/plans/{YEAR}", headers=county, json={"quotas": {"abc": 1}}).status_code == 422

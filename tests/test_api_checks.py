"""逻辑校验 over the API: counts per check and per child, one check's persons with the evidence, scope 404,
role 403."""
from datetime import date

import pytest

from app.extensions import db
from tests.api_support import Tokens
from tests.rows import add_person


@pytest.fixture
def tokens(client, demo):
    return Tokens(client, demo)


def test_counts_and_persons(client, demo, tokens):
    o = demo.orgs
    late = add_person(o["branch3"], name="逾期谈话", fact={"talk_date": date(2020, 3, 1)})
    add_person(o["branch3"], name="按时谈话", fact={"talk_date": date(2020, 1, 20)})
    db.session.commit()
    body = client.get("/api/v1/checks", headers=tokens["county_admin"]).get_json()
    assert body["counts"]["R02"] == 1 and any(c["id"] == "R02" and c["rule"] == "R02" for c in body["checks"])
    by_child = {c["organisation"]["id"]: c["counts"]["R02"] for c in body["children"]}
    assert by_child == {o["committee1"].id: 0, o["committee2"].id: 1}
    listed = client.get(f"/api/v1/checks/R02?org_id={o['committee2'].id}", headers=tokens["county_admin"]).get_json()
    assert [i["person"]["id"] for i in listed["items"]] == [late.id] and listed["total"] == 1
    assert listed["items"][0]["evidence"]["谈话时间"] == "2020-03-01"
    assert client.get("/api/v1/checks/R99", headers=tokens["county_admin"]).status_code == 404


def test_scope_and_roles(client, demo, tokens):
    o = demo.orgs
    add_person(o["branch3"], fact={"talk_date": date(2020, 3, 1)})
    db.session.commit()
    branch = tokens["branch1:branch_admin"]
    assert client.get("/api/v1/checks", headers=branch).get_json()["counts"]["R02"] == 0
    assert client.get(f"/api/v1/checks?org_id={o['branch3'].id}", headers=branch).status_code == 404
    assert client.get(f"/api/v1/checks/R02?org_id={o['branch3'].id}", headers=branch).status_code == 404
    for role in ("designer", "security_officer"):
        assert client.get("/api/v1/checks", headers=tokens[role]).status_code == 403
        assert client.get("/api/v1/checks/R02", headers=tokens[role]).status_code == 403
    assert client.get("/api/v1/checks/R02?per_page=500", headers=branch).status_code == 422

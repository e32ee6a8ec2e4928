"""数据统计 over the API: the numbers behind the six charts of each of the seven views, scope 404, role 403."""
from datetime import date

import pytest

from app.extensions import db
from app.reports.catalogue import VIEWS
from tests.api_support import Tokens
from tests.rows import add_person


@pytest.fixture
def tokens(client, demo):
    return Tokens(client, demo)


def test_every_view_answers_its_charts(client, demo, tokens):
    o = demo.orgs
    add_person(o["branch1"], sex="女")
    add_person(o["branch3"], category="入党积极分子", stage=2, activist_date=date(2021, 5, 1))
    add_person(o["branch3"], category="预备党员", stage=5, probationary_date=date.today(), join_date=date.today())
    db.session.commit()
    county = tokens["county_admin"]
    body = client.get("/api/v1/stats", headers=county).get_json()
    assert body["view"]["key"] == "all" and body["total"] == 3
    charts = {c["key"]: c for c in body["charts"]}
    assert set(charts) == {"category", "sex", "age", "job", "education", "entered"}
    sex = {r["label"]: r["count"] for r in charts["sex"]["rows"]}
    assert sex["女"] == 1 and sex["男"] == 2 and charts["sex"]["kind"] == "pie"
    for view in VIEWS:
        answer = client.get(f"/api/v1/stats?view={view.key}", headers=county)
        assert answer.status_code == 200 and len(answer.get_json()["charts"]) == 6, view.key
    activists = client.get("/api/v1/stats?view=activist", headers=county).get_json()
    assert activists["total"] == 1
    mine = client.get(f"/api/v1/stats?org_id={o['committee2'].id}", headers=county).get_json()
    assert mine["total"] == 2 and mine["organisation"]["id"] == o["committee2"].id
    new = client.get(f"/api/v1/stats?view=new&start={date.today().year}-01-01", headers=county).get_json()
    assert new["total"] == 1


def test_scope_roles_and_bad_input(client, demo, tokens):
    branch = tokens["branch1:branch_admin"]
    assert client.get(f"/api/v1/stats?org_id={demo.orgs['branch3'].id}", headers=branch).status_code == 404
    assert client.get("/api/v1/stats", headers=tokens["designer"]).status_code == 403
    assert client.get("/api/v1/stats", headers=tokens["security_officer"]).status_code == 403
    for bad in ("view=nope", "start=2020-13-01", "start=2021-01-01&end=2020-01-01", "start=0001-01-01"):
        response = client.get(f"/api/v1/stats?{bad}", headers=branch)
        assert response.status_code == 422 and response.get_json()["fields"], bad

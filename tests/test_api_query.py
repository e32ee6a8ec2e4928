"""综合查询 over the API: the catalogue, the six modes through the page's parser and search, the cap flag,
scope (other subtrees never match), role 403, refused conditions 422."""
import pytest

from app.extensions import db
from app.workflow import simulate
from tests.api_support import Tokens

BRANCH = "branch1:branch_admin"


@pytest.fixture
def tokens(client, demo):
    return Tokens(client, demo)


@pytest.fixture
def persons(demo, actors):
    a = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="查询张三")
    b = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 2, name="查询李四", sex="女")
    c = simulate.add_applicant(demo.users["branch3:branch_admin"], demo.orgs["branch3"], 3, name="查询王五")
    db.session.expire_all()
    return a, b, c


def _search(client, headers, *conditions, **extra):
    """GET /query with the page's condition rows (c<i>_f, c<i>_m, c<i>_v, c<i>_to)."""
    args = []
    for i, cond in enumerate(conditions):
        args += [(f"c{i}_f", cond.get("field", "")), (f"c{i}_m", cond.get("mode", "")),
                 (f"c{i}_to", cond.get("to", ""))] + [(f"c{i}_v", v) for v in cond.get("values", [])]
    return client.get("/api/v1/query", headers=headers, query_string=args + list(extra.items()))


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [item["person"]["id"] for item in response.get_json()["items"]]


def test_six_modes(client, demo, persons, tokens):
    a, b, c = persons
    county = tokens["county_admin"]
    fields = client.get("/api/v1/query/fields", headers=county).get_json()
    assert set(fields["modes"]) == {"fuzzy", "exact", "prefix", "suffix", "multi", "range"}
    name = {"field": "person.name"}
    assert sorted(_ids(_search(client, county, dict(name, mode="fuzzy", values=["查询"])))) == sorted([a.id, b.id, c.id])
    assert _ids(_search(client, county, dict(name, mode="exact", values=["查询李四"]))) == [b.id]
    assert _ids(_search(client, county, dict(name, mode="prefix", values=["查询王"]))) == [c.id]
    assert _ids(_search(client, county, dict(name, mode="suffix", values=["张三"]))) == [a.id]
    assert _ids(_search(client, county, {"field": "person.sex", "mode": "multi", "values": ["女"]})) == [b.id]
    date_field = next(f["key"] for f in fields["fields"] if f["kind"] == "date" and "range" in f["modes"]
                      and f["key"].endswith("._date"))
    ranged = _search(client, county, {"field": date_field, "mode": "range", "values": ["2000-01-01"],
                                      "to": "2100-01-01"}, sort="name", per_page=2)
    body = ranged.get_json()
    assert body["total"] == 3 and body["per_page"] == 2 and len(body["items"]) == 2
    assert body["total_is_lower_bound"] is False and body["items"][0]["organisation_chain"]


def test_scope_role_and_refusals(client, demo, persons, tokens):
    a, b, c = persons
    branch = tokens[BRANCH]
    assert sorted(_ids(_search(client, branch, {"field": "person.name", "mode": "fuzzy", "values": ["查询"]}))) == \
        sorted([a.id, b.id])
    assert client.get("/api/v1/query", headers=tokens["designer"]).status_code == 403
    assert client.get("/api/v1/query/fields", headers=tokens["security_officer"]).status_code == 403
    wrong = _search(client, branch, {"field": "person.name", "mode": "multi", "values": ["x"]})
    assert wrong.status_code == 422 and list(wrong.get_json()["fields"]) == ["c0"]
    assert _search(client, branch, {"field": "person.name", "values": ["x" * 101]}).status_code == 422
    assert _search(client, branch, {"field": "no.such.field", "values": ["x"]}).status_code == 422
    assert _search(client, branch, sort="drop table").status_code == 422
    assert _search(client, branch, per_page=1000).status_code == 422
    assert _search(client, branch, {"field": "person.sex", "mode": "multi", "values": ["x"]}).status_code == 422

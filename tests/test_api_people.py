"""Organisations, persons and files over the API: one organisation shape, one person shape, paging, the full
record with each step's data and files, the download with a token; scope 404, role 403, hostile input 4xx."""
import pytest

from app.extensions import db
from app.workflow import simulate
from tests.api_support import Tokens

BRANCH, OTHER, COMMITTEE = "branch1:branch_admin", "branch2:branch_admin", "committee1:committee_admin"


@pytest.fixture
def tokens(client, demo):
    return Tokens(client, demo)


@pytest.fixture
def person(demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="接口甲")
    simulate.advance(person, actors, until_step=3)
    db.session.expire_all()
    return person


def test_organisation_tree_children_and_search(client, demo, tokens):
    tree = client.get("/api/v1/organisations", headers=tokens[COMMITTEE]).get_json()["items"]
    committee = demo.orgs["committee1"]
    assert tree[0] == {"organisation": {"id": committee.id, "name": committee.name, "level": "committee",
                                        "level_label": "基层党委", "path": committee.path,
                                        "parent_id": demo.orgs["county"].id}, "depth": 0, "child_count": 2}
    assert {n["organisation"]["id"] for n in tree if n["depth"] == 1} == {demo.orgs["branch1"].id,
                                                                         demo.orgs["branch2"].id}
    one = client.get(f"/api/v1/organisations/{demo.orgs['branch1'].id}", headers=tokens[COMMITTEE]).get_json()
    assert [a["id"] for a in one["ancestors"]] == [committee.id]   # the county is above the caller's scope
    assert [c["organisation"]["level"] for c in one["children"]] == ["group", "group"]
    children = client.get(f"/api/v1/organisations/{committee.id}/children", headers=tokens[COMMITTEE])
    assert [c["organisation"]["id"] for c in children.get_json()["items"]] == [demo.orgs["branch1"].id,
                                                                            demo.orgs["branch2"].id]
    found = client.get("/api/v1/organisations?q=后村", headers=tokens[COMMITTEE]).get_json()["items"]
    assert [(n["organisation"]["id"], n["depth"], n["child_count"]) for n in found] == [(demo.orgs["branch2"].id, 1, 2)]
    assert client.get("/api/v1/organisations?q=南村", headers=tokens[COMMITTEE]).get_json()["items"] == []


def test_organisations_out_of_scope_404_and_bad_input(client, demo, tokens):
    outside = demo.orgs["committee2"].id
    for url in (f"/api/v1/organisations/{outside}", f"/api/v1/organisations/{outside}/children"):
        response = client.get(url, headers=tokens[BRANCH])
        assert response.status_code == 404 and "error" in response.get_json()
    assert client.get("/api/v1/organisations?depth=9", headers=tokens[BRANCH]).status_code == 422
    assert client.get("/api/v1/organisations?q=" + "x" * 51, headers=tokens[BRANCH]).status_code == 422
    assert client.get("/api/v1/organisations/99999999999", headers=tokens[BRANCH]).status_code == 404
    assert client.get("/api/v1/organisations?q=%00", headers=tokens[BRANCH]).status_code == 400
    assert client.get("/api/v1/organisations").status_code == 401


def test_people_list_search_and_paging(client, demo, actors, tokens):
    for seq in range(1, 4):
        simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=f"分页{seq}")
    body = client.get("/api/v1/people?per_page=2", headers=tokens[COMMITTEE]).get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"], body["total_is_lower_bound"]) == \
        (1, 2, 3, 2, False)
    assert [p["name"] for p in body["items"]] == ["分页3", "分页2"]
    assert body["items"][0]["organisation"]["id"] == demo.orgs["branch1"].id
    second = client.get("/api/v1/people?per_page=2&page=2", headers=tokens[COMMITTEE]).get_json()
    assert [p["name"] for p in second["items"]] == ["分页1"]
    assert client.get("/api/v1/people?q=分页2", headers=tokens[COMMITTEE]).get_json()["total"] == 1
    id_prefix = simulate.make_id_number(1)[:17]
    assert client.get(f"/api/v1/people?q={id_prefix}", headers=tokens[COMMITTEE]).get_json()["total"] == 1
    stage = client.get("/api/v1/people?stage=1&q=分页", headers=tokens[COMMITTEE]).get_json()
    assert stage["total"] == 3 and client.get("/api/v1/people?stage=2", headers=tokens[COMMITTEE]).get_json()["total"] == 0
    # Scope: another branch sees none of them, and an organisation outside its scope is 404.
    assert client.get("/api/v1/people", headers=tokens[OTHER]).get_json()["total"] == 0
    assert client.get(f"/api/v1/people?org_id={demo.orgs['branch1'].id}", headers=tokens[OTHER]).status_code == 404
    for bad in ("per_page=0", "per_page=101", "page=0", "stage=9", "q=" + "x" * 51):
        response = client.get(f"/api/v1/people?{bad}", headers=tokens[COMMITTEE])
        assert response.status_code == 422 and response.get_json()["fields"], bad
    # Role: the designer and the security officer read no personal data.
    for role in ("designer", "security_officer"):
        assert client.get("/api/v1/people", headers=tokens[role]).status_code == 403


def test_full_record_with_step_data_and_files(client, demo, person, tokens):
    response = client.get(f"/api/v1/people/{person.id}", headers=tokens[COMMITTEE])
    assert response.status_code == 200
    body = response.get_json()
    assert body["person"]["name"] == "接口甲" and body["person"]["organisation"]["level"] == "branch"
    first, talk = body["steps"][0], body["steps"][1]
    assert first["status"] == "done" and first["data"]["name"] == "接口甲"
    assert first["files"] and first["files"][0]["url"] == f"/api/v1/attachments/{first['files'][0]['sha256']}"
    assert talk["data"]["talk_date"] and talk["review"] == "审核通过"
    assert body["steps"][2]["status"] == "ready" and body["steps"][5]["data"] == {}
    assert body["actions"] == {"cancel": True, "move_back": [], "restore": False, "redevelop": False}
    # The list and the record answer with the same person shape.
    listed = client.get("/api/v1/people", headers=tokens[COMMITTEE]).get_json()["items"][0]
    assert listed == body["person"]
    assert client.get(f"/api/v1/people/{person.id}", headers=tokens[OTHER]).status_code == 404
    assert client.get(f"/api/v1/people/{person.id}", headers=tokens["designer"]).status_code == 403
    assert client.get(f"/api/v1/people/{person.id}", headers=tokens["auditor"]).status_code == 200


def test_attachment_download_with_token(client, demo, person, tokens):
    record = client.get(f"/api/v1/people/{person.id}", headers=tokens[BRANCH]).get_json()
    url = record["steps"][0]["files"][0]["url"]
    response = client.get(url, headers=tokens[BRANCH])
    assert response.status_code == 200 and response.data == simulate.TINY_PNG
    assert response.mimetype == "image/png" and "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get(url, headers=tokens[OTHER]).status_code == 404
    assert client.get(url, headers=tokens["designer"]).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/attachments/not-a-hash", headers=tokens[BRANCH]).status_code == 404
    assert client.get("/api/v1/attachments/" + "0" * 64, headers=tokens[BRANCH]).status_code == 404

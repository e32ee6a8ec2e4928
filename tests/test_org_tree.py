"""The organisation-tree component's endpoint: the user's own organisation, children on demand, search, all
bounded by the user's scope (404 for a parent outside it)."""
from tests.conftest import login


def test_tree_starts_at_the_users_organisation_and_loads_children(app, demo, client):
    login(client, demo.users["committee1:committee_admin"])
    root = client.get("/orgs/tree.json").get_json()
    assert [n["id"] for n in root] == [demo.orgs["committee1"].id] and root[0]["has_children"]
    assert root[0]["path"] == [demo.orgs["committee1"].id]
    children = client.get(f"/orgs/tree.json?parent={demo.orgs['committee1'].id}").get_json()
    assert [n["name"] for n in children] == ["中共宁阳县东疏镇前村支部委员会", "中共宁阳县东疏镇后村支部委员会"]
    assert all(n["has_children"] for n in children)  # each branch has its 党小组
    assert children[0]["path"] == [demo.orgs["committee1"].id, demo.orgs["branch1"].id]
    groups = client.get(f"/orgs/tree.json?parent={demo.orgs['branch1'].id}").get_json()
    assert [n["name"] for n in groups] == ["第一党小组", "第二党小组"] and not any(n["has_children"] for n in groups)


def test_tree_refuses_what_lies_outside_scope(app, demo, client):
    login(client, demo.users["committee1:committee_admin"])
    for outside in ("committee2", "branch3", "county"):
        assert client.get(f"/orgs/tree.json?parent={demo.orgs[outside].id}").status_code == 404
    assert client.get("/orgs/tree.json?parent=abc").status_code == 404
    # Search finds names in scope only: 伏山镇 belongs to the other committee.
    assert client.get("/orgs/tree.json?q=伏山").get_json() == []
    found = client.get("/orgs/tree.json?q=后村").get_json()
    assert [n["id"] for n in found] == [demo.orgs["branch2"].id]
    assert [n["name"] for n in client.get("/orgs/tree.json?q=%").get_json()] == []  # LIKE wildcards are text


def test_tree_needs_a_session(app, demo, client):
    response = client.get("/orgs/tree.json")
    assert response.status_code in (302, 401)


def test_people_list_filters_by_the_chosen_organisation(app, demo, client, actors):
    from app.extensions import db
    from app.workflow import simulate
    simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="前村甲")
    simulate.add_applicant(demo.users["branch3:branch_admin"], demo.orgs["branch3"], 2, name="南村乙")
    db.session.commit()
    login(client, demo.users["county_admin"])
    everyone = client.get("/people/info").get_data(as_text=True)
    assert "前村甲" in everyone and "南村乙" in everyone
    committee = client.get(f"/people/info?org={demo.orgs['committee1'].id}").get_data(as_text=True)
    assert "前村甲" in committee and "南村乙" not in committee
    client.post("/auth/logout")
    login(client, demo.users["committee1:committee_admin"])
    assert client.get(f"/people/info?org={demo.orgs['branch3'].id}").status_code == 404

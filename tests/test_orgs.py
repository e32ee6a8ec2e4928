"""Organisation pages (/orgs): who may use them, creating, renaming and moving within scope, and
that a move carries every copied path along."""
import itertools

import pytest
import sqlalchemy as sa

from app.events.models import OperationLog
from app.extensions import db
from app.inbox.models import HumanTask
from app.orgs.models import Organisation
from app.orgs.services import OrgError, create_org, move_org
from app.people.models import Person
from app.workflow.models import ProcessInstance, ProcessVersion
from app.workflow.simulate import make_id_number
from tests.conftest import count


def reload(org):
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


_SEQ = itertools.count(1)


def add_person(org, name):
    # Each open person has an ID number of their own (R18, a unique index).
    person = Person(name=name, id_number=make_id_number(next(_SEQ)), org_id=org.id, org_path=org.path)
    db.session.add(person)
    db.session.flush()
    return person


def add_task(person):
    version_id = db.session.scalar(sa.select(ProcessVersion.id).limit(1))
    instance = ProcessInstance(process_version_id=version_id, state="{}")
    db.session.add(instance)
    db.session.flush()
    task = HumanTask(instance_id=instance.id, person_id=person.id, task_id="t", task_name="t",
                     title="t", role="branch_admin", org_path=person.org_path,
                     person_name=person.name, org_name="")
    db.session.add(task)
    db.session.flush()
    return task


@pytest.fixture
def county2(demo):
    """A second county under the same city, outside the demo county admin's subtree."""
    county = create_org("中共宁阳县邻县委员会", "county", demo.orgs["city"])
    committee = create_org("邻县某镇委员会", "committee", county)
    branch = create_org("邻县某村支部委员会", "branch", committee)
    db.session.commit()
    return {"county": county, "committee": committee, "branch": branch}


def html(response):
    return response.get_data(as_text=True)


# --- Who may use the pages ---

def test_login_required(client, demo):
    response = client.get("/orgs/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("key", ["branch2:branch_admin", "committee1:committee_admin", "designer", "auditor"])
def test_other_roles_get_403(client, demo, auth, key):
    auth.login(demo.users[key])
    branch = demo.orgs["branch2"]
    assert client.get("/orgs/").status_code == 403
    assert client.get(f"/orgs/{branch.id}").status_code == 403
    assert client.get(f"/orgs/{branch.id}/new").status_code == 403
    assert auth.post(f"/orgs/{branch.id}/new", {"name": "新党小组", "level": "group"}).status_code == 403
    assert auth.post(f"/orgs/{branch.id}/rename", {"name": "改名"}).status_code == 403
    assert count(Organisation, Organisation.name.in_(["新党小组", "改名"])) == 0


def test_security_officer_reads_but_cannot_change(client, demo, auth):
    auth.login(demo.users["security_officer"])
    page = client.get("/orgs/")
    assert page.status_code == 200
    assert demo.orgs["branch4"].name in html(page)
    assert "新建下级组织" not in html(page) and "重命名" not in html(page)
    committee = demo.orgs["committee1"]
    assert client.get(f"/orgs/{committee.id}").status_code == 200
    assert client.get(f"/orgs/{committee.id}/new").status_code == 403
    assert auth.post(f"/orgs/{committee.id}/rename", {"name": "改名"}).status_code == 403
    assert auth.post(f"/orgs/{committee.id}/move",
                     {"parent_id": demo.orgs["committee2"].id}).status_code == 403


def test_menu_entry_shown_to_upper_admins_only(client, demo, auth):
    auth.login(demo.users["county_admin"])
    assert 'data-menu="orgs"' in html(client.get("/orgs/"))


# --- The tree page ---

def test_tree_lists_subtree_with_levels_and_child_counts(client, demo, auth):
    auth.login(demo.users["county_admin"])
    page = html(client.get("/orgs/"))
    for key in ("county", "committee1", "committee2", "branch1", "branch2", "branch3", "branch4"):
        org = demo.orgs[key]
        assert f'data-org-id="{org.id}"' in page
        assert f'href="/orgs/{org.id}"' in page
    assert demo.orgs["city"].name not in page.split('data-testid="org-tree"')[1]
    # Tree order: each committee is followed by its own branches.
    order = [page.index(f'data-org-id="{demo.orgs[k].id}"')
             for k in ("county", "committee1", "branch1", "branch2", "committee2", "branch3", "branch4")]
    assert order == sorted(order)
    row = page.split(f'data-org-id="{demo.orgs["branch1"].id}"')[1].split("</tr>")[0]
    assert "党支部" in row and "<td>2</td>" in row  # two 党小组 below, listed one level deeper
    row = page.split(f'data-org-id="{demo.orgs["county"].id}"')[1].split("</tr>")[0]
    assert "<td>2</td>" in row


def test_org_page_shows_deeper_levels(client, demo, auth):
    auth.login(demo.users["county_admin"])
    page = html(client.get(f"/orgs/{demo.orgs['branch1'].id}"))
    assert page.count("第一党小组") == 1 and "党小组" in page
    # Ancestors in scope make the breadcrumb; the city above the county is not shown.
    assert demo.orgs["committee1"].name in page and demo.orgs["city"].name not in page


def test_city_admin_sees_both_counties(client, demo, auth, county2):
    auth.login(demo.users["city_admin"])
    page = html(client.get("/orgs/"))
    assert demo.orgs["county"].name in page and county2["county"].name in page


# --- Create ---

def test_county_admin_creates_child(client, demo, auth):
    auth.login(demo.users["county_admin"])
    committee = demo.orgs["committee1"]
    form = html(client.get(f"/orgs/{committee.id}/new"))
    # Only levels below the parent are offered.
    assert 'value="branch"' in form and 'value="group"' in form and 'value="committee"' not in form
    response = auth.post(f"/orgs/{committee.id}/new", {"name": "  中共东疏镇新村支部委员会 ", "level": "branch"})
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "中共东疏镇新村支部委员会"))
    assert org.level == "branch" and org.parent_id == committee.id
    assert org.path == f"{committee.path}{org.id}/"
    assert count(OperationLog, OperationLog.action == "org.create", OperationLog.target == org.name) == 1
    assert org.name in html(client.get(response.headers["Location"]))


def test_create_errors_keep_input(client, demo, auth):
    auth.login(demo.users["county_admin"])
    committee = demo.orgs["committee1"]
    before = count(Organisation)
    response = auth.post(f"/orgs/{committee.id}/new", {"name": "   ", "level": "group"})
    assert response.status_code == 422 and "请填写组织名称" in html(response)
    long_name = "长" * 121
    response = auth.post(f"/orgs/{committee.id}/new", {"name": long_name, "level": "group"})
    assert response.status_code == 422
    assert "组织名称不能超过120个字" in html(response) and f'value="{long_name}"' in html(response)
    assert '<option selected value="group">' in html(response)
    assert count(Organisation) == before


def test_branch_cannot_hold_committee(client, demo, auth):
    auth.login(demo.users["county_admin"])
    branch = demo.orgs["branch1"]
    before = count(Organisation)
    response = auth.post(f"/orgs/{branch.id}/new", {"name": "伪造的基层党委", "level": "committee"})
    assert response.status_code == 422
    page = html(response)
    assert "基层党委不能设在党支部之下" in page
    assert 'data-field="level"' in page and 'value="伪造的基层党委"' in page
    assert count(Organisation) == before
    with pytest.raises(OrgError):
        create_org("x", "committee", branch)
    with pytest.raises(OrgError):
        create_org("x", "branch", branch)


def test_lowest_level_has_no_children(client, demo, auth):
    auth.login(demo.users["county_admin"])
    group = db.session.scalar(sa.select(Organisation).where(
        Organisation.parent_id == demo.orgs["branch1"].id).limit(1))
    page = html(client.get(f"/orgs/{group.id}/new"))
    assert "党小组之下不能再设下级组织" in page
    assert "新建下级组织" not in html(client.get(f"/orgs/{group.id}"))
    response = auth.post(f"/orgs/{group.id}/new", {"name": "x", "level": "group"})
    assert response.status_code == 422 and "党小组不能设在党小组之下" in html(response)


# --- Rename ---

def test_county_admin_renames(client, demo, auth):
    auth.login(demo.users["county_admin"])
    branch = demo.orgs["branch2"]
    assert f'value="{branch.name}"' in html(client.get(f"/orgs/{branch.id}/rename"))
    response = auth.post(f"/orgs/{branch.id}/rename", {"name": "中共东疏镇后村联合支部委员会"})
    assert response.status_code == 302
    assert reload(branch).name == "中共东疏镇后村联合支部委员会"
    assert count(OperationLog, OperationLog.action == "org.rename") == 1
    response = auth.post(f"/orgs/{branch.id}/rename", {"name": ""})
    assert response.status_code == 422 and "请填写组织名称" in html(response)
    assert reload(branch).name == "中共东疏镇后村联合支部委员会"


def test_own_organisation_cannot_be_renamed_or_moved(client, demo, auth):
    auth.login(demo.users["county_admin"])
    county = demo.orgs["county"]
    assert "重命名" not in html(client.get("/orgs/"))
    assert client.get(f"/orgs/{county.id}/rename").status_code == 403
    assert auth.post(f"/orgs/{county.id}/rename", {"name": "改名"}).status_code == 403
    assert auth.post(f"/orgs/{county.id}/move", {"parent_id": demo.orgs["committee1"].id}).status_code == 403
    assert reload(county).name != "改名"


# --- Outside the subtree ---

def test_cannot_act_outside_subtree(client, demo, auth, county2):
    auth.login(demo.users["county_admin"])
    for org in county2.values():
        assert client.get(f"/orgs/{org.id}").status_code == 404
        assert client.get(f"/orgs/{org.id}/new").status_code == 404
        assert client.get(f"/orgs/{org.id}/rename").status_code == 404
        assert auth.post(f"/orgs/{org.id}/new", {"name": "越权组织", "level": "group"}).status_code == 404
        assert auth.post(f"/orgs/{org.id}/rename", {"name": "越权改名"}).status_code == 404
        assert auth.post(f"/orgs/{org.id}/move",
                         {"parent_id": demo.orgs["committee1"].id}).status_code == 404
    # The city above is outside too, although it is an ancestor.
    assert client.get(f"/orgs/{demo.orgs['city'].id}").status_code == 404
    assert client.get("/orgs/999999").status_code == 404
    assert count(Organisation, Organisation.name.in_(["越权组织", "越权改名"])) == 0
    assert reload(county2["branch"]).parent_id == county2["committee"].id


def test_move_target_outside_scope_is_refused_beside_the_field(client, demo, auth, county2):
    auth.login(demo.users["county_admin"])
    branch = demo.orgs["branch1"]
    old_path = branch.path
    form = html(client.get(f"/orgs/{branch.id}/move"))
    assert f'value="{county2["committee"].id}"' not in form
    for target in (county2["committee"].id, demo.orgs["city"].id, 999999, "abc"):
        response = auth.post(f"/orgs/{branch.id}/move", {"parent_id": target})
        assert response.status_code == 422
        page = html(response)
        assert 'data-field="parent_id"' in page and "不存在或不在您的管理范围内" in page
    assert reload(branch).path == old_path


# --- Move ---

def test_county_admin_moves_branch_and_everything_under_it(client, demo, auth):
    branch3, committee1, committee2 = demo.orgs["branch3"], demo.orgs["committee1"], demo.orgs["committee2"]
    group = db.session.scalar(sa.select(Organisation).where(Organisation.parent_id == branch3.id).limit(1))
    in_branch = add_person(branch3, "支部人员")
    in_group = add_person(group, "小组人员")
    elsewhere = add_person(demo.orgs["branch4"], "别处人员")
    task_branch, task_group, task_elsewhere = add_task(in_branch), add_task(in_group), add_task(elsewhere)
    db.session.commit()
    ids = {"branch3": branch3.id, "group": group.id, "committee1": committee1.id}

    auth.login(demo.users["county_admin"])
    form = html(client.get(f"/orgs/{branch3.id}/move"))
    # Targets: the county and committee1; not the current parent, not another branch.
    assert f'value="{committee1.id}"' in form and f'value="{demo.orgs["county"].id}"' in form
    assert f'value="{committee2.id}"' not in form and f'value="{demo.orgs["branch1"].id}"' not in form
    response = auth.post(f"/orgs/{branch3.id}/move", {"parent_id": committee1.id})
    assert response.status_code == 302, html(response)

    db.session.expire_all()
    committee1 = db.session.get(Organisation, ids["committee1"])
    branch3 = db.session.get(Organisation, ids["branch3"])
    group = db.session.get(Organisation, ids["group"])
    assert branch3.parent_id == committee1.id
    assert branch3.path == f"{committee1.path}{branch3.id}/"
    assert group.path == f"{branch3.path}{group.id}/"
    assert all(o.path.startswith(branch3.path) for o in db.session.scalars(
        sa.select(Organisation).where(Organisation.parent_id == branch3.id)))
    assert db.session.get(Person, in_branch.id).org_path == branch3.path
    assert db.session.get(Person, in_group.id).org_path == group.path
    assert db.session.get(Person, elsewhere.id).org_path == demo.orgs["branch4"].path
    assert db.session.get(HumanTask, task_branch.id).org_path == branch3.path
    assert db.session.get(HumanTask, task_group.id).org_path == group.path
    assert db.session.get(HumanTask, task_elsewhere.id).org_path == demo.orgs["branch4"].path
    assert count(OperationLog, OperationLog.action == "org.move") == 1

    # Scope follows at once: committee1's admin now sees the moved branch's people.
    from app.scope import select_in_scope
    seen = {p.name for p in db.session.scalars(select_in_scope(Person, demo.users["committee1:committee_admin"]))}
    assert seen == {"支部人员", "小组人员"}
    seen = {p.name for p in db.session.scalars(select_in_scope(Person, demo.users["committee2:committee_admin"]))}
    assert seen == {"别处人员"}


def test_move_under_own_subtree_is_refused(client, demo, auth):
    committee1, branch1 = demo.orgs["committee1"], demo.orgs["branch1"]
    old_path = committee1.path
    auth.login(demo.users["county_admin"])
    form = html(client.get(f"/orgs/{committee1.id}/move"))
    assert f'value="{branch1.id}"' not in form
    for target in (committee1.id, branch1.id):
        response = auth.post(f"/orgs/{committee1.id}/move", {"parent_id": target})
        assert response.status_code == 422
        assert "不能移动到自身或其下级组织之下" in html(response)
    assert reload(committee1).path == old_path


def test_move_level_rules(client, demo, auth):
    auth.login(demo.users["county_admin"])
    committee2, branch1 = demo.orgs["committee2"], demo.orgs["branch1"]
    old_path = committee2.path
    response = auth.post(f"/orgs/{committee2.id}/move", {"parent_id": branch1.id})
    assert response.status_code == 422 and "基层党委不能设在党支部之下" in html(response)
    response = auth.post(f"/orgs/{demo.orgs['branch2'].id}/move", {"parent_id": demo.orgs["branch3"].id})
    assert response.status_code == 422 and "党支部不能设在党支部之下" in html(response)
    response = auth.post(f"/orgs/{branch1.id}/move", {"parent_id": demo.orgs["committee1"].id})
    assert response.status_code == 422 and "已在所选上级组织之下" in html(response)
    response = auth.post(f"/orgs/{branch1.id}/move", {"parent_id": ""})
    assert response.status_code == 422 and "请选择新的上级组织" in html(response)
    assert reload(committee2).path == old_path
    with pytest.raises(OrgError):
        move_org(demo.orgs["committee1"], demo.orgs["branch3"])


def test_city_admin_moves_committee_between_counties(client, demo, auth, county2):
    committee2, branch3 = demo.orgs["committee2"], demo.orgs["branch3"]
    person = add_person(branch3, "随迁人员")
    db.session.commit()
    auth.login(demo.users["city_admin"])
    response = auth.post(f"/orgs/{committee2.id}/move", {"parent_id": county2["county"].id})
    assert response.status_code == 302
    db.session.expire_all()
    county2_path = db.session.get(Organisation, county2["county"].id).path
    assert db.session.get(Organisation, committee2.id).path == f"{county2_path}{committee2.id}/"
    assert db.session.get(Person, person.id).org_path.startswith(county2_path)
    # The demo county admin has lost it from scope.
    auth.login(demo.users["county_admin"])
    assert client.get(f"/orgs/{branch3.id}").status_code == 404


def test_every_table_with_a_copied_path_is_moved_or_deliberately_frozen(app):
    from app.orgs.services import FROZEN_PATH_TABLES, _path_tables
    moved = {model.__tablename__ for model, _ in _path_tables()}
    scoped_tables = {mapper.class_.__tablename__ for mapper in db.Model.registry.mappers
                     if isinstance(getattr(mapper.class_, "__scope_path__", None), str)}
    missing = scoped_tables - moved - FROZEN_PATH_TABLES
    assert not missing, f"add these to app.orgs.services._path_tables or FROZEN_PATH_TABLES: {missing}"

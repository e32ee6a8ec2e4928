"""The scope helper (app/scope.py): lists and lookups stay inside the user's subtree, and who may
act in whose place."""
import itertools

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from app.extensions import db
from app.orgs.models import Organisation
from app.orgs.services import create_org
from app.people.models import Person
from app.workflow.simulate import make_id_number
from app.auth.models import User
from app.scope import (by_id_in_scope, can_act_as, fetch_in_scope, get_in_scope, org_in_scope, scoped,
                       select_in_scope)


_SEQ = itertools.count(1)


def add_person(org, name):
    # Each open person has an ID number of their own (R18, a unique index).
    person = Person(name=name, id_number=make_id_number(next(_SEQ)), org_id=org.id, org_path=org.path)
    db.session.add(person)
    db.session.flush()
    return person


@pytest.fixture
def people(demo):
    """One person in each of the four demo branches, keyed by branch."""
    rows = {f"branch{i}": add_person(demo.orgs[f"branch{i}"], f"人员{i}") for i in range(1, 5)}
    db.session.commit()
    return rows


def names(user):
    return sorted(p.name for p in db.session.scalars(select_in_scope(Person, user)))


def test_branch_admin_lists_only_own_branch(demo, people):
    assert names(demo.users["branch1:branch_admin"]) == ["人员1"]
    assert names(demo.users["branch2:branch_admin"]) == ["人员2"]


def test_committee_admin_sees_its_branches_only(demo, people):
    assert names(demo.users["committee1:committee_admin"]) == ["人员1", "人员2"]
    assert names(demo.users["committee2:committee_admin"]) == ["人员3", "人员4"]


def test_county_admin_sees_all_four(demo, people):
    assert names(demo.users["county_admin"]) == ["人员1", "人员2", "人员3", "人员4"]


def test_get_in_scope_returns_own_and_hides_others(demo, people):
    branch1_admin = demo.users["branch1:branch_admin"]
    assert get_in_scope(Person, people["branch1"].id, branch1_admin) is people["branch1"]
    # Another branch's person answers exactly like one that does not exist.
    with pytest.raises(NotFound):
        get_in_scope(Person, people["branch2"].id, branch1_admin)
    with pytest.raises(NotFound):
        get_in_scope(Person, 999999, branch1_admin)
    with pytest.raises(NotFound):
        get_in_scope(Person, "1 or 1=1", branch1_admin)
    with pytest.raises(NotFound):
        get_in_scope(Person, None, branch1_admin)
    # The string form of an id (as it comes from a URL or form) works the same.
    assert get_in_scope(Person, str(people["branch1"].id), branch1_admin) is people["branch1"]


def test_higher_admin_looks_up_below_but_not_beside(demo, people):
    committee1_admin = demo.users["committee1:committee_admin"]
    assert get_in_scope(Person, people["branch2"].id, committee1_admin) is people["branch2"]
    with pytest.raises(NotFound):
        get_in_scope(Person, people["branch3"].id, committee1_admin)
    assert get_in_scope(Person, people["branch3"].id, demo.users["county_admin"]) is people["branch3"]


def test_a_statement_built_once_keeps_the_same_scope(demo, people):
    # by_id_in_scope/fetch_in_scope: the hot lookups' prebuilt SELECT answers exactly like get_in_scope.
    stmt = by_id_in_scope(Person, (Organisation, Organisation.id == Person.org_id))
    committee1_admin = demo.users["committee1:committee_admin"]
    person, org = fetch_in_scope(stmt, str(people["branch2"].id), committee1_admin)
    assert person is people["branch2"] and org is demo.orgs["branch2"]
    for outside in (people["branch3"].id, 999999, "1 or 1=1", None, 10 ** 30):
        with pytest.raises(NotFound):
            fetch_in_scope(stmt, outside, committee1_admin)
    # Models scoped through a join (accounts, organisations) have no range of their own to bind.
    for model in (User, Organisation):
        with pytest.raises(TypeError):
            by_id_in_scope(model)


def test_scoped_restricts_a_custom_statement(demo, people):
    stmt = scoped(sa.select(Person.name).order_by(Person.name), Person,
                  demo.users["committee2:committee_admin"])
    assert list(db.session.scalars(stmt)) == ["人员3", "人员4"]


def test_organisations_are_scoped_by_their_own_path(demo):
    branch1 = demo.orgs["branch1"]
    orgs = list(db.session.scalars(select_in_scope(Organisation, demo.users["branch1:branch_admin"])))
    assert branch1 in orgs
    assert {o.level for o in orgs} == {"branch", "group"}
    assert all(o.path.startswith(branch1.path) for o in orgs)
    with pytest.raises(NotFound):
        get_in_scope(Organisation, demo.orgs["committee1"].id, demo.users["branch1:branch_admin"])
    assert org_in_scope(branch1, demo.users["committee1:committee_admin"])
    assert not org_in_scope(demo.orgs["branch3"], demo.users["committee1:committee_admin"])


def test_sibling_whose_id_extends_another_is_not_in_its_scope(demo):
    # Paths end with "/" so that branch 6's prefix "/…/6/" does not match a sibling "/…/60/".
    branch1, committee1 = demo.orgs["branch1"], demo.orgs["committee1"]
    target = int(f"{branch1.id}0")
    sibling = None
    while sibling is None or sibling.id < target:
        sibling = create_org(f"支部{target}", "branch", committee1)
    assert sibling.id == target
    add_person(sibling, "旁支人员")
    add_person(branch1, "本支部人员")
    db.session.commit()
    assert names(demo.users["branch1:branch_admin"]) == ["本支部人员"]


def test_scope_rejects_models_without_a_scope_path(demo):
    # Process definitions belong to no organisation; querying them "in scope" is a programming error.
    from app.workflow.models import ProcessVersion
    with pytest.raises(TypeError):
        select_in_scope(ProcessVersion, demo.users["county_admin"])


class TestCanActAs:
    def test_branch_admin_acts_as_branch_admin_in_own_branch_only(self, demo):
        user = demo.users["branch1:branch_admin"]
        assert can_act_as(user, "branch_admin", demo.orgs["branch1"].path)
        assert not can_act_as(user, "branch_admin", demo.orgs["branch2"].path)
        assert not can_act_as(user, "branch_admin", demo.orgs["committee1"].path)

    def test_committee_admin_may_act_as_branch_admin_within_subtree(self, demo):
        user = demo.users["committee1:committee_admin"]
        assert can_act_as(user, "branch_admin", demo.orgs["branch1"].path)
        assert can_act_as(user, "branch_admin", demo.orgs["branch2"].path)
        assert can_act_as(user, "committee_admin", demo.orgs["committee1"].path)
        assert not can_act_as(user, "branch_admin", demo.orgs["branch3"].path)
        assert not can_act_as(user, "committee_admin", demo.orgs["committee2"].path)

    def test_lower_admin_may_not_act_as_higher(self, demo):
        branch_admin = demo.users["branch1:branch_admin"]
        assert not can_act_as(branch_admin, "committee_admin", demo.orgs["branch1"].path)
        assert not can_act_as(branch_admin, "committee_admin", demo.orgs["committee1"].path)
        committee_admin = demo.users["committee1:committee_admin"]
        assert not can_act_as(committee_admin, "county_admin", demo.orgs["branch1"].path)

    def test_county_admin_covers_the_county(self, demo):
        user = demo.users["county_admin"]
        for key in ("branch1", "branch4"):
            assert can_act_as(user, "branch_admin", demo.orgs[key].path)
        assert can_act_as(user, "committee_admin", demo.orgs["committee2"].path)
        assert not can_act_as(user, "city_admin", demo.orgs["county"].path)
        assert not can_act_as(user, "county_admin", demo.orgs["city"].path)

    @pytest.mark.parametrize("role", ["auditor", "security_officer", "designer"])
    def test_non_procedure_roles_act_as_nobody(self, demo, role):
        user = demo.users[role]
        for lane_role in ("branch_admin", "committee_admin", "county_admin"):
            for key in ("branch1", "committee1", "county"):
                assert not can_act_as(user, lane_role, demo.orgs[key].path), (role, lane_role, key)

"""The organisation tree on 计划分配 and 综合查询: a chosen organisation narrows the page to its subtree, an
organisation outside the user's scope is 404, and a chosen one's plan is read-only."""
import re

from app.extensions import db
from app.orgs.services import create_org
from app.workflow import simulate
from tests.conftest import login


def test_plans_show_a_chosen_organisation_read_only(app, demo):
    county = app.test_client()
    login(county, demo.users["county:county_admin"])
    html = county.get(f"/plans/?org={demo.orgs['committee1'].id}").get_data(as_text=True)
    assert "data-org-tree" in html
    assert re.findall(r'<tr data-org-id="(\d+)"', html) == [str(demo.orgs["branch1"].id), str(demo.orgs["branch2"].id)]
    assert "edit=1" not in html and "只读" in html
    own = county.get("/plans/").get_data(as_text=True)
    assert str(demo.orgs["committee1"].id) in re.findall(r'<tr data-org-id="(\d+)"', own) and "edit=1" in own
    sibling = create_org("中共肥城市委员会", "county", demo.orgs["city"])
    db.session.commit()
    assert county.get(f"/plans/?org={sibling.id}").status_code == 404  # outside the county's subtree


def test_query_is_narrowed_by_the_tree(app, demo):
    branch1, branch3 = demo.users["branch1:branch_admin"], demo.users["branch3:branch_admin"]
    simulate.add_applicant(branch1, demo.orgs["branch1"], 71, name="前村人")
    simulate.add_applicant(branch3, demo.orgs["branch3"], 72, name="南村人")
    county = app.test_client()
    login(county, demo.users["county:county_admin"])
    everyone = county.get("/query/?search=1").get_data(as_text=True)
    assert "前村人" in everyone and "南村人" in everyone
    narrowed = county.get(f"/query/?search=1&org={demo.orgs['committee2'].id}").get_data(as_text=True)
    assert "南村人" in narrowed and "前村人" not in narrowed and "data-org-tree" in narrowed
    assert county.get(f"/query/export.xlsx?org={demo.orgs['branch1'].id}").status_code == 200
    other = app.test_client()
    login(other, branch1)
    assert other.get(f"/query/?search=1&org={demo.orgs['branch3'].id}").status_code == 404

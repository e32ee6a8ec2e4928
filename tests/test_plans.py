"""计划分配 (§2.5, R21): the children's numbers never exceed the parent's, lowering a number below what was
handed down is refused, actual counts come from the 预备党员 date, and every page is scoped."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.auth.services import create_user
from app.events.models import OperationLog
from app.extensions import db
from app.orgs.services import create_org
from app.people.models import Person
from app.plans.models import PlanQuota
from app.workflow import simulate
from tests.conftest import count, csrf_token, login

YEAR = 2025


@pytest.fixture
def admins(app, demo):
    """Logged-in clients of the province, city and county admins."""
    clients = {}
    for role in ("province_admin", "city_admin", "county_admin"):
        c = app.test_client()
        login(c, demo.users[role])
        clients[role] = c
    return clients


def _post(client, data, year=YEAR):
    return client.post(f"/plans/?year={year}", data={"csrf_token": csrf_token(client), **data})


def _quota(org, year=YEAR):
    return db.session.scalar(sa.select(PlanQuota.quota).where(PlanQuota.org_id == org.id, PlanQuota.year == year))


def _hand_down(admins, demo, county=12):
    """Province 100 for itself and 40 to the city; the city gives the county ``county``."""
    assert _post(admins["province_admin"], {"own": "100", f"org_{demo.orgs['city'].id}": "40"}).status_code == 303
    assert _post(admins["city_admin"], {f"org_{demo.orgs['county'].id}": str(county)}).status_code == 303
    db.session.expire_all()


def test_children_over_the_parent_refused_beside_the_field_nothing_saved(admins, demo):
    _hand_down(admins, demo)
    c1, c2 = demo.orgs["committee1"], demo.orgs["committee2"]
    logged = count(OperationLog, OperationLog.action == "plan.update")
    response = _post(admins["county_admin"], {f"org_{c1.id}": "7", f"org_{c2.id}": "6"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-field="total"' in html and "合计 13，超出本级计划发展数 12" in html
    assert f'name="org_{c1.id}" id="org_{c1.id}" value="7"' in html  # the input is kept
    db.session.expire_all()
    assert _quota(c1) is None and _quota(c2) is None
    assert count(OperationLog, OperationLog.action == "plan.update") == logged

    response = _post(admins["county_admin"], {f"org_{c1.id}": "7", f"org_{c2.id}": "5"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (_quota(c1), _quota(c2)) == (7, 5)
    rows = db.session.scalars(sa.select(OperationLog).where(OperationLog.action == "plan.update")
                              .order_by(OperationLog.id.desc()).limit(2)).all()
    assert {(r.detail["org_id"], r.detail["from"], r.detail["to"]) for r in rows} == {(c1.id, None, 7), (c2.id, None, 5)}

    page = admins["county_admin"].get(f"/plans/?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="own-quota">12<' in page and 'data-testid="assigned">12<' in page


def test_without_a_number_from_the_parent_nothing_can_be_handed_down(admins, demo):
    response = _post(admins["county_admin"], {f"org_{demo.orgs['committee1'].id}": "1"})
    assert response.status_code == 422 and "尚未下达" in response.get_data(as_text=True)
    assert _quota(demo.orgs["committee1"]) is None


def test_lowering_below_what_was_handed_down_asks_to_reclaim_first(admins, demo):
    _hand_down(admins, demo)
    c1, c2, county = demo.orgs["committee1"], demo.orgs["committee2"], demo.orgs["county"]
    assert _post(admins["county_admin"], {f"org_{c1.id}": "7", f"org_{c2.id}": "5"}).status_code == 303

    response = _post(admins["city_admin"], {f"org_{county.id}": "10"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-field="org_{county.id}"' in html and "已向下级分配 12" in html and "回收" in html
    db.session.expire_all()
    assert _quota(county) == 12

    # The county gives back 2; now the city may take them.
    assert _post(admins["county_admin"], {f"org_{c1.id}": "5", f"org_{c2.id}": "5"}).status_code == 303
    assert _post(admins["city_admin"], {f"org_{county.id}": "10"}).status_code == 303
    db.session.expire_all()
    assert _quota(county) == 10

    # The province's own number (its admin sets it) cannot drop under the 40 handed to the city.
    response = _post(admins["province_admin"], {"own": "30", f"org_{demo.orgs['city'].id}": "40"})
    assert response.status_code == 422 and 'data-field="own"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert _quota(demo.orgs["province"]) == 100


def test_bad_number_is_refused_beside_its_field(admins, demo):
    _hand_down(admins, demo)
    c1 = demo.orgs["committee1"]
    response = _post(admins["county_admin"], {f"org_{c1.id}": "-3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'data-field="org_{c1.id}">请输入非负整数' in html
    assert _quota(c1) is None


def test_actual_counts_are_persons_who_became_probationary_in_the_year(app, admins, demo):
    branch = demo.users["branch1:branch_admin"]
    other = demo.users["branch3:branch_admin"]
    dated = [(branch, "branch1", date(YEAR, 1, 5)), (branch, "branch1", date(YEAR, 12, 31)),
             (other, "branch3", date(YEAR, 6, 1)), (branch, "branch1", date(YEAR - 1, 12, 31)),
             (demo.users["branch2:branch_admin"], "branch2", None)]
    for seq, (actor, key, when) in enumerate(dated, start=1):
        person = simulate.add_applicant(actor, demo.orgs[key], seq, name=f"计数{seq}")
        person.probationary_date = person.join_date = when
    db.session.commit()
    page = admins["county_admin"].get(f"/plans/?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="own-actual">3<' in page
    for key, expected in (("committee1", 2), ("committee2", 1)):
        row = page.split(f'data-org-id="{demo.orgs[key].id}"')[1].split("</tr>")[0]
        assert f'data-testid="actual">{expected}<' in row
    assert 'data-testid="own-actual">1<' in admins["county_admin"].get(f"/plans/?year={YEAR - 1}").get_data(as_text=True)


def test_year_selector_keeps_years_apart(admins, demo):
    _hand_down(admins, demo)
    assert _quota(demo.orgs["county"], YEAR) == 12 and _quota(demo.orgs["county"], YEAR + 1) is None
    page = admins["county_admin"].get(f"/plans/?year={YEAR + 1}").get_data(as_text=True)
    assert 'data-testid="own-quota">未下达<' in page


def test_scope_lower_admins_refused_and_other_counties_invisible(app, admins, demo):
    for role in ("branch1:branch_admin", "committee1:committee_admin"):
        c = app.test_client()
        login(c, demo.users[role])
        assert c.get("/plans/").status_code == 403
        assert c.post("/plans/", data={"csrf_token": csrf_token(c)}).status_code == 403
    county2 = create_org("中共东平县委员会", "county", demo.orgs["city"])
    town = create_org("中共东平县老湖镇委员会", "committee", county2)
    admin2 = create_user(username="110101199003070256", name="另一县", role="county_admin", org=county2,
                         password="Demo12345")
    db.session.commit()
    _post(admins["city_admin"], {})  # nothing to change
    _hand_down(admins, demo)
    assert _post(admins["city_admin"], {f"org_{demo.orgs['county'].id}": "12",
                                        f"org_{county2.id}": "3"}).status_code == 303
    c = app.test_client()
    login(c, admin2)
    page = c.get(f"/plans/?year={YEAR}").get_data(as_text=True)
    assert town.name in page and demo.orgs["committee1"].name not in page
    # A field naming an organisation outside the county's children is ignored.
    assert _post(c, {f"org_{town.id}": "2", f"org_{demo.orgs['committee1'].id}": "1"}).status_code == 303
    db.session.expire_all()
    assert _quota(town) == 2 and _quota(demo.orgs["committee1"]) is None

"""数据统计 of the province and cities from the worker's stored summary (app/reports/summary.py): the same numbers
as counting live, when they were counted shown on the page and in the API, stale until the next recount while a
county keeps counting live."""
from datetime import date

import pytest

from app.extensions import db
from app.reports import services, summary
from app.reports.catalogue import VIEW_BY_KEY, VIEWS
from tests.api_support import Tokens
from tests.conftest import login
from tests.rows import add_person


@pytest.fixture
def people(demo):
    o = demo.orgs
    rows = [
        dict(org=o["branch1"], category="入党申请人", current_step=2, sex="男", birth_date=date(2000, 6, 1),
             education="大学本科", apply_date=date(2024, 3, 1)),
        dict(org=o["branch2"], category="发展对象", current_step=9, sex="女", birth_date=date(1988, 8, 8),
             education="大学专科", job="学生", apply_date=date(2021, 5, 1), activist_date=date(2022, 1, 1),
             candidate_date=date(2023, 3, 1)),
        dict(org=o["branch3"], category="入党申请人", current_step=2, status="cancelled", sex="男",
             apply_date=date(2024, 1, 1)),
    ]
    persons = [add_person(r.pop("org"), **r) for r in rows]
    db.session.commit()
    return persons


def _rows(result):
    return {c.chart.key: c.rows for c in result}


def test_stored_counts_equal_live_counts_for_every_view(people, demo):
    stored = summary.refresh()
    db.session.commit()
    assert stored > 0
    for key in ("province", "city"):
        org = demo.orgs[key]
        for view in VIEWS:
            if view.in_range:
                continue
            sel = services.selection_of(org, view)
            live = services.count(sel)
            read = services.charts(demo.users["province_admin"], sel)
            assert all(c.counted_at is not None for c in read)
            assert _rows(read) == _rows(live), (key, view.key)
    # 新发展党员 (a date range) and a county are always counted now.
    county = services.selection_of(demo.orgs["county"], VIEW_BY_KEY["all"])
    assert services.charts(demo.users["county_admin"], county)[0].counted_at is None
    new = services.selection_of(demo.orgs["province"], VIEW_BY_KEY["new"])
    assert services.charts(demo.users["province_admin"], new)[0].counted_at is None


def test_the_province_page_is_stale_until_the_next_recount_the_county_is_not(people, demo, client, app):
    summary.refresh()
    db.session.commit()
    add_person(demo.orgs["branch1"], category="入党申请人", current_step=1, sex="女", apply_date=date(2025, 1, 1))
    db.session.commit()
    login(client, demo.users["province_admin"])
    html = client.get("/stats/").get_data(as_text=True)
    assert "共 <strong>2</strong> 人" in html and 'data-testid="stats-counted-at"' in html
    html = client.get(f"/stats/?org={demo.orgs['county'].id}").get_data(as_text=True)
    assert "共 <strong>3</strong> 人" in html and 'data-testid="stats-counted-at"' not in html
    with app.app_context():
        summary.refresh()
        db.session.commit()
    html = client.get("/stats/").get_data(as_text=True)
    assert "共 <strong>3</strong> 人" in html


def test_a_city_admin_reads_only_their_own_summary(people, demo, client):
    summary.refresh()
    db.session.commit()
    login(client, demo.users["city_admin"])
    assert client.get(f"/stats/?org={demo.orgs['province'].id}").status_code == 404
    assert "共 <strong>2</strong> 人" in client.get("/stats/").get_data(as_text=True)


def test_the_api_says_when_the_numbers_were_counted(people, demo, client):
    summary.refresh()
    db.session.commit()
    tokens = Tokens(client, demo)
    province = client.get("/api/v1/stats", headers=tokens["province_admin"]).get_json()
    assert province["total"] == 2 and province["counted_at"].endswith("Z")
    county = client.get("/api/v1/stats", headers=tokens["county_admin"]).get_json()
    assert county["total"] == 2 and county["counted_at"] is None

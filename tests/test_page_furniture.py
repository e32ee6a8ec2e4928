"""Page furniture from templates/macros.html: breadcrumbs, pagers, empty states, time zone, favicon."""
import re

import pytest
import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.inbox import services as inbox
from app.menu import menu_for
from app.timeutil import local
from app.suspensions import services as suspensions
from app.workflow import services, simulate
from tests.conftest import login
from tests.test_inbox_paging import _fill_inbox

ROLES = ["province_admin", "county_admin", "branch_admin", "security_officer", "designer", "auditor"]


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_page_has_a_breadcrumb(app, demo, client, role):
    login(client, demo.users[role])
    with app.test_request_context():
        endpoints = [item.endpoint for item in menu_for(demo.users[role])]
    assert endpoints
    for endpoint in endpoints:
        with app.test_request_context():
            from flask import url_for
            url = url_for(endpoint)
        response = client.get(url, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert re.search(r'class="crumb"[^>]*>\s*位置', html), url
        assert 'id="sidebar"' in html and 'aria-expanded="false"' in html, url


def test_pager_numbers_stop_at_what_a_capped_count_knows(app, demo, client, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 30)
    _fill_inbox(demo, 45)
    login(client, demo.users["county:county_admin"])
    html = client.get("/inbox/?view=below").get_data(as_text=True)
    pager = html[html.index('<nav class="pager"'):]
    # 30+ rows known at 20 a page: pages 1 and 2 exist, page 3 is not promised.
    assert 'aria-current="page">1<' in pager and "page=2" in pager and "page=3" not in pager
    # 前往 N 页 keeps the list's own parameters as hidden fields (a GET form drops its action's query).
    go = pager[pager.index('<form'):]
    assert 'action="/inbox/"' in go and 'name="view" value="below"' in go and 'max="2"' in go
    third = client.get("/inbox/?view=below&page=3").get_data(as_text=True)
    assert "第 3 页，共 30+ 条" in third


def test_exact_pager_shows_last_page(app, demo, client):
    branch = demo.users["branch1:branch_admin"]
    for i in range(45):
        simulate.add_applicant(branch, demo.orgs["branch1"], i)
    db.session.commit()
    login(client, branch)
    html = client.get("/people/info?page=1").get_data(as_text=True)
    pager = html[html.index('<nav class="pager"'):]
    assert "第 1 / 3 页，共 45 条" in pager and ">3</a>" in pager and 'name="page"' in pager


def test_audit_and_operations_show_beijing_time(app, demo, client, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1)
    db.session.commit()
    login(client, demo.users["auditor"])
    html = client.get(f"/audit/people/{person.id}").get_data(as_text=True)
    event = db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id)).first()
    assert "时间（北京时间）" in html and "协调世界时" not in html
    assert local(event.created_at, "%Y-%m-%d %H:%M:%S") in html
    dossier = client.get(f"/audit/people/{person.id}/dossier").get_data(as_text=True)
    assert "北京时间" in dossier and "UTC" not in dossier
    ops = client.get("/audit/operations").get_data(as_text=True)
    assert "时间（北京时间）" in ops and "协调世界时" not in ops


def test_favicon_is_public(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header


def test_operations_day_filter_uses_beijing_days(app, demo, client):
    from datetime import date, datetime
    from app.events.models import OperationLog
    from app.timeutil import utc_start_of_local_day
    # 2026-03-01 17:30 UTC is 2026-03-02 01:30 in Beijing.
    assert utc_start_of_local_day(date(2026, 3, 2)) == datetime(2026, 3, 1, 16, 0)
    login(client, demo.users["security_officer"])
    row = db.session.scalars(sa.select(OperationLog).order_by(OperationLog.id.desc())).first()
    day = local(row.created_at, "%Y-%m-%d")
    html = client.get(f"/audit/operations?from={day}&to={day}").get_data(as_text=True)
    assert local(row.created_at, "%Y-%m-%d %H:%M:%S") in html


def test_lists_with_times_name_the_zone_in_the_header(app, demo, client, actors):
    # Times of day are Beijing time; a list says so in the column header (README → Page furniture).
    branch = actors["branch_admin"]
    cancelled = simulate.add_applicant(branch, demo.orgs["branch1"], 2)
    services.cancel(branch, services.load(cancelled), "本人申请", [])
    away = simulate.add_applicant(branch, demo.orgs["branch1"], 3)
    suspensions.suspend(branch, away, reason="赴德国留学", destination="德国", expected_from="2026-09-01",
                        expected_to="2027-08-31")
    db.session.commit()
    login(client, demo.users["county_admin"])
    for url, headers in (("/archive/?kind=suspended", ("暂停发展时间（北京时间）", "上报时间（北京时间）",
                                                       "基层党委审核时间（北京时间）", "县级审核时间（北京时间）")),
                         ("/archive/?kind=cancelled", ("停止发展日期（北京时间）",)),
                         ("/transfers/", ("申请时间（北京时间）",)),
                         ("/registry/deliveries", ("产生时间（北京时间）", "下次尝试（北京时间）"))):
        html = client.get(url).get_data(as_text=True)
        for header in headers:
            assert header in html, (url, header)
    designer = app.test_client()
    login(designer, demo.users["designer"])
    assert "<th>时间（北京时间）</th>" in designer.get("/designer/").get_data(as_text=True)

"""e支部: the 党务公开 notices go through the outbox to the e支部 endpoint (the simulator's own path and key),
signed, in the action's transaction, with exactly what the public board shows and no personal field;
withdrawn when the person leaves during the period; listed on the county's 推送记录 page by destination."""
import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.people.models import Person
from app.registry import delivery
from app.registry.models import RegistryEvent
from app.timeutil import local_today
from app.workflow import services
from registry_sim.server import create_app as create_sim_app
from tests.conftest import login
from tests.test_publicity_board import _record, at_publicity  # noqa: F401  (the fixture)
from tests.test_registry import SECRET, Simulator

ESTATION_SECRET = "shared-estation-secret"
BASE = "https://dangjian.example.gov.cn"


@pytest.fixture
def estation(app, tmp_path):
    """The simulator served on a free port, the app sending notices to its e支部 path (registry not configured)."""
    server = make_server("127.0.0.1", 0, create_sim_app(SECRET, str(tmp_path / "sim.sqlite3"), ESTATION_SECRET),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="estation_sim", daemon=True)
    thread.start()
    sim = Simulator(f"http://127.0.0.1:{server.server_port}")
    app.config.update(ESTATION_URL=sim.url + "/estation/notices", ESTATION_SECRET=ESTATION_SECRET,
                      PUBLIC_BASE_URL=BASE, REGISTRY_URL=None)
    try:
        yield sim
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def _rows() -> list[RegistryEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(RegistryEvent).order_by(RegistryEvent.id)))


def test_a_saved_publicity_reaches_estation_signed_with_what_the_board_shows(app, client, demo, estation,
                                                                            at_publicity):
    person, task, headers, sha = at_publicity
    today = local_today()
    start, end = today - timedelta(days=1), today + timedelta(days=5)
    assert _record(client, headers, task, sha, start, end).status_code == 200
    [received] = estation.notices()
    assert received["type"] == "notice.published" and received["deliveries"] == 1
    notice = received["body"]["notice"]
    branch = demo.orgs["branch1"]
    assert (notice["name"], notice["title"], notice["period"]) == \
        ("公示人", "入党积极分子公示", {"start": start.isoformat(), "end": end.isoformat()})
    assert notice["organisation"]["id"] == branch.id and notice["feedback"]["organisation"] == branch.name
    assert notice["board_url"] == f"{BASE}/gongkai/{branch.id}"
    # The material is the board's own public link: it serves the file to anyone without login.
    [material] = notice["materials"]
    assert material["url"].startswith(BASE + "/gongkai/")
    served = app.test_client().get(material["url"][len(BASE):])
    assert served.status_code == 200 and served.mimetype == "image/png"
    # Nothing personal: no ID number (not even its region), phone, birth date or file name, and no other key.
    person = db.session.get(Person, person.id)
    text = json.dumps(received["body"], ensure_ascii=False)
    for personal in (person.id_number, person.id_number[:6], person.phone, person.birth_date.isoformat(),
                     "公示人身份证号", sha):
        assert personal and personal not in text, personal
    assert set(received["body"]) == {"event_id", "type", "occurred_at", "notice"}
    assert set(notice) == {"id", "name", "title", "period", "organisation", "feedback", "materials", "board_url"}
    [row] = _rows()
    assert (row.destination, row.status, row.key, row.org_path) == ("estation", "delivered", received["key"],
                                                                   branch.path)
    # Saving the same again sends nothing; a new end date is published again under the same notice id.
    assert _record(client, headers, task, sha, start, end).status_code == 200
    assert len(estation.notices()) == 1
    assert _record(client, headers, task, sha, start, end + timedelta(days=1)).status_code == 200
    first, second = estation.notices()
    assert second["body"]["notice"]["id"] == notice["id"] and second["body"]["notice"]["period"]["end"] == \
        (end + timedelta(days=1)).isoformat()


def test_a_person_leaving_during_the_period_withdraws_the_notice(app, client, demo, estation, at_publicity):
    person, task, headers, sha = at_publicity
    today = local_today()
    assert _record(client, headers, task, sha, today, today + timedelta(days=6)).status_code == 200
    services.cancel(demo.users["branch1:branch_admin"], services.load(person), "本人申请退出", [])
    db.session.commit()
    published, withdrawn = estation.notices()
    assert withdrawn["type"] == "notice.withdrawn" and withdrawn["body"]["reason"] == "已取消发展"
    assert withdrawn["body"]["notice"]["id"] == published["body"]["notice"]["id"]
    # 恢复发展 puts it back on the board, and on e支部.
    services.restore(demo.users["county_admin"], services.load(db.session.get(Person, person.id)), "误操作", [])
    db.session.commit()
    assert [n["type"] for n in estation.notices()][-1] == "notice.published"


def test_a_past_period_or_a_rolled_back_action_sends_nothing(app, client, demo, estation, at_publicity):
    person, task, headers, sha = at_publicity
    today = local_today()
    # Over before it was saved: the board never shows it, nor does e支部.
    assert _record(client, headers, task, sha, today - timedelta(days=9), today - timedelta(days=1)).status_code \
        == 200
    # A refused submit (result before the end of the period) rolls back with its outbox row.
    refused = _record(client, headers, task, sha, today, today + timedelta(days=6), action="submit", result="通过")
    assert refused.status_code == 422
    assert estation.notices() == [] and _rows() == []


def test_the_deliveries_page_names_the_destination_and_waits_when_unconfigured(app, client, demo, estation,
                                                                              at_publicity):
    person, task, headers, sha = at_publicity
    app.config["ESTATION_URL"] = None
    today = local_today()
    assert _record(client, headers, task, sha, today, today + timedelta(days=6)).status_code == 200
    [row] = _rows()
    assert (row.destination, row.status, row.attempts) == ("estation", "pending", 0)
    assert delivery.deliver_due(row.next_attempt_at + timedelta(minutes=1)) == 0 and _rows()[0].attempts == 0
    county = app.test_client()
    login(county, demo.users["county_admin"])
    html = county.get("/registry/deliveries").get_data(as_text=True)
    assert 'data-testid="unconfigured-estation"' in html and "ESTATION_URL" in html
    assert 'data-destination="estation">e支部<' in html and "公示发布" in html and "公示人" in html
    # Configured again, the worker's periodic pass delivers it.
    app.config["ESTATION_URL"] = estation.url + "/estation/notices"
    assert delivery.deliver_due(row.next_attempt_at + timedelta(minutes=1)) == 1
    assert [n["type"] for n in estation.notices()] == ["notice.published"]


def test_a_wrong_estation_key_is_refused_by_the_simulator(app, client, demo, estation, at_publicity):
    person, task, headers, sha = at_publicity
    app.config["ESTATION_SECRET"] = SECRET  # the registry's key, not e支部's
    today = local_today()
    assert _record(client, headers, task, sha, today, today + timedelta(days=6)).status_code == 200
    [row] = _rows()
    assert row.status == "pending" and row.last_error.startswith("HTTP 401")
    assert estation.notices() == []


def test_openapi_documents_the_estation_notice(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    notice = spec["components"]["schemas"]["EstationNotice"]
    assert set(notice["properties"]["type"]["enum"]) == {"notice.published", "notice.withdrawn"}
    fields = notice["properties"]["notice"]["properties"]
    assert not {"id_number", "phone", "birth_date"} & set(fields) and "ESTATION_SECRET" in notice["description"]


def test_a_transferred_person_s_notice_is_published_again_under_the_new_branch(app, client, demo, estation,
                                                                               at_publicity):
    from app.transfers import services as transfers
    person, task, headers, sha = at_publicity
    today = local_today()
    assert _record(client, headers, task, sha, today, today + timedelta(days=6)).status_code == 200
    request = transfers.request_transfer(demo.users["branch2:branch_admin"], person.name, person.id_number,
                                         demo.orgs["branch2"].id)
    db.session.commit()
    transfers.decide(demo.users["branch1:branch_admin"], request, "approve", "同意")
    db.session.commit()
    first, again = estation.notices()
    assert again["type"] == "notice.published" and again["body"]["notice"]["id"] == first["body"]["notice"]["id"]
    assert again["body"]["notice"]["organisation"]["id"] == demo.orgs["branch2"].id
    assert _rows()[-1].org_path == demo.orgs["branch2"].path   # the receiving side's county sees it

"""党员信息同步 (manual §2.12) against the registry simulator running as a real server: signed events received
and verified, a failing endpoint retried with back-off and then delivered, a bad signature refused, the
inbound 减少 and 组织关系转接 through the runner, idempotency, and who may see and do what."""
import json
import threading
import urllib.request
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.registry import delivery
from app.registry.models import RegistryEvent, RegistryInbound
from app.timeutil import utcnow
from app.workflow import simulate
from registry_sim import client as sim_client
from registry_sim.server import create_app as create_sim_app, expected_signature
from tests.conftest import count, csrf_token, login, run_together

SECRET = "shared-registry-secret"


class Simulator:
    """The registry simulator served on a free port: ``url``, ``events()``, ``fail(n)``."""

    def __init__(self, url: str):
        self.url = url

    def _call(self, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def events(self) -> list[dict]:
        return self._call("/events")["events"]

    def notices(self) -> list[dict]:
        """What the simulator's e支部 side received."""
        return self._call("/estation/notices")["events"]

    def fail(self, n: int) -> None:
        self._call("/control/fail", {"count": n})


@pytest.fixture
def registry_sim(tmp_path):
    server = make_server("127.0.0.1", 0, create_sim_app(SECRET, str(tmp_path / "sim.sqlite3")), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="registry_sim", daemon=True)
    thread.start()
    try:
        yield Simulator(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture
def registry(app, registry_sim):
    """The app pointed at the simulator (deliveries run at once after each commit: JOBS_IMMEDIATE)."""
    app.config.update(REGISTRY_URL=registry_sim.url + "/events", REGISTRY_SECRET=SECRET, REGISTRY_RETRY_BASE=30,
                      REGISTRY_MAX_ATTEMPTS=3)
    return registry_sim


def _probationary(demo, actors, seq: int = 1, name: str = "预备甲") -> Person:
    """A person whose 备案 (the step publishing the 预备党员 event) has just been approved."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=name)
    simulate.advance(person, actors, until_step=19)
    return person


def _rows(*where) -> list[RegistryEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(RegistryEvent).where(*where).order_by(RegistryEvent.id)))


def test_approving_the_filing_sends_a_signed_probationary_event(app, demo, actors, registry):
    person = _probationary(demo, actors)
    received = registry.events()
    assert [e["type"] for e in received] == ["probationary"]
    body = received[0]["body"]
    assert body["person"]["id_number"] == person.id_number and body["organisation"]["id"] == person.org_id
    assert body["dates"]["join_date"] == person.join_date.isoformat()   # R31: the admitting 支部大会
    [row] = _rows()
    assert row.status == "delivered" and row.attempts == 1 and received[0]["key"] == row.key
    # Written in the same transaction as the approval: the approval event exists, and nothing earlier sent one.
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "approve") > 0


def test_a_failing_endpoint_is_retried_with_back_off_then_delivered(app, demo, actors, registry):
    registry.fail(2)
    _probationary(demo, actors)
    [row] = _rows()
    assert (row.status, row.attempts) == ("pending", 1) and "503" in row.last_error
    first_wait = row.next_attempt_at
    assert delivery.deliver_due(utcnow()) == 0  # not due yet: nothing is attempted
    assert _rows()[0].attempts == 1
    assert delivery.deliver_due(first_wait + timedelta(seconds=1)) == 0
    row = _rows()[0]
    assert row.attempts == 2 and row.next_attempt_at - first_wait >= timedelta(seconds=59)  # doubled: 30 s, 60 s
    assert delivery.deliver_due(row.next_attempt_at + timedelta(seconds=1)) == 1
    row = _rows()[0]
    assert (row.status, row.attempts, row.last_error) == ("delivered", 3, "")
    [received] = registry.events()
    assert received["key"] == row.key and received["deliveries"] == 1


def test_an_endpoint_that_is_down_keeps_the_event_until_it_is_back(app, demo, actors, registry):
    app.config["REGISTRY_URL"] = "http://127.0.0.1:9/events"  # nothing listens there
    _probationary(demo, actors)
    [row] = _rows()
    assert row.status == "pending" and "连接失败" in row.last_error
    app.config["REGISTRY_URL"] = registry.url + "/events"
    assert delivery.deliver_due(row.next_attempt_at) == 1
    assert [e["type"] for e in registry.events()] == ["probationary"]


def test_a_bad_signature_is_refused_by_the_simulator(app, demo, actors, registry):
    app.config["REGISTRY_SECRET"] = "not-the-shared-secret"
    _probationary(demo, actors)
    [row] = _rows()
    assert row.status == "pending" and row.last_error.startswith("HTTP 401") and "签名无效" in row.last_error
    assert registry.events() == []
    body = delivery.body_of(row.payload)
    forged = urllib.request.Request(registry.url + "/events", data=body, method="POST", headers={
        "Idempotency-Key": row.key, "X-Registry-Signature": expected_signature("guess", body)})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 401


def test_failed_deliveries_are_listed_and_retried_from_the_county_page(app, demo, actors, registry):
    registry.fail(10)
    _probationary(demo, actors)
    row = _rows()[0]
    for _ in range(2):
        delivery.deliver_due(_rows()[0].next_attempt_at)
    row = _rows()[0]
    assert (row.status, row.attempts) == ("failed", 3)
    county = app.test_client()
    login(county, demo.users["county_admin"])
    html = county.get("/registry/deliveries?status=failed").get_data(as_text=True)
    assert "预备甲" in html and "503" in html and f'data-testid="retry-{row.id}"' in html
    registry.fail(0)
    assert county.post(f"/registry/deliveries/{row.id}/retry").status_code == 400  # no CSRF token: refused
    response = county.post(f"/registry/deliveries/{row.id}/retry",
                           data={"csrf_token": csrf_token(county, "/registry/deliveries")})
    assert response.status_code == 302
    assert _rows()[0].status == "delivered" and len(registry.events()) == 1
    assert "预备甲" in county.get("/registry/deliveries?status=delivered").get_data(as_text=True)


def test_the_deliveries_page_and_retry_follow_role_and_scope(app, demo, actors, registry):
    registry.fail(1)
    _probationary(demo, actors)
    row = _rows()[0]
    for role in ("branch_admin", "committee_admin", "auditor", "designer"):
        other = app.test_client()
        login(other, demo.users[role])
        assert other.get("/registry/deliveries").status_code == 403, role
    from app.auth.services import create_user
    from app.orgs.services import create_org
    county2 = create_org("中共另一县委员会", "county", demo.orgs["city"])
    far = create_user(username=simulate.make_id_number(300, "19900307", "110101"), name="另一县",
                      role="county_admin", org=county2, password="Demo12345", phone="13900000300")
    db.session.commit()
    far_client = app.test_client()
    login(far_client, far)
    assert "预备甲" not in far_client.get("/registry/deliveries").get_data(as_text=True)
    token = csrf_token(far_client, "/registry/deliveries")
    assert far_client.post(f"/registry/deliveries/{row.id}/retry", data={"csrf_token": token}).status_code == 404


# --- inbound: 减少 and 组织关系转接 -------------------------------------------------------------------------------

def _token(app, user) -> str:
    response = app.test_client().post("/api/v1/auth/token", json={"username": user.username, "password": "Demo12345"})
    return response.get_json()["token"]


def _inbound(app, token: str, path: str, body: dict, key: str):
    return app.test_client().post(f"/api/v1/registry/{path}", json=body, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_an_inbound_reduction_moves_the_person_to_the_history_library_once(app, demo, actors, registry):
    person = _probationary(demo, actors)
    token = _token(app, demo.users["registry_system"])
    body = {"id_number": person.id_number, "reason": "出国定居"}
    first = _inbound(app, token, "reductions", body, "reduce-1")
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"person_id": person.id, "status": "cancelled", "status_label": "已取消发展",
                                "replayed": False}
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "cancelled"
    county = app.test_client()
    login(county, demo.users["county_admin"])
    assert "党员信息系统减少：出国定居" in county.get("/archive/").get_data(as_text=True)
    events_before = count(Event, Event.instance_id == person.instance_id)
    again = _inbound(app, token, "reductions", body, "reduce-1")
    assert again.status_code == 200 and again.get_json() == dict(first.get_json(), replayed=True)
    assert count(Event, Event.instance_id == person.instance_id) == events_before
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "cancel") == 1
    other_body = _inbound(app, token, "reductions", {"id_number": person.id_number, "reason": "别的"}, "reduce-1")
    assert other_body.status_code == 422
    # What came from the registry is not sent back to it.
    assert [e["type"] for e in registry.events()] == ["probationary"]
    # A new key for a person already out of the procedure: refused, nothing written.
    assert _inbound(app, token, "reductions", body, "reduce-2").status_code == 409


def test_an_inbound_transfer_moves_the_record_to_the_new_branch(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 7, name="转接乙")
    token = _token(app, demo.users["registry_system"])
    body = {"id_number": person.id_number, "to_org_id": demo.orgs["branch2"].id}
    answer = _inbound(app, token, "transfers", body, "move-1")
    assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    moved = db.session.get(Person, person.id)
    assert moved.org_id == demo.orgs["branch2"].id
    assert _inbound(app, token, "transfers", body, "move-1").get_json()["replayed"] is True
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "transfer") == 1
    receiving = app.test_client()
    login(receiving, demo.users["branch2:branch_admin"])
    assert receiving.get(f"/process/{person.id}").status_code == 200
    refused = _inbound(app, token, "transfers", {"id_number": person.id_number, "to_org_id": demo.orgs["county"].id},
                       "move-2")
    assert refused.status_code == 422 and "to_org_id" in refused.get_json()["fields"]


def test_inbound_endpoints_need_the_system_role_its_scope_and_a_key(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 8, name="范围丙")
    body = {"id_number": person.id_number, "reason": "测试"}
    for role in ("county_admin", "province_admin", "auditor"):
        assert _inbound(app, _token(app, demo.users[role]), "reductions", body, f"k-{role}").status_code == 403
    assert app.test_client().post("/api/v1/registry/reductions", json=body,
                                  headers={"Idempotency-Key": "x"}).status_code == 401
    token = _token(app, demo.users["registry_system"])
    no_key = app.test_client().post("/api/v1/registry/reductions", json=body,
                                    headers={"Authorization": f"Bearer {token}"})
    assert no_key.status_code == 400
    from app.auth.services import create_user
    from app.orgs.services import create_org
    county2 = create_org("中共另一县委员会", "county", demo.orgs["city"])
    narrow = create_user(username=simulate.make_id_number(301, "19900307", "110101"), name="另一县系统",
                         role="registry_system", org=county2, password="Demo12345", phone="13900000301")
    db.session.commit()
    assert _inbound(app, _token(app, narrow), "reductions", body, "far-1").status_code == 404
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "active"


def test_the_simulator_client_sends_a_reduction_to_a_running_server(live_server):
    """The simulator's own client against the real app over HTTP (as the registry would call it)."""
    with live_server.app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.status == "active").order_by(Person.id))
        id_number, person_id = person.id_number, person.id
        db.session.remove()
    request = urllib.request.Request(live_server("/api/v1/auth/token"), method="POST", data=json.dumps({
        "username": "110101199003070513", "password": live_server.password}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.loads(response.read())["token"]
    status, answer = sim_client.send_reduction(live_server.url, token, id_number, "党籍注销", key="live-1")
    assert (status, answer["person_id"], answer["status"]) == (200, person_id, "cancelled")
    assert sim_client.send_reduction(live_server.url, token, id_number, "党籍注销", key="live-1")[1]["replayed"]


def test_openapi_documents_the_event_schema_and_inbound_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    event = spec["components"]["schemas"]["RegistryEvent"]
    assert set(event["properties"]["type"]["enum"]) == {"probationary", "full_member", "probation_revoked",
                                                        "transfer_out", "transfer_in"}
    assert "HMAC-SHA256" in event["description"]
    assert {"/registry/reductions", "/registry/transfers"} <= set(spec["paths"])


# --- the other events: 转正, 取消预备党员资格, 转出/转入 -----------------------------------------------------------------

def test_full_membership_and_cancelled_probation_are_sent(app, demo, actors, registry):
    from app.workflow import services as workflow
    member = _probationary(demo, actors, 1, "转正丁")
    simulate.advance(member, actors)  # to the end: 转正 approved, archived
    revoked = _probationary(demo, actors, 2, "取消戊")
    workflow.cancel(actors["branch_admin"], workflow.load(revoked), "预备期间违反党的纪律", [])
    db.session.commit()
    by_person = {}
    for event in registry.events():
        by_person.setdefault(event["body"]["person"]["name"], []).append(event["type"])
    assert by_person == {"转正丁": ["probationary", "full_member"], "取消戊": ["probationary", "probation_revoked"]}
    assert all(row.status == "delivered" for row in _rows())


def test_a_transfer_sends_transfer_out_and_in(app, demo, actors, registry):
    from app.transfers import services as transfers
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 9, name="转接己")
    request = transfers.request_transfer(demo.users["branch2:branch_admin"], person.name, person.id_number,
                                         demo.orgs["branch2"].id)
    db.session.commit()
    transfers.decide(actors["branch_admin"], request, "approve", "同意")
    db.session.commit()
    events = {e["type"]: e["body"] for e in registry.events()}
    assert set(events) == {"transfer_out", "transfer_in"}
    assert events["transfer_out"]["from_organisation"]["id"] == demo.orgs["branch1"].id
    assert events["transfer_in"]["to_organisation"]["id"] == demo.orgs["branch2"].id
    # Each side's county sees its own row: the sending branch's for 转出, the receiving one's for 转入.
    paths = {row.kind: row.org_path for row in _rows()}
    assert paths == {"transfer_out": demo.orgs["branch1"].path, "transfer_in": demo.orgs["branch2"].path}


@pytest.mark.parametrize("path, body_of", [
    ("reductions", lambda person, demo: {"id_number": person.id_number, "reason": "出国定居"}),
    ("transfers", lambda person, demo: {"id_number": person.id_number, "to_org_id": demo.orgs["branch2"].id}),
], ids=["reduction", "transfer"])
def test_concurrent_repeats_of_one_key_act_once_and_share_the_answer(app, demo, actors, path, body_of):
    """The registry retrying while its first call is still running: real threads, the same key, at once."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 11, name="并发庚")
    db.session.commit()
    # One token per caller, each used just before (its last-use stamp, written once a minute, would otherwise
    # make the calls queue on the token's row and hide the race).
    tokens, body = [_token(app, demo.users["registry_system"]) for _ in range(4)], body_of(person, demo)
    for token in tokens:
        assert app.test_client().get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"}) \
            .status_code == 200

    def call(i):
        response = _inbound(app, tokens[i], path, body, "same-key")
        return response.status_code, response.get_json()
    results = run_together(4, call)
    assert all(code == 200 for code, _ in results), results
    answers = [answer for _, answer in results]
    assert sorted(a["replayed"] for a in answers) == [False, True, True, True]
    assert all(dict(a, replayed=False) == answers[0] | {"replayed": False} for a in answers)
    db.session.expire_all()
    assert count(Event, Event.instance_id == person.instance_id, Event.action.in_(("cancel", "transfer"))) == 1
    assert count(RegistryInbound, RegistryInbound.key == "same-key") == 1


def test_after_an_inbound_transfer_the_old_branch_reads_the_record_as_of_the_move(app, demo, actors):
    """The registry's 组织关系转接 leaves the old branch what 接续培养 leaves it: 历史库 → 转出 and a read-only
    record as it stood at the transfer (a replay), nothing written later, and no way to edit."""
    import re
    from app.transfers.models import Transfer
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 12, name="转接辛")
    simulate.advance(person, actors, until_step=4)
    db.session.commit()
    token = _token(app, demo.users["registry_system"])
    body = {"id_number": person.id_number, "to_org_id": demo.orgs["branch2"].id}
    assert _inbound(app, token, "transfers", body, "asof-1").status_code == 200
    db.session.expire_all()
    transfer = db.session.scalars(sa.select(Transfer).where(Transfer.person_id == person.id)).one()
    assert (transfer.status, transfer.instance_id, transfer.from_org_id) == ("已完成", None, demo.orgs["branch1"].id)
    moved_at = db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id,
                                                         Event.seq == transfer.person_seq)).one()
    assert moved_at.action == "transfer" and moved_at.data["registry_key"] == "asof-1"
    # The auditor's instance lists take the row without an instance of its own in their stride.
    from app.audit.records import instance_ids_under
    assert person.instance_id in instance_ids_under(demo.orgs["branch1"].path) + \
        instance_ids_under(demo.orgs["branch2"].path)
    # The new branch carries on after the move.
    moved = db.session.get(Person, person.id)
    simulate.advance(moved, dict(actors, branch_admin=demo.users["branch2:branch_admin"]), until_step=5)
    db.session.commit()
    old = app.test_client()
    login(old, demo.users["branch1:branch_admin"])
    listing = old.get("/archive/?kind=transferred").get_data(as_text=True)
    assert "转接辛" in listing and f'data-transfer-id="{transfer.id}"' in listing
    page = old.get(f"/archive/transfers/{transfer.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "转接辛" in html
    steps = dict(re.findall(r'data-step="(\d+)" data-status="(\w+)"', html))
    assert steps["3"] == "done" and steps["4"] == "ready", steps   # as of the move, not the later step 4
    # Read-only: the live record, its pages and its edits are out of the old branch's scope.
    assert old.get(f"/process/{person.id}").status_code == 404
    assert old.get(f"/people/{person.id}/info").status_code == 404
    edit = old.post(f"/people/{person.id}/info", data={"csrf_token": csrf_token(old, "/archive/")})
    assert edit.status_code in (404, 405)
    assert "steps/" not in html.split('data-testid="record-steps"')[1].split("</table>")[0]
    # The same record over the API; the receiving branch has no as-of view of someone else's 转出.
    api = app.test_client().get(f"/api/v1/transfers/{transfer.id}/record", headers={
        "Authorization": f"Bearer {_token(app, demo.users['branch1:branch_admin'])}"})
    assert api.status_code == 200 and api.get_json()["transfer"]["as_of_event"] == transfer.person_seq
    new = app.test_client()
    login(new, demo.users["branch2:branch_admin"])
    assert new.get(f"/archive/transfers/{transfer.id}").status_code == 404
    # Both sides' 接续培养 pages list it as decided (no review, no withdraw).
    detail = new.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "转接辛" in detail and "党员信息管理系统组织关系转接" in detail and "撤回申请" not in detail
    assert "转接辛" in old.get("/transfers/?tab=out").get_data(as_text=True)
    listed = app.test_client().get("/api/v1/transfers?tab=in", headers={
        "Authorization": f"Bearer {_token(app, demo.users['branch2:branch_admin'])}"})
    assert listed.status_code == 200 and [i["id"] for i in listed.get_json()["items"]] == [transfer.id]


def test_a_refused_call_leaves_its_key_free(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 13, name="重试壬")
    db.session.commit()
    token = _token(app, demo.users["registry_system"])
    refused = _inbound(app, token, "reductions", {"id_number": person.id_number, "reason": " "}, "fix-1")
    assert refused.status_code == 422 and "reason" in refused.get_json()["fields"]
    assert count(RegistryInbound, RegistryInbound.key == "fix-1") == 0
    fixed = _inbound(app, token, "reductions", {"id_number": person.id_number, "reason": "迁出"}, "fix-1")
    assert fixed.status_code == 200 and fixed.get_json()["replayed"] is False

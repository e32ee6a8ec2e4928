"""接续培养 (manual §2.6) over HTTP with the real engine: request, approve, reject, R20, scope, races."""
import re

import pytest
import sqlalchemy as sa

from app.audit import verify
from app.events.models import Event, OperationLog
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.transfers import services
from app.transfers.models import Transfer
from app.workflow import simulate
from app.workflow.models import ProcessInstance
from tests.conftest import count, csrf_token, login

_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


@pytest.fixture
def clients(app, demo):
    """Logged-in clients: sender (branch1), receiver (branch2), committee1, branch3 and another county's
    branch admin."""
    from app.auth.services import create_user
    from app.orgs.services import create_org
    county2 = create_org("中共东平县委员会", "county", demo.orgs["city"])
    committee = create_org("中共东平县州城街道委员会", "committee", county2)
    branch = create_org("中共东平县州城街道东村支部委员会", "branch", committee)
    outsider = create_user(username="110101199003070256", name="外县支部", role="branch_admin", org=branch,
                           password="Demo12345")
    db.session.commit()
    result = {}
    for key, user in (("sender", demo.users["branch1:branch_admin"]),
                      ("receiver", demo.users["branch2:branch_admin"]),
                      ("committee", demo.users["committee1:committee_admin"]),
                      ("branch3", demo.users["branch3:branch_admin"]), ("outsider", outsider)):
        c = app.test_client()
        login(c, user)
        result[key] = c
    return result


@pytest.fixture
def applicant(demo):
    """潘 in branch1 at step 2 (入党申请人), with one inbox row."""
    return simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 1, name="潘永平")


def _request(client, person, to_org):
    url = "/transfers/new"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "name": person.name,
                                  "id_number": person.id_number, "to_org_id": str(to_org.id)})


def _review(client, transfer_id, decision, opinion="", version=None):
    url = f"/transfers/{transfer_id}"
    page = client.get(url).get_data(as_text=True)
    if version is None:
        version = _VERSION.search(page).group(1)
    return client.post(f"{url}/review", data={"csrf_token": csrf_token(client, url), "decision": decision,
                                              "opinion": opinion, "version": version})


def _only_transfer() -> Transfer:
    db.session.expire_all()
    return db.session.scalars(sa.select(Transfer)).one()


def test_request_is_pending_and_person_stays(clients, demo, applicant):
    response = _request(clients["receiver"], applicant, demo.orgs["branch2"])
    assert response.status_code == 302
    transfer = _only_transfer()
    assert (transfer.status, transfer.from_org_id, transfer.to_org_id) == ("申请中", demo.orgs["branch1"].id,
                                                                           demo.orgs["branch2"].id)
    assert db.session.get(Person, applicant.id).org_id == demo.orgs["branch1"].id
    listing = clients["receiver"].get("/transfers/?tab=in").get_data(as_text=True)
    assert "潘永平" in listing and "申请中" in listing and applicant.id_number in listing
    outgoing = clients["sender"].get("/transfers/?tab=out").get_data(as_text=True)
    assert "潘永平" in outgoing and "审核" in outgoing
    # The transfer runs its own instance of bpmn/transfer.bpmn, waiting at the review task.
    instance = db.session.get(ProcessInstance, transfer.instance_id)
    assert instance.process_version.process_id == "transfer" and instance.status == "running"
    # A second request for the same person is refused beside the field.
    again = _request(clients["committee"], applicant, demo.orgs["branch2"])
    assert again.status_code == 422 and "已有申请中的接续培养" in again.get_data(as_text=True)
    assert count(Transfer) == 1


def test_approve_moves_person_inbox_and_history(clients, demo, applicant):
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    transfer = _only_transfer()
    assert clients["receiver"].get(f"/process/{applicant.id}").status_code == 404
    response = _review(clients["sender"], transfer.id, "approve", "同意")
    assert response.status_code == 302
    transfer = _only_transfer()
    person = db.session.get(Person, applicant.id)
    branch2 = demo.orgs["branch2"]
    assert transfer.status == "已完成" and transfer.pending_person_id is None
    assert (person.org_id, person.org_path) == (branch2.id, branch2.path)
    rows = db.session.scalars(sa.select(HumanTask).where(HumanTask.person_id == person.id)).all()
    assert rows and all(r.org_path == branch2.path and r.org_name == branch2.name for r in rows)
    # The new branch sees the person and the task; the old one does not.
    assert "潘永平" in clients["receiver"].get("/inbox/").get_data(as_text=True)
    assert "潘永平" not in clients["sender"].get("/inbox/").get_data(as_text=True)
    assert clients["receiver"].get(f"/process/{person.id}").status_code == 200
    assert clients["sender"].get(f"/process/{person.id}").status_code == 404
    event = db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id)
                               .order_by(Event.seq.desc())).first()
    assert event.action == "transfer"
    assert event.data["from_org_id"] == demo.orgs["branch1"].id and event.data["to_org_id"] == branch2.id
    assert count(OperationLog, OperationLog.action == "transfer.approve") == 1
    assert db.session.get(ProcessInstance, transfer.instance_id).status == "completed"
    # The receiving branch can open the files the person's record cites.
    sha = next(h for e in db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id))
               for h in e.attachments)
    assert clients["receiver"].get(f"/attachments/{sha}").status_code == 200


def test_transferred_instance_verifies_clean(clients, demo, applicant):
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    _review(clients["sender"], _only_transfer().id, "approve")
    db.session.expire_all()
    person = db.session.get(Person, applicant.id)
    findings, events, _ = verify.verify_instance(person.instance_id)
    assert findings == [] and events >= 3
    # The transfer's own instance replays clean too (start + approve on transfer.bpmn).
    findings, events, _ = verify.verify_instance(_only_transfer().instance_id)
    assert findings == [] and events == 2


def test_scope_verification_covers_transfer_instances(clients, demo, applicant):
    from app.audit import services as audit_services
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    transfer = _only_transfer()
    assert audit_services.verify_subtree(demo.orgs["county"].path, operations=False).findings == []
    db.session.execute(sa.update(Event).where(Event.instance_id == transfer.instance_id, Event.seq == 1)
                       .values(actor_name="篡改者"))
    db.session.commit()
    findings = audit_services.verify_subtree(demo.orgs["county"].path, operations=False).findings
    assert [(f.instance_id, f.seq) for f in findings] == [(transfer.instance_id, 1)]
    # The receiving branch's own scope covers the request too.
    assert audit_services.verify_subtree(demo.orgs["branch2"].path, operations=False).findings


def test_reject_keeps_person_and_shows_refused(clients, demo, applicant):
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    transfer = _only_transfer()
    assert _review(clients["sender"], transfer.id, "reject", "材料不全").status_code == 302
    assert _only_transfer().status == "被拒绝"
    person = db.session.get(Person, applicant.id)
    assert person.org_id == demo.orgs["branch1"].id
    assert count(Event, Event.instance_id == person.instance_id, Event.action == "transfer") == 0
    assert "被拒绝" in clients["receiver"].get("/transfers/?tab=in").get_data(as_text=True)
    # A refused request no longer blocks a new one.
    assert _request(clients["receiver"], applicant, demo.orgs["branch2"]).status_code == 302
    assert count(Transfer) == 2


@pytest.mark.parametrize("name_override, message", [
    (None, "只有入党申请人和入党积极分子可以接续培养"),
    ("别人", "未找到姓名与公民身份证号一致的人员"),
])
def test_request_refused_with_message_beside_field(clients, demo, name_override, message):
    actors = {"branch_admin": demo.users["branch1:branch_admin"],
              "committee_admin": demo.users["committee1:committee_admin"]}
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 2, name="李宁")
    if name_override is None:
        simulate.advance(person, actors, until_step=8)  # 发展对象: R20 refuses
        db.session.expire_all()
        assert db.session.get(Person, person.id).category == "发展对象"
    url = "/transfers/new"
    response = clients["receiver"].post(url, data={
        "csrf_token": csrf_token(clients["receiver"], url), "name": name_override or "李宁",
        "id_number": person.id_number, "to_org_id": str(demo.orgs["branch2"].id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'data-field="id_number">[^<]*' + message, html)
    assert f'value="{person.id_number}"' in html  # input kept
    assert count(Transfer) == 0


def test_receiving_branch_must_be_in_scope(clients, demo, applicant):
    # branch2's admin cannot make branch4 (another committee) the receiver.
    response = _request(clients["receiver"], applicant, demo.orgs["branch4"])
    assert response.status_code == 422 and "请选择管理范围内的党支部" in response.get_data(as_text=True)
    assert count(Transfer) == 0


def test_scope_other_county_and_branches_see_nothing(clients, demo, applicant):
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    transfer = _only_transfer()
    for key in ("outsider", "branch3"):
        for tab in ("in", "out"):
            assert "潘永平" not in clients[key].get(f"/transfers/?tab={tab}").get_data(as_text=True)
        assert clients[key].get(f"/transfers/{transfer.id}").status_code == 404
        assert _review(clients[key], transfer.id, "approve", version="1").status_code == 404
    # The receiver sees the request but may not approve it, nor open the person before approval.
    page = clients["receiver"].get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "潘永平" in page and "转出审核" not in page and f"/people/{applicant.id}/info" not in page
    assert _review(clients["receiver"], transfer.id, "approve", version="1").status_code == 403
    assert _only_transfer().status == "申请中"
    # The committee above the sending branch may approve.
    assert "转出审核" in clients["committee"].get(f"/transfers/{transfer.id}").get_data(as_text=True)


def test_filters_by_name_id_and_receiving_org(clients, demo, applicant):
    other = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 3, name="高广芝")
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    _request(clients["committee"], other, demo.orgs["branch2"])
    receiver = clients["receiver"]
    assert "高广芝" not in receiver.get("/transfers/?tab=in&name=潘").get_data(as_text=True)
    by_id = receiver.get(f"/transfers/?tab=in&id_number={other.id_number}").get_data(as_text=True)
    assert "高广芝" in by_id and "潘永平" not in by_id
    assert "潘永平" not in receiver.get("/transfers/?tab=in&to_org=伏山镇").get_data(as_text=True)
    assert "潘永平" in receiver.get("/transfers/?tab=in&to_org=后村").get_data(as_text=True)


def test_two_concurrent_approvals_one_wins(clients, demo, applicant):
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    transfer = _only_transfer()
    url = f"/transfers/{transfer.id}"
    first, second = clients["sender"], clients["committee"]
    version_a = _VERSION.search(first.get(url).get_data(as_text=True)).group(1)
    version_b = _VERSION.search(second.get(url).get_data(as_text=True)).group(1)
    a = _review(first, transfer.id, "approve", version=version_a)
    b = _review(second, transfer.id, "reject", version=version_b)
    assert a.status_code == 302 and b.status_code == 409
    assert "已被他人处理" in b.get_data(as_text=True)
    assert _only_transfer().status == "已完成"
    assert count(Event, Event.instance_id == transfer.instance_id, Event.action.in_(("approve", "reject"))) == 1
    assert count(Event, Event.instance_id == applicant.instance_id, Event.action == "transfer") == 1


def test_stale_row_is_a_conflict_at_the_service(app, demo, applicant):
    from app.workflow.services import Conflict
    receiver, sender = demo.users["branch2:branch_admin"], demo.users["branch1:branch_admin"]
    transfer = services.request_transfer(receiver, applicant.name, applicant.id_number, demo.orgs["branch2"].id)
    db.session.commit()
    seen = transfer.version
    # Someone else decides first: the row's version moves on under this reader.
    db.session.execute(sa.update(Transfer).where(Transfer.id == transfer.id)
                       .values(version=seen + 1, status="被拒绝", pending_person_id=None))
    db.session.commit()
    with pytest.raises(Conflict):
        services.decide(sender, db.session.get(Transfer, transfer.id), "approve", expected_version=seen)
    db.session.rollback()
    assert db.session.get(Person, applicant.id).org_id == demo.orgs["branch1"].id


def test_transfer_diagram_is_a_valid_deployed_version_listed_by_the_designer(app, demo):
    from app.designer import validation
    from app.workflow.versions import BPMN_DIR, active_version
    with open(f"{BPMN_DIR}/transfer.bpmn", "rb") as fh:
        assert validation.validate(fh.read(), "transfer") == []
    assert active_version("transfer").name == "接续培养"
    designer = app.test_client()
    login(designer, demo.users["designer"])
    assert "接续培养" in designer.get("/designer/").get_data(as_text=True)


def test_moving_an_organisation_moves_its_transfers_paths(clients, demo, applicant):
    from app.orgs.services import move_org
    _request(clients["receiver"], applicant, demo.orgs["branch2"])
    move_org(demo.orgs["branch1"], demo.orgs["committee2"])
    db.session.commit()
    transfer = _only_transfer()
    assert transfer.from_org_path == db.session.get(Person, applicant.id).org_path
    assert transfer.from_org_path.startswith(demo.orgs["committee2"].path)
    # committee1 no longer covers the sending side; committee2's admin now may review.
    assert "转出审核" not in clients["committee"].get(f"/transfers/{transfer.id}").get_data(as_text=True)

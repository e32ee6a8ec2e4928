"""接续培养 (manual §2.6.1.2(6), §2.6.2.1): the sender keeps a read-only record as of the transfer, the requester
withdraws a pending request, 不通过 needs an opinion the receiver sees."""
import re

import pytest
import sqlalchemy as sa

from app.audit import verify
from app.events.models import Event
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.transfers.models import Transfer
from app.workflow import engine, simulate
from app.workflow.models import ProcessInstance
from tests.conftest import count, csrf_token, signed_in

_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


@pytest.fixture
def clients(app, demo):
    u = demo.users
    return signed_in(app, {"sender": u["branch1:branch_admin"], "receiver": u["branch2:branch_admin"],
                           "branch3": u["branch3:branch_admin"], "auditor": u["auditor"]})


@pytest.fixture
def activist(demo, actors):
    """钱 in branch1 at step 4 (入党积极分子), with steps 1–3 filled in."""
    person = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 3, name="钱转出")
    simulate.advance(person, actors, until_step=4)
    db.session.commit()
    return person


def _request(client, person, to_org):
    url = "/transfers/new"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "name": person.name,
                                  "id_number": person.id_number, "to_org_id": str(to_org.id)})


def _post_on(client, transfer_id, path, **data):
    url = f"/transfers/{transfer_id}"
    page = client.get(url).get_data(as_text=True)
    if "version" not in data:
        data["version"] = _VERSION.search(page).group(1)
    return client.post(f"{url}/{path}", data={"csrf_token": csrf_token(client, url), **data})


def _transfer() -> Transfer:
    db.session.expire_all()
    return db.session.scalars(sa.select(Transfer)).one()


def test_refusal_needs_an_opinion_which_the_receiver_sees(clients, demo, activist):
    _request(clients["receiver"], activist, demo.orgs["branch2"])
    transfer = _transfer()
    response = _post_on(clients["sender"], transfer.id, "review", decision="reject", opinion="  ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "审核不通过时请填写审核意见" in html
    assert _transfer().status == "申请中" and count(Event, Event.instance_id == transfer.instance_id) == 1
    response = _post_on(clients["sender"], transfer.id, "review", decision="reject", opinion="本人未同意转出")
    assert response.status_code == 302 and _transfer().status == "被拒绝"
    page = clients["receiver"].get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "被拒绝" in page and "本人未同意转出" in page


def test_requester_withdraws_a_pending_request(clients, demo, activist):
    _request(clients["receiver"], activist, demo.orgs["branch2"])
    transfer = _transfer()
    assert "撤回申请" in clients["receiver"].get(f"/transfers/{transfer.id}").get_data(as_text=True)
    # The sending side reviews; it cannot withdraw the other side's request.
    assert "撤回申请" not in clients["sender"].get(f"/transfers/{transfer.id}").get_data(as_text=True)
    refused = _post_on(clients["sender"], transfer.id, "withdraw")
    assert refused.status_code == 400 and "只有申请方可以撤回" in refused.get_data(as_text=True)
    assert _transfer().status == "申请中"
    response = _post_on(clients["receiver"], transfer.id, "withdraw")
    assert response.status_code == 302
    transfer = _transfer()
    assert transfer.status == "已撤回" and transfer.pending_person_id is None
    assert db.session.get(Person, activist.id).org_id == demo.orgs["branch1"].id
    assert count(HumanTask, HumanTask.process == "transfer") == 0
    # The withdrawal is an event on the transfer's own diagram, which ended on its 已撤回 path.
    instance = db.session.get(ProcessInstance, transfer.instance_id)
    assert instance.status == "completed"
    actions = list(db.session.scalars(sa.select(Event.action).where(Event.instance_id == instance.id)
                                      .order_by(Event.seq)))
    assert actions == ["start", "withdraw"]
    assert "transfer_withdrawn" in engine.trail(engine.loads(instance.state))["done"]
    assert verify.verify_instance(instance.id)[0] == []
    # Withdrawn is final: no review, no second withdrawal; a new request is possible.
    assert _post_on(clients["sender"], transfer.id, "review", decision="approve", version=str(transfer.version)
                    ).status_code in (409, 403)
    assert _request(clients["receiver"], activist, demo.orgs["branch2"]).status_code == 302


def test_sender_reads_the_record_as_it_stood_at_the_transfer(clients, demo, actors, activist):
    _request(clients["receiver"], activist, demo.orgs["branch2"])
    transfer = _transfer()
    assert _post_on(clients["sender"], transfer.id, "review", decision="approve", opinion="同意").status_code == 302
    transfer = _transfer()
    assert transfer.person_seq is not None
    # The receiving branch carries on: step 4 filled in after the transfer, with a distinctive value.
    person = db.session.get(Person, activist.id)
    receiver_actors = dict(actors, branch_admin=demo.users["branch2:branch_admin"])
    simulate.advance(person, receiver_actors, until_step=5)
    db.session.commit()
    later = db.session.scalar(sa.select(sa.func.max(Event.seq)).where(Event.instance_id == person.instance_id))
    assert later > transfer.person_seq
    # The sender: 404 on the live record, the transfer under 历史库 → 转出, and the record as of the transfer.
    assert clients["sender"].get(f"/process/{person.id}").status_code == 404
    listing = clients["sender"].get("/archive/?kind=transferred").get_data(as_text=True)
    assert "钱转出" in listing and demo.orgs["branch2"].name in listing
    page = clients["sender"].get(f"/archive/transfers/{transfer.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "钱转出" in html
    steps = dict(re.findall(r'data-step="(\d+)" data-status="(\w+)"', html))
    assert steps["3"] == "done" and steps["4"] == "ready", steps   # step 4 was open at the transfer
    # The receiver's own listing: not a 转出 of theirs, and the as-of view is the sender's only.
    assert "data-transfer-id" not in clients["receiver"].get("/archive/?kind=transferred").get_data(as_text=True)
    assert clients["receiver"].get(f"/archive/transfers/{transfer.id}").status_code == 404
    assert clients["branch3"].get(f"/archive/transfers/{transfer.id}").status_code == 404
    # The read-only grant writes nothing: there is no route from it to an edit, and edits stay 404.
    assert clients["sender"].get(f"/people/{person.id}/info").status_code == 404
    assert "steps/" not in html.split('data-testid="record-steps"')[1].split("</table>")[0]


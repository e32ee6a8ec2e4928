"""接续培养 and 实名认证 review tasks in 待办事项 of the admin who must act, through the same human_task
table, inbox page and API as step tasks; their histories verify like the development process."""
import sqlalchemy as sa

from app.audit import records, verify
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.realname import services as realname
from app.realname.forms import RealnameForm
from app.realname.models import CONFIRMED, PENDING, REJECTED, RealnameRequest
from app.transfers import services as transfers
from app.transfers.models import Transfer
from app.workflow import simulate
from forms.codec import to_formdata
from tests.conftest import csrf_token, login, reported_realname


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _token(app, user) -> dict:
    response = app.test_client().post("/api/v1/auth/token", json={"username": user.username,
                                                                  "password": "Demo12345"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _rows(process):
    return db.session.scalars(sa.select(HumanTask).where(HumanTask.process == process)).all()


def test_transfer_review_waits_in_the_sending_branch_inbox_and_is_done_over_the_api(app, demo):
    sender, receiver = demo.users["branch1:branch_admin"], demo.users["branch2:branch_admin"]
    person = simulate.add_applicant(sender, demo.orgs["branch1"], 1, name="潘永平")
    transfer = transfers.request_transfer(receiver, person.name, person.id_number, demo.orgs["branch2"].id)
    db.session.commit()
    [row] = _rows("transfer")
    assert (row.role, row.org_path, row.subject_id, row.status) == \
        ("branch_admin", demo.orgs["branch1"].path, transfer.id, "待审核")
    page = _client(app, sender).get("/inbox/").get_data(as_text=True)
    assert "转出审核" in page and f"/transfers/{transfer.id}" in page
    assert "转出审核" not in _client(app, receiver).get("/inbox/").get_data(as_text=True)

    headers = _token(app, sender)
    client = app.test_client()
    listed = client.get("/api/v1/tasks", headers=headers).get_json()["items"]
    item = next(t for t in listed if t["process"] == "transfer")
    assert item["subject_id"] == transfer.id
    detail = client.get(f"/api/v1/tasks/{item['id']}", headers=headers).get_json()
    assert detail["actions"] == ["approve", "reject"] and detail["form"] == "review"
    # The receiving side cannot see the sender's task; a stale version is a lost race.
    assert client.post(f"/api/v1/tasks/{item['id']}", headers=_token(app, receiver),
                       json={"action": "approve"}).status_code == 404
    stale = client.post(f"/api/v1/tasks/{item['id']}", headers=headers,
                        json={"action": "approve", "version": detail["version"] + 1})
    assert stale.status_code == 409 and stale.get_json() == {"error": "已被他人处理"}
    done = client.post(f"/api/v1/tasks/{item['id']}", headers=headers, json={"action": "approve", "opinion": "同意"})
    assert done.status_code == 200, done.get_json()
    db.session.expire_all()
    assert db.session.get(Transfer, transfer.id).status == "已完成"
    assert db.session.get(Person, person.id).org_id == demo.orgs["branch2"].id
    assert _rows("transfer") == []
    late = client.post(f"/api/v1/tasks/{item['id']}", headers=headers, json={"action": "approve"})
    assert late.status_code == 409 and late.get_json() == {"error": "已被他人处理"}
    findings, events, _ = verify.verify_instance(transfer.instance_id)
    assert findings == [] and events == 2


def _report(client, data, url):
    form = to_formdata(RealnameForm, data)
    form.update({"csrf_token": csrf_token(client, url), "action": "report"})
    return client.post(url, data=form)


def test_realname_refused_corrected_reported_again_and_confirmed_in_the_inboxes(app, demo):
    branch_user, county_user = demo.users["branch1:branch_admin"], demo.users["county:county_admin"]
    branch, county = _client(app, branch_user), _client(app, county_user)
    sha = simulate.stored_sample_file(branch_user)
    db.session.commit()
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id, name="实名乙",
                           id_number=simulate.make_id_number(9002))
    data["proof_scans"] = [sha]
    assert _report(branch, data, "/realname/new").status_code == 302
    row = db.session.scalars(sa.select(RealnameRequest)).one()
    assert row.status == PENDING
    [task] = _rows("realname")
    assert (task.role, task.title, task.status) == ("county_admin", "备案认证", "待审核")
    page = county.get("/inbox/").get_data(as_text=True)
    assert "实名乙" in page and f"/realname/{row.id}" in page

    refused = county.post(f"/realname/{row.id}/reject", data={"csrf_token": csrf_token(county, "/realname/"),
                                                              "reason": "证明材料不清晰"})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(RealnameRequest, row.id).status == REJECTED
    [task] = _rows("realname")
    assert (task.role, task.status) == ("branch_admin", "审核不通过")
    assert "实名乙" in branch.get("/inbox/").get_data(as_text=True)

    # Corrected and reported again: back in the county's inbox, then confirmed over the API.
    corrected = dict(data, phone="13900001111")
    assert _report(branch, corrected, f"/realname/{row.id}/edit").status_code == 302
    db.session.expire_all()
    assert db.session.get(RealnameRequest, row.id).status == PENDING
    [task] = _rows("realname")
    headers = _token(app, county_user)
    response = app.test_client().post(f"/api/v1/tasks/{task.task_id}", headers=headers, json={"action": "approve"})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    row = db.session.get(RealnameRequest, row.id)
    assert row.status == CONFIRMED and db.session.get(Person, row.person_id).phone == "13900001111"
    assert _rows("realname") == []

    actions = [e["action"] for e in records.event_dicts(row.instance_id)]
    assert actions == ["start", "report", "reject", "report", "approve"]
    assert row.instance_id in records.instance_ids_under(demo.orgs["branch1"].path)
    findings, _, _ = verify.verify_instance(row.instance_id)
    assert findings == []
    # A request already decided cannot be decided again.
    late = app.test_client().post(f"/api/v1/tasks/{task.task_id}", headers=headers, json={"action": "reject",
                                                                                         "opinion": "x"})
    assert late.status_code == 409


def test_realname_late_reject_after_confirm_is_409_with_the_reason_kept(app, demo):
    county_user = demo.users["county:county_admin"]
    row = reported_realname(demo, "实名丙", 9003)
    db.session.commit()
    county = _client(app, county_user)
    token = csrf_token(county, f"/realname/{row.id}")
    realname.confirm(county_user, row)
    db.session.commit()
    response = county.post(f"/realname/{row.id}/reject", data={"csrf_token": token, "reason": "身份不符"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "已被他人处理" in html

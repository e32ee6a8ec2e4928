"""暂停发展-出国(境) and 归国恢复 (manual §2.11.3) over HTTP with the real engine: suspend, leave the lists and
the inbox, apply, two reviews with opinions, refusals, the return to the same step, replay, scope, races."""
import re

import pytest
import sqlalchemy as sa

from app.audit import verify
from app.events.models import Event, OperationLog
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.suspensions import services
from app.suspensions.models import ResumeRequest, Suspension
from app.workflow import engine, simulate
from app.workflow import services as workflow
from app.workflow.models import ProcessInstance
from tests.conftest import count, csrf_token, run_together, signed_in

_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


@pytest.fixture
def clients(app, demo):
    """Logged-in clients: branch1, committee1, county, branch3 (another committee) and committee2."""
    u = demo.users
    return signed_in(app, {"branch": u["branch1:branch_admin"], "committee": u["committee1:committee_admin"],
                           "county": u["county_admin"], "branch3": u["branch3:branch_admin"],
                           "committee2": u["committee2:committee_admin"]})


@pytest.fixture
def activist(demo, actors):
    """赵 in branch1, advanced to step 4 (入党积极分子), with data in steps 1–3."""
    person = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 7, name="赵出国")
    simulate.advance(person, actors, until_step=4)
    db.session.commit()
    return person


def _post(client, url, data, page=None):
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def _suspend(client, person, **overrides):
    data = {"reason": "赴德国留学", "destination": "德国", "expected_from": "2026-09-01",
            "expected_to": "2027-08-31", **overrides}
    return _post(client, f"/suspensions/new/{person.id}", data)


def _suspension() -> Suspension:
    db.session.expire_all()
    return db.session.scalars(sa.select(Suspension)).one()


def _latest_request() -> ResumeRequest:
    db.session.expire_all()
    return db.session.scalars(sa.select(ResumeRequest).order_by(ResumeRequest.id.desc())).first()


def _apply(client, suspension, opinion="已归国，支部同意恢复"):
    return _post(client, f"/suspensions/{suspension.id}/resume", {"opinion": opinion},
                 page=f"/suspensions/{suspension.id}")


def _review(client, request, decision, opinion="同意", version=None):
    page = client.get(f"/suspensions/{request.suspension_id}").get_data(as_text=True)
    if version is None:
        version = _VERSION.search(page).group(1)
    return _post(client, f"/suspensions/requests/{request.id}/review",
                 {"decision": decision, "opinion": opinion, "version": version},
                 page=f"/suspensions/{request.suspension_id}")


def _inbox_rows(**where):
    return db.session.scalars(sa.select(HumanTask).filter_by(**where)).all()


def test_suspend_pauses_the_instance_and_leaves_lists_and_inbox(clients, demo, activist):
    before = workflow.load(db.session.get(Person, activist.id))
    ready_before = [(t.name, t.pass_no) for t in before.ready]
    assert _inbox_rows(person_id=activist.id)
    response = _suspend(clients["branch"], activist)
    assert response.status_code == 302
    assert "已暂停发展" in clients["branch"].get(response.headers["Location"]).get_data(as_text=True)
    suspension = _suspension()
    person = db.session.get(Person, activist.id)
    instance = db.session.get(ProcessInstance, person.instance_id)
    assert (person.status, instance.status, suspension.status) == ("suspended", "suspended", "suspended")
    assert (suspension.reason, suspension.destination, str(suspension.expected_to)) == ("赴德国留学", "德国",
                                                                                          "2027-08-31")
    # Paused, not deleted: the engine still stands at the same task; the inbox has nothing for them.
    ctx = workflow.load(person)
    assert [(t.name, t.pass_no) for t in ctx.ready] == ready_before
    assert _inbox_rows(person_id=activist.id) == []
    assert "赵出国" not in clients["branch"].get("/inbox/").get_data(as_text=True)
    assert "赵出国" not in clients["branch"].get(f"/process/?stage={person.stage}").get_data(as_text=True)
    # The suspension is an event of the development instance, and the 历史库 lists it with the manual's columns.
    last = db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id)
                              .order_by(Event.seq.desc())).first()
    assert last.action == "suspend" and last.data["reason"] == "赴德国留学"
    listing = clients["branch"].get("/archive/?kind=suspended").get_data(as_text=True)
    for column in ("暂停发展原因", "恢复发展状态", "暂停发展时间", "党支部上报原因", "上报时间", "基层党委审核",
                   "基层党委审核时间", "县级审核", "县级审核时间", "归国恢复申请"):
        assert column in listing
    assert "赵出国" in listing and "赴德国留学" in listing and "未申请" in listing
    # Nothing acts on a suspended person: no step actions, no second suspension.
    assert workflow.allowed_actions(demo.users["branch1:branch_admin"], ctx, ctx.ready[0]) == []
    assert clients["branch"].get(f"/suspensions/new/{person.id}").status_code == 404
    assert count(OperationLog, OperationLog.action == "suspension.suspend") == 1


def test_suspend_refuses_bad_input_beside_the_field(clients, activist):
    response = _suspend(clients["branch"], activist, reason="", expected_to="2026-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写暂停发展原因" in html and "预计归国日期不能早于预计出国(境)日期" not in html  # form refuses first
    response = _suspend(clients["branch"], activist, expected_to="2026-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "预计归国日期不能早于预计出国(境)日期" in html and "德国" in html
    assert count(Suspension) == 0 and db.session.get(Person, activist.id).status == "active"


def test_two_approvals_return_the_person_to_the_same_step(clients, demo, activist):
    ready_before = [(t.name, t.pass_no) for t in workflow.load(activist).ready]
    data_before = workflow._current_data(workflow.load(activist))
    _suspend(clients["branch"], activist)
    suspension = _suspension()
    # The branch applies with its opinion: the request waits in the committee's 待办事项.
    assert _apply(clients["branch"], suspension, opinion="").status_code == 422
    assert count(ResumeRequest) == 0
    assert _apply(clients["branch"], suspension).status_code == 302
    request = _latest_request()
    assert request.status == "committee" and _suspension().status == "resuming"
    [row] = _inbox_rows(process="resume")
    assert (row.role, row.subject_id) == ("committee_admin", request.id)
    assert "赵出国" in clients["committee"].get("/inbox/").get_data(as_text=True)
    assert "赵出国" not in clients["committee2"].get("/inbox/").get_data(as_text=True)
    # The branch cannot review; the committee must give an opinion.
    assert _review(clients["branch"], request, "approve", version="1").status_code == 403
    response = _review(clients["committee"], request, "approve", opinion="")
    assert response.status_code == 422 and "请填写审核意见" in response.get_data(as_text=True)
    assert _review(clients["committee"], request, "approve", opinion="基层党委同意").status_code == 302
    request = _latest_request()
    assert request.status == "county" and request.committee_opinion == "基层党委同意"
    [row] = _inbox_rows(process="resume")
    assert row.role == "county_admin"
    assert db.session.get(Person, activist.id).status == "suspended"
    response = _review(clients["county"], request, "approve", opinion="县级同意")
    assert response.status_code == 302
    clients["county"].get(response.headers["Location"])  # the flash
    # Back where they were, with all data, and back in the inbox and the lists.
    request, suspension = _latest_request(), _suspension()
    person = db.session.get(Person, activist.id)
    assert (request.status, suspension.status, person.status) == ("resumed", "resumed", "active")
    ctx = workflow.load(person)
    assert [(t.name, t.pass_no) for t in ctx.ready] == ready_before
    assert workflow._current_data(ctx) == data_before
    assert _inbox_rows(person_id=person.id) and _inbox_rows(process="resume") == []
    assert "赵出国" in clients["branch"].get("/inbox/").get_data(as_text=True)
    actions = list(db.session.scalars(sa.select(Event.action).where(Event.instance_id == person.instance_id)
                                      .order_by(Event.seq)))
    assert actions[-2:] == ["suspend", "resume"]
    assert list(db.session.scalars(sa.select(Event.action).where(Event.instance_id == request.instance_id)
                                   .order_by(Event.seq))) == ["start", "approve", "approve"]
    # 历史库 → 恢复发展 lists the return with when, by whom and why.
    restored = clients["county"].get("/archive/?kind=restored").get_data(as_text=True)
    assert "赵出国" in restored and "归国恢复" in restored and "已归国，支部同意恢复" in restored
    # Both instances replay to their stored state and their chains hold.
    for instance_id in (person.instance_id, request.instance_id):
        findings, events, _ = verify.verify_instance(instance_id)
        assert findings == [], findings
    # The person acts on from there.
    simulate.advance(person, {"branch_admin": demo.users["branch1:branch_admin"],
                              "committee_admin": demo.users["committee1:committee_admin"],
                              "county_admin": demo.users["county_admin"]}, until_step=6)
    assert verify.verify_instance(person.instance_id)[0] == []


@pytest.mark.parametrize("level", ["committee", "county"])
def test_refusal_keeps_the_person_suspended_and_the_branch_may_apply_again(clients, activist, level):
    _suspend(clients["branch"], activist)
    _apply(clients["branch"], _suspension())
    request = _latest_request()
    if level == "county":
        _review(clients["committee"], request, "approve", opinion="同意")
    assert _review(clients[level], _latest_request(), "reject", opinion="材料不全").status_code == 302
    request = _latest_request()
    assert request.status == f"{level}_rejected" and request.pending_suspension_id is None
    assert _suspension().status == "suspended"
    assert db.session.get(Person, activist.id).status == "suspended"
    assert _inbox_rows(process="resume") == []
    end = "resume_committee_refused" if level == "committee" else "resume_county_refused"
    wf = engine.loads(db.session.get(ProcessInstance, request.instance_id).state)
    assert end in {t.name for t in engine.completed_tasks(wf)} or engine.is_completed(wf)
    page = clients["branch"].get(f"/suspensions/{request.suspension_id}").get_data(as_text=True)
    assert "材料不全" in page and "不通过" in page
    assert _apply(clients["branch"], _suspension(), opinion="补齐材料").status_code == 302
    assert count(ResumeRequest) == 2 and _latest_request().status == "committee"


def test_one_account_cannot_review_both_levels(clients, demo, activist):
    _suspend(clients["branch"], activist)
    _apply(clients["branch"], _suspension())
    assert _review(clients["county"], _latest_request(), "approve", opinion="代基层党委审核").status_code == 302
    request = _latest_request()
    assert request.status == "county" and not services.can_review(demo.users["county_admin"], request)
    assert _review(clients["county"], request, "approve", opinion="再审", version="2").status_code == 403


def test_scope_other_committee_gets_404(clients, activist):
    _suspend(clients["branch"], activist)
    suspension = _suspension()
    assert clients["branch3"].get(f"/suspensions/{suspension.id}").status_code == 404
    assert _post(clients["branch3"], f"/suspensions/{suspension.id}/resume", {"opinion": "x"},
                 page="/inbox/").status_code == 404
    assert clients["branch3"].get(f"/suspensions/new/{activist.id}").status_code == 404
    assert "赵出国" not in clients["branch3"].get("/archive/?kind=suspended").get_data(as_text=True)


def test_two_approvals_at_once_one_wins(app, demo, activist):
    branch, committee = demo.users["branch1:branch_admin"], demo.users["committee1:committee_admin"]
    services.suspend(branch, db.session.get(Person, activist.id), reason="出国", expected_from="2026-01-01",
                     expected_to="2027-01-01")
    request = services.apply_resume(branch, _suspension(), "归国")
    db.session.commit()
    request_id, version = request.id, services.instance_version(request)
    reviewers = [committee, demo.users["county_admin"]]

    def approve(i):
        with app.app_context():
            try:
                row = db.session.get(ResumeRequest, request_id)
                services.decide(db.session.merge(reviewers[i]), row, "approve", f"同意{i}", expected_version=version)
                db.session.commit()
                return "ok"
            except services.Conflict:
                db.session.rollback()
                return "conflict"
            finally:
                db.session.remove()
    results = run_together(2, approve)
    assert sorted(results) == ["conflict", "ok"], results
    db.session.expire_all()
    request = db.session.get(ResumeRequest, request_id)
    assert request.status == "county"
    assert count(Event, Event.instance_id == request.instance_id) == 2


def test_archive_has_the_six_lists_filtered_by_name_and_organisation(clients, demo, activist):
    _suspend(clients["branch"], activist)
    county = clients["county"]
    page = county.get("/archive/?kind=suspended").get_data(as_text=True)
    tabs = page.split('data-testid="archive-tabs"')[1].split("</nav>")[0] if "</nav>" in page else page
    for label in ("停止发展", "转出", "恢复发展", "暂停发展", "已重新发展", "已归档"):
        assert label in tabs
    rows = lambda html: html.count("data-suspension-id=")  # noqa: E731
    assert rows(county.get("/archive/?kind=suspended&name=赵出").get_data(as_text=True)) == 1
    assert rows(county.get("/archive/?kind=suspended&name=没有此人").get_data(as_text=True)) == 0
    branch1, branch2 = demo.orgs["branch1"].id, demo.orgs["branch2"].id
    assert rows(county.get(f"/archive/?kind=suspended&org_id={branch1}").get_data(as_text=True)) == 1
    assert rows(county.get(f"/archive/?kind=suspended&org_id={branch2}").get_data(as_text=True)) == 0
    for kind in ("transferred", "restored", "cancelled", "closed", "completed"):
        assert county.get(f"/archive/?kind={kind}&name=赵&org_id={branch1}").status_code == 200

"""A pending 调整申请 closes itself when the person's process leaves the state it was asked in (取消发展, 暂停发展,
接续培养, 取消预备党员资格, completion, another 调整, a step done): a ``lapse`` event of the request's own instance
(已失效 with the reason), its county task gone from the inbox, the branch told why; the request's chain still
verifies. An action that keeps the state (保存) keeps the request approvable. Real engine and database."""
import sqlalchemy as sa

from app.audit import verify
from app.events.models import Event
from app.extensions import db
from app.inbox.models import HumanTask
from app.movebacks import services as movebacks
from app.movebacks.models import MoveBackRequest
from app.people.models import Person
from app.suspensions import services as suspensions
from app.transfers import services as transfers
from app.workflow import services, simulate
from app.workflow.errors import Conflict
from tests.conftest import login, run_together, submit_form

BRANCH, COUNTY = "branch1:branch_admin", "county:county_admin"


def _load(person_id):
    db.session.expire_all()
    return services.load(db.session.get(Person, person_id))


def _person(demo, actors, seq, until_step):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=f"失效{seq}")
    simulate.advance(person, actors, until_step=until_step)
    db.session.commit()
    return person.id


def _request(demo, person_id, target="applicant") -> int:
    branch = demo.users[BRANCH]
    row = movebacks.adjust(branch, _load(person_id), target, "谈话记录有误", [simulate.stored_sample_file(branch)])
    db.session.commit()
    assert row.status == "pending"
    assert db.session.get(Person, person_id).move_back_pending  # every action on the person now looks
    return row.id


def _assert_lapsed(app, demo, request_id, why):
    db.session.expire_all()
    row = db.session.get(MoveBackRequest, request_id)
    assert row.status == "lapsed" and row.pending_person_id is None
    assert not db.session.get(Person, row.person_id).move_back_pending  # the others stop looking
    assert why in row.opinion and "自动失效" in row.opinion
    actions = db.session.scalars(sa.select(Event.action).where(Event.instance_id == row.instance_id)
                                 .order_by(Event.seq)).all()
    assert actions == ["start", "lapse"]
    assert db.session.scalar(sa.select(HumanTask.id).where(HumanTask.process == "moveback")) is None
    assert verify.verify_instances([row.instance_id]).clean
    county = app.test_client()
    login(county, demo.users[COUNTY])
    assert "调整申请" not in county.get("/inbox/").get_data(as_text=True)
    assert "已失效" in county.get(f"/movebacks/{request_id}").get_data(as_text=True)
    # A lapsed request cannot be decided any more.
    try:
        movebacks.decide(demo.users[COUNTY], row, "approve", "")
        raise AssertionError("a lapsed request was approved")
    except Conflict:
        db.session.rollback()
    return row


def _branch_page(app, demo, person_id):
    branch = app.test_client()
    login(branch, demo.users[BRANCH])
    return branch.get(f"/process/{person_id}").get_data(as_text=True)


def test_cancel_lapses_the_request_and_the_branch_sees_why(app, demo, actors):
    pid = _person(demo, actors, 61, 5)
    request_id = _request(demo, pid)
    services.cancel(demo.users[BRANCH], _load(pid), "本人申请退出", [])
    db.session.commit()
    _assert_lapsed(app, demo, request_id, "已取消发展")
    page = _branch_page(app, demo, pid)
    assert "已失效" in page and "失效原因" in page and "已取消发展" in page


def test_suspension_lapses_the_request(app, demo, actors):
    pid = _person(demo, actors, 62, 5)
    request_id = _request(demo, pid)
    suspensions.suspend(demo.users[BRANCH], db.session.get(Person, pid), reason="赴德国留学", destination="德国",
                        expected_from="2026-09-01", expected_to="2027-08-31")
    db.session.commit()
    _assert_lapsed(app, demo, request_id, "暂停发展")


def test_transfer_to_another_branch_lapses_the_request(app, demo, actors):
    pid = _person(demo, actors, 63, 5)
    request_id = _request(demo, pid)
    person = db.session.get(Person, pid)
    transfer = transfers.request_transfer(demo.users["branch2:branch_admin"], person.name, person.id_number,
                                          demo.orgs["branch2"].id)
    db.session.commit()
    transfers.decide(demo.users[BRANCH], transfer, "approve")
    db.session.commit()
    assert db.session.get(Person, pid).org_id == demo.orgs["branch2"].id
    _assert_lapsed(app, demo, request_id, "接续培养")
    # The receiving branch answers for the person now: it can open the lapsed request and read why.
    receiving = app.test_client()
    login(receiving, demo.users["branch2:branch_admin"])
    page = receiving.get(f"/movebacks/{request_id}")
    assert page.status_code == 200 and "接续培养" in page.get_data(as_text=True)


def test_disqualification_lapses_the_request(app, demo, actors):
    pid = _person(demo, actors, 64, 23)
    request_id = _request(demo, pid, target="activist")
    submit_form(actors, pid, "step23_full_membership_meeting", conclusion="取消预备党员资格")
    _assert_lapsed(app, demo, request_id, "取消预备党员资格")


def test_a_request_never_outlives_completion(app, demo, actors):
    # At step 25 the person is a 正式党员 and no 调整 may be asked, so the last request possible (at step 24)
    # lapses when step 24 is done, on the way to completion.
    pid = _person(demo, actors, 65, 24)
    request_id = _request(demo, pid, target="activist")
    simulate.advance(db.session.get(Person, pid), actors)
    assert _load(pid).instance.status == "completed"
    _assert_lapsed(app, demo, request_id, "发展流程已变化")


def test_another_move_back_and_a_step_done_lapse_the_request(app, demo, actors):
    pid = _person(demo, actors, 66, 5)
    request_id = _request(demo, pid)
    county = demo.users[COUNTY]
    services.move_back(county, _load(pid), "applicant", "县级直接更正",
                       [simulate.stored_sample_file(county)])
    db.session.commit()
    _assert_lapsed(app, demo, request_id, "调整阶段")

    other = _person(demo, actors, 67, 5)
    request_id = _request(demo, other)
    simulate.advance(db.session.get(Person, other), actors, until_step=6)
    _assert_lapsed(app, demo, request_id, "提交")


def test_a_save_keeps_the_request_and_the_county_may_still_approve(app, demo, actors):
    pid = _person(demo, actors, 68, 5)
    request_id = _request(demo, pid)
    ctx = _load(pid)
    task = next(t for t in ctx.ready if not t.is_review)
    services.act(demo.users[BRANCH], ctx, task.id, "save", simulate.sample(task.form_key,
                                                                          simulate.stored_sample_file(demo.users[BRANCH])))
    db.session.commit()
    row = db.session.get(MoveBackRequest, request_id)
    assert row.status == "pending" and row.seen_version == _load(pid).instance.version
    movebacks.decide(demo.users[COUNTY], row, "approve", "")
    db.session.commit()
    assert db.session.get(MoveBackRequest, request_id).status == "approved"
    assert _load(pid).person.category == "入党申请人"


def test_a_decision_racing_a_cancel_never_deadlocks(app, demo, actors):
    # The county's 通过 and the branch's 取消发展 at the same moment: both take the person's process first, so
    # one waits for the other (PostgreSQL) and ends as a 409 or runs after it; never a deadlock or a half state.
    pid = _person(demo, actors, 69, 5)
    request_id = _request(demo, pid)

    def act(i):
        with app.app_context():
            try:
                if i == 0:
                    movebacks.decide(db.session.merge(demo.users[COUNTY]), db.session.get(MoveBackRequest, request_id),
                                     "approve", "")
                else:
                    services.cancel(db.session.merge(demo.users[BRANCH]),
                                    services.load(db.session.get(Person, pid)), "本人申请", [])
                db.session.commit()
                return "ok"
            except (Conflict, movebacks.NotNow):
                db.session.rollback()
                return "conflict"
            finally:
                db.session.remove()
    results = run_together(2, act)
    assert all(r in ("ok", "conflict") for r in results), results
    db.session.expire_all()
    row = db.session.get(MoveBackRequest, request_id)
    actions = db.session.scalars(sa.select(Event.action).where(Event.instance_id == row.instance_id)
                                 .order_by(Event.seq)).all()
    person = db.session.get(Person, pid)
    if results[0] == "ok":
        assert row.status == "approved" and "approve" in actions
    else:
        assert row.status == "lapsed" and actions[-1] == "lapse" and person.status == "cancelled"
    assert results[1] == "ok" or person.status == "active"
    assert verify.verify_instances([row.instance_id, person.instance_id]).clean

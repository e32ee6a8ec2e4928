"""Decisions recorded in a step choose the way on (R24–R30), and hard rules refuse input at entry (R12, R13,
R15, R16): driven through the services and the runner with the real engine and database, and each outcome's
log replays to the stored state."""
import pytest
import sqlalchemy as sa
from conftest import login, submit_form
from flask import url_for

from app.archive import services as archive
from app.audit import records
from app.audit.replay import replay
from app.audit.verify import compare_state
from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from app.workflow.errors import RuleViolation
from app.workflow.models import ProcessInstance

PUBLICITY_STEPS = [(4, "step04_activist_publicity"), (8, "step08_candidate_publicity"),
                   (15, "step15_admission_meeting"), (17, "step17_committee_approval"),
                   (23, "step23_full_membership_meeting")]


def _person(demo, actors, seq, until_step):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=f"测{seq}")
    simulate.advance(person, actors, until_step=until_step)
    return person.id


def _instance(pid):
    return db.session.get(ProcessInstance, db.session.get(Person, pid).instance_id)


def _ctx(pid):
    db.session.expire_all()
    return services.load(db.session.get(Person, pid))


def _submit(actors, pid, form_key, **overrides):
    """Submit the ready edit task of ``form_key`` with sample data changed by ``overrides``."""
    db.session.expire_all()
    submit_form(actors, pid, form_key, **overrides)


def _refused(actors, pid, form_key, **overrides) -> dict:
    version = _instance(pid).version
    with pytest.raises(RuleViolation) as caught:
        _submit(actors, pid, form_key, **overrides)
    db.session.rollback()
    assert _instance(pid).version == version  # nothing written
    return caught.value.fields


def _ready_forms(pid):
    return [t.form_key for t in _ctx(pid).ready]


def _actions(pid):
    iid = db.session.get(Person, pid).instance_id
    return list(db.session.scalars(sa.select(Event.action).where(Event.instance_id == iid).order_by(Event.seq)))


def _replays(pid):
    iid = db.session.get(Person, pid).instance_id
    events = records.event_dicts(iid)
    info = records.instance_row(iid)
    snap = replay(events, lambda vid: records.version_source(vid, {}))
    assert compare_state(events, snap, info.state, info.status, info.process_version_id) == []


@pytest.mark.parametrize("step,form_key", PUBLICITY_STEPS[:2])
def test_r24_failed_publicity_stops_and_the_county_restores(app, demo, actors, step, form_key):
    pid = _person(demo, actors, 10 + step, step)
    _submit(actors, pid, form_key, publicity_result="不通过")
    person = db.session.get(Person, pid)
    assert person.status == "cancelled" and _instance(pid).status == "cancelled"
    assert _actions(pid)[-2:] == ["submit", "stop"]
    rows = archive.archive_page(actors["county_admin"], "cancelled", 1).rows
    assert [(r.person.id, r.reason) for r in rows] == [(pid, "公示未通过")]
    _replays(pid)

    services.restore(actors["county_admin"], _ctx(pid), "重新公示", [])
    db.session.commit()
    assert _ready_forms(pid) == [form_key]
    _submit(actors, pid, form_key)
    assert db.session.get(Person, pid).status == "active"
    assert form_key not in _ready_forms(pid)
    _replays(pid)


def test_r24_failed_publicity_at_steps_15_17_23_stops_too(app, demo, actors):
    pid = _person(demo, actors, 40, 15)
    for form_key, category in (("step15_admission_meeting", "发展对象"), ("step17_committee_approval", "发展对象"),
                               ("step23_full_membership_meeting", "预备党员")):
        simulate.advance(db.session.get(Person, pid), actors, until_task=form_key)
        _submit(actors, pid, form_key, publicity_result="不通过")
        person = db.session.get(Person, pid)
        assert (person.status, person.category, _actions(pid)[-1]) == ("cancelled", category, "stop")
        services.restore(actors["county_admin"], _ctx(pid), "重新公示", [])
        db.session.commit()
        assert _ready_forms(pid) == [form_key]
    _replays(pid)


def test_r25_failed_political_review_stops(app, demo, actors):
    pid = _person(demo, actors, 41, 10)
    _submit(actors, pid, "step10_political_review", review_result="不合格")
    assert db.session.get(Person, pid).status == "cancelled"
    event = db.session.scalars(sa.select(Event).where(Event.action == "stop")).one()
    assert event.data["reason"] == "政治审查不合格" and event.task_name == "step10_political_review"
    _replays(pid)
    # The outcome is an event of the auditor's timeline and of the replay as of that event.
    auditor = app.test_client()
    login(auditor, demo.users["auditor"])
    html = auditor.get(f"/audit/people/{pid}").get_data(as_text=True)
    assert f'data-seq="{event.seq}"' in html and 'data-action="stop"' in html and "停止发展" in html
    assert auditor.get(f"/audit/people/{pid}/replay?n={event.seq}").status_code == 200


def test_r26_prereview_refused_goes_back_to_step_12(app, demo, actors):
    pid = _person(demo, actors, 42, 13)
    _submit(actors, pid, "step13_committee_prereview", prereview_result="不同意")
    assert _ready_forms(pid) == ["step12_branch_committee_review"]
    person = db.session.get(Person, pid)
    assert person.status == "active" and person.category == "发展对象"
    assert _actions(pid)[-1] == "send_back"
    # The way on again: a new pass through 12 and 13.
    _submit(actors, pid, "step12_branch_committee_review")
    _submit(actors, pid, "step13_committee_prereview")
    assert _ready_forms(pid) == ["step14_application_form"]
    _replays(pid)


def test_r27_quorum_refused_at_entry_and_failed_vote_goes_back(app, demo, actors):
    pid = _person(demo, actors, 43, 15)
    fields = _refused(actors, pid, "step15_admission_meeting", voters_total=20, voters_present=10, votes_for=10)
    assert "半数" in fields["voters_present"][0]
    _submit(actors, pid, "step15_admission_meeting", voters_total=20, voters_present=18, votes_for=10)
    assert _ready_forms(pid) == ["step12_branch_committee_review"]
    assert db.session.get(Person, pid).category == "发展对象"
    assert _actions(pid)[-1] == "send_back"
    _replays(pid)


def test_r28_committee_refusal_goes_back_and_r13_six_months(app, demo, actors):
    pid = _person(demo, actors, 44, 17)
    # 支部大会 of the sample is 2021-05-10: 8 months later is refused at entry.
    fields = _refused(actors, pid, "step17_committee_approval", approval_date="2022-01-10")
    assert "6个月" in fields["approval_date"][0]
    _submit(actors, pid, "step17_committee_approval", approval_result="不批准")
    assert _ready_forms(pid) == ["step12_branch_committee_review"]
    assert db.session.get(Person, pid).category == "发展对象"


def test_r16_talk_not_before_the_application(app, demo, actors):
    pid = _person(demo, actors, 51, 2)
    # The sample application is dated 2020-01-02.
    fields = _refused(actors, pid, "step02_talk", talk_date="2019-12-30")
    assert "递交入党申请" in fields["talk_date"][0]


def test_r16_activist_not_before_the_talk_and_after_a_skipped_talk_not_before_the_application(app, demo, actors):
    pid = _person(demo, actors, 53, 3)
    # Applied 2020-01-02, talk 2020-01-20 (samples): a 积极分子 date between them is refused by the talk.
    fields = _refused(actors, pid, "step03_activist", activist_date="2020-01-10")
    assert "谈话日期（2020-01-20）" in fields["activist_date"][0]
    _submit(actors, pid, "step03_activist")
    _replays(pid)
    # R03: an application before 2014-05-28 had no talk; the application date is the bound then.
    early = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 54, name="测早", apply_date="2013-05-02")
    assert _ready_forms(early.id) == ["step03_activist"]
    fields = _refused(actors, early.id, "step03_activist", activist_date="2013-05-01")
    assert "递交入党申请日期（2013-05-02）" in fields["activist_date"][0]


def test_r16_no_date_after_the_day_of_the_action(app, demo, actors):
    """Checked against the server's day recorded in the event, so the replay decides the same way."""
    pid = _person(demo, actors, 52, 12)
    fields = _refused(actors, pid, "step12_branch_committee_review", meeting_date="2099-01-01")
    assert "不能晚于操作当天" in fields["meeting_date"][0]
    _submit(actors, pid, "step12_branch_committee_review")
    event = db.session.scalars(sa.select(Event).where(Event.task_name == "step12_branch_committee_review")).one()
    assert event.data["action_date"] >= "2025-01-01"
    _replays(pid)


def test_r16_dates_in_order_at_steps_12_and_13(app, demo, actors):
    pid = _person(demo, actors, 45, 12)
    # 确定为发展对象 in the samples is 2021-03-15.
    fields = _refused(actors, pid, "step12_branch_committee_review", meeting_date="2021-03-01")
    assert "确定为发展对象" in fields["meeting_date"][0]
    _submit(actors, pid, "step12_branch_committee_review")
    fields = _refused(actors, pid, "step13_committee_prereview", review_date="2021-04-01")
    assert "支部委员会审查" in fields["review_date"][0]


def test_r29_disqualification_ends_the_record_never_full_member(app, demo, actors):
    pid = _person(demo, actors, 46, 23)
    _submit(actors, pid, "step23_full_membership_meeting", conclusion="取消预备党员资格")
    person = db.session.get(Person, pid)
    assert _instance(pid).status == "disqualified" and person.status == "disqualified"
    assert person.category == "预备党员" and person.current_title == "已取消预备党员资格"
    assert _ready_forms(pid) == []
    assert _actions(pid)[-1] == "disqualify"
    rows = archive.archive_page(actors["county_admin"], "disqualified", 1).rows
    assert [(r.person.id, r.reason) for r in rows] == [(pid, "支部大会决定取消预备党员资格")]
    _replays(pid)


def test_r15_r14_extension_goes_back_to_step_21_once(app, demo, actors):
    pid = _person(demo, actors, 47, 23)
    # 支部大会 2021-05-10: the probation ends 2022-05-10; three weeks after admission is refused.
    fields = _refused(actors, pid, "step23_full_membership_meeting", publicity_start="2021-05-20",
                      publicity_end="2021-05-27", meeting_date="2021-05-31")
    assert "2022-05-10" in fields["meeting_date"][0]
    _submit(actors, pid, "step23_full_membership_meeting", conclusion="延长预备期", extension_months=6)
    assert _ready_forms(pid) == ["step21_probation_education"]
    event = db.session.scalars(sa.select(Event).where(Event.action == "extend_probation")).one()
    assert event.data["probation_end"] == "2022-11-10" and event.data["months"] == 6
    _replays(pid)
    simulate.advance(db.session.get(Person, pid), actors, until_step=23)
    # The new end of the probation counts now.
    fields = _refused(actors, pid, "step23_full_membership_meeting")
    assert "2022-11-10" in fields["meeting_date"][0]
    later = {"publicity_start": "2022-11-01", "publicity_end": "2022-11-07", "meeting_date": "2022-11-12"}
    fields = _refused(actors, pid, "step23_full_membership_meeting", conclusion="延长预备期", extension_months=6,
                      **later)
    assert "只能延长一次" in fields["conclusion"][0] or "延长过一次" in fields["conclusion"][0]
    _submit(actors, pid, "step23_full_membership_meeting", **later)
    assert _ready_forms(pid) == ["step24_full_membership_approval"]
    _replays(pid)


def test_r30_higher_committee_decides_the_same_three_ways(app, demo, actors):
    pid = _person(demo, actors, 48, 24)
    _submit(actors, pid, "step24_full_membership_approval", conclusion="取消预备党员资格")
    assert db.session.get(Person, pid).status == "disqualified"
    pid = _person(demo, actors, 49, 24)
    _submit(actors, pid, "step24_full_membership_approval", conclusion="延长预备期", extension_months=12)
    assert _ready_forms(pid) == ["step21_probation_education"]
    event = db.session.scalars(sa.select(Event).where(Event.action == "extend_probation")).one()
    assert event.data["probation_end"] == "2023-05-10"


def test_positive_outcomes_reach_the_end(app, demo, actors):
    pid = _person(demo, actors, 50, None)
    person = db.session.get(Person, pid)
    assert person.status == "completed" and person.category == "正式党员"
    assert not set(_actions(pid)) & {"stop", "send_back", "extend_probation", "disqualify"}
    assert db.session.get(ProcessInstance, person.instance_id).status == "completed"


def test_r31_membership_dates_follow_the_admission_and_the_extension(app, demo, actors, client):
    pid = _person(demo, actors, 53, 23)
    person = db.session.get(Person, pid)
    # The sample 支部大会 admitting the person is 2021-05-10.
    assert (str(person.join_date), str(person.probation_end), person.full_member_date) == \
        ("2021-05-10", "2022-05-10", None)
    _submit(actors, pid, "step23_full_membership_meeting", conclusion="延长预备期", extension_months=6)
    assert str(db.session.get(Person, pid).probation_end) == "2022-11-10"
    simulate.advance(db.session.get(Person, pid), actors, until_step=23)
    _submit(actors, pid, "step23_full_membership_meeting", publicity_start="2022-11-01", publicity_end="2022-11-07",
            meeting_date="2022-11-12")
    _submit(actors, pid, "step24_full_membership_approval", approval_date="2022-11-20")
    simulate.advance(db.session.get(Person, pid), actors)
    person = db.session.get(Person, pid)
    assert person.status == "completed"
    # 转为正式党员日期 is the end of the (extended) probation, not the approval date.
    assert str(person.full_member_date) == "2022-11-10"
    login(client, actors["branch_admin"])
    page = client.get(f"/people/{pid}/info").get_data(as_text=True)
    assert "入党日期" in page and "2021-05-10" in page and "转为正式党员日期" in page and "2022-11-10" in page
    sheet = client.get(f"/printing/person/{pid}?stage=5").get_data(as_text=True)
    assert "预备期满" in sheet and "2022-11-10" in sheet


def test_a_skipped_step_shows_why(app, demo, actors, client):
    """R03: an application before 2014-05-28 passes the talk by; the step says 已跳过 with the reason, not 未开始."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 54, name="早申请",
                                    apply_date="2013-06-01")
    pid = person.id
    simulate.advance(person, actors, until_step=4)
    rows = {r["step"].name: r for r in services.step_rows(_ctx(pid))}
    assert rows["step02_talk"]["status"] == "skipped"
    assert "R03" in rows["step02_talk"]["review"]
    assert rows["step05_contacts"]["status"] == "future"
    login(client, actors["branch_admin"])
    with app.test_request_context():
        person_url, step_url = url_for("workflow.person", person_id=pid), url_for("workflow.step", person_id=pid,
                                                                                   step=rows["step02_talk"]["step"].step)
    page = client.get(person_url).get_data(as_text=True)
    assert 'data-testid="skipped">已跳过' in page
    page = client.get(step_url).get_data(as_text=True)
    assert "已跳过：申请入党日期早于2014年5月28日" in page
    sheet = client.get(f"/printing/person/{pid}?stage=1").get_data(as_text=True)
    assert "已跳过" in sheet

"""期限提醒: due dates from the diagram's task properties in 待办事项 (剩余天数, colour, sort), and the daily
reminder: one SMS per deadline through the SMS sender, recorded, never sent twice; R14 follows 延长预备期; the
designer refuses due-date properties it cannot compute."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.deadlines import reminders, rules
from app.designer import validation
from app.deadlines.models import DeadlineReminder
from app.deadlines.rules import Deadline, parse
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.timeutil import local_today
from app.workflow import services, simulate
from app.workflow.versions import BPMN_DIR
from tests.conftest import count, login, sent_sms


def test_task_properties_declare_deadlines():
    assert parse({"dueRule": "R02", "dueFrom": "apply_date", "dueIn": "1M"}) == Deadline("R02", "apply_date", 1, "M")
    assert parse({"dueFrom": "apply_date", "dueIn": "soon"}) is None and parse({"dueIn": "1M"}) is None
    assert Deadline("R13", "x", 3, "M").due(date(2021, 11, 30)) == date(2022, 2, 28)
    assert Deadline("R14", "x", 1, "Y").due(date(2020, 2, 29)) == date(2021, 2, 28)
    assert Deadline("", "x", 30, "D").due(date(2021, 1, 1)) == date(2021, 1, 31)


def _applicants(demo, actors):
    """Three persons waiting for the talk (R02: within one month of the application): overdue, soon, later."""
    today = local_today()
    people = {}
    for seq, (name, days_ago) in enumerate((("逾期甲", 40), ("将到期乙", 27), ("充裕丙", 5)), start=1):
        applied = (today - timedelta(days=days_ago)).isoformat()
        people[name] = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=name,
                                              apply_date=applied)
    return today, people


def test_the_inbox_shows_due_dates_with_days_left_colour_and_sort(app, demo, actors):
    today, people = _applicants(demo, actors)
    first = people["逾期甲"]
    row = db.session.query(HumanTask).filter_by(person_id=first.id).one()
    assert row.due_rule == "R02" and row.due_date == Deadline("R02", "", 1, "M").due(first.apply_date)
    branch = app.test_client()
    login(branch, demo.users["branch1:branch_admin"])
    html = branch.get("/inbox/").get_data(as_text=True)
    assert 'data-urgency="overdue"' in html and 'data-urgency="soon"' in html and 'data-urgency="ok"' in html
    assert "已逾期" in html and "剩余" in html
    by_due = branch.get("/inbox/?sort=due").get_data(as_text=True)
    order = [n for n in re.findall(r"<td[^>]*>(逾期甲|将到期乙|充裕丙)</td>", by_due)]
    assert order == ["逾期甲", "将到期乙", "充裕丙"]
    newest_first = re.findall(r"<td[^>]*>(逾期甲|将到期乙|充裕丙)</td>", html)
    assert newest_first == ["充裕丙", "将到期乙", "逾期甲"]


def test_one_reminder_per_deadline_is_sent_once(app, demo, actors):
    today, people = _applicants(demo, actors)
    branch_admin = demo.users["branch1:branch_admin"]
    assert reminders.send_due(today) == 2  # the overdue and the soon one; the third has weeks left
    assert "逾期甲" in sent_sms(branch_admin.phone, "逾期甲") and "已逾期" in sent_sms(branch_admin.phone, "逾期甲")
    assert "剩余" in sent_sms(branch_admin.phone, "将到期乙")
    assert sent_sms(branch_admin.phone, "充裕丙") is None
    assert count(DeadlineReminder) == 2
    assert reminders.send_due(today) == 0 and count(DeadlineReminder) == 2
    # Weeks later the third deadline comes due: only it is sent.
    assert reminders.send_due(today + timedelta(days=22)) == 1
    assert sent_sms(branch_admin.phone, "充裕丙") is not None
    # Once the talk is recorded, that task leaves the inbox and nothing more is sent for it.
    ctx = services.load(people["将到期乙"])
    [talk] = ctx.ready
    data = simulate.sample(talk.form_key, simulate.stored_sample_file(branch_admin), talk_date=today.isoformat())
    services.act(branch_admin, ctx, talk.id, "report" if talk.name in services.reviewed_steps(ctx) else "submit", data)
    db.session.commit()
    assert reminders.send_due(today + timedelta(days=30)) == 0


def _step22_row(person_id: int) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(sa.select(HumanTask).where(HumanTask.person_id == person_id)).one()


def test_r14_counts_from_the_probation_end_and_moves_with_an_extension(app, demo, actors):
    """Real engine: the 转正申请 deadline is 预备期满; 延长预备期 at the 转正 meeting moves it by the extension."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 61, name="延长庚")
    simulate.advance(person, actors, until_task="step22_full_membership_application")
    row = _step22_row(person.id)
    # The sample 支部大会 admitting the person is 2021-05-10: the probation ends a year later.
    assert (row.due_rule, row.due_date) == ("R14", date(2022, 5, 10))
    simulate.advance(db.session.get(Person, person.id), actors, until_task="step23_full_membership_meeting")
    ctx = services.load(db.session.get(Person, person.id))
    [meeting] = ctx.ready
    data = simulate.sample(meeting.form_key, simulate.stored_sample_file(actors["branch_admin"]),
                           conclusion="延长预备期", extension_months=6)
    services.act(actors["branch_admin"], ctx, meeting.id, "submit", data)
    db.session.commit()
    simulate.advance(db.session.get(Person, person.id), actors, until_task="step22_full_membership_application")
    row = _step22_row(person.id)
    assert (row.due_rule, row.due_date) == ("R14", date(2022, 11, 10))
    assert db.session.get(Person, person.id).probation_end == row.due_date


@pytest.mark.parametrize("props, message", [
    ({"dueRule": "R02", "dueFrom": "apply_dat", "dueIn": "1M"}, "dueFrom“apply_dat”不是人员或校验数据中的日期"),
    ({"dueRule": "R02", "dueFrom": "name", "dueIn": "1M"}, "dueFrom“name”不是"),
    ({"dueRule": "R02", "dueFrom": "apply_date", "dueIn": "one month"}, "dueIn“one month”格式有误"),
    ({"dueRule": "R02", "dueFrom": "apply_date", "dueIn": "1W"}, "dueIn“1W”格式有误"),
    ({"dueRule": "R02", "dueIn": "1M"}, "缺少 dueFrom"),
    ({"dueRule": "R02", "dueFrom": "apply_date"}, "缺少 dueIn"),
], ids=["typo", "not-a-date", "words", "unit", "no-from", "no-in"])
def test_the_designer_refuses_a_deadline_it_cannot_compute(props, message):
    xml = _diagram()
    block = ('<spiffworkflow:property name="dueRule" value="R02"/>\n'
             '          <spiffworkflow:property name="dueFrom" value="apply_date"/>\n'
             '          <spiffworkflow:property name="dueIn" value="1M"/>')
    assert block in xml
    changed = "\n          ".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in props.items())
    problems = validation.validate(xml.replace(block, changed).encode(), "development")
    assert [(p.element_id, p.message) for p in problems if message in p.message] == \
        [("step02_talk", next(p.message for p in problems if message in p.message))], [str(p) for p in problems]
    assert all(p.message.startswith("期限属性：") for p in problems), [str(p) for p in problems]


def test_the_bundled_deadlines_pass_and_a_zero_offset_is_allowed():
    assert validation.validate(_diagram().encode(), "development") == []
    assert parse({"dueFrom": "probation_end", "dueIn": "0D"}).due(date(2022, 5, 10)) == date(2022, 5, 10)
    assert rules.property_problems({}) == []


def _diagram() -> str:
    with open(f"{BPMN_DIR}/development.bpmn", encoding="utf-8") as fh:
        return fh.read()

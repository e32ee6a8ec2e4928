"""R15 in 逻辑校验 after a 延长预备期: the 按期转正 that follows overwrites the step's conclusion fact, so the check
reads the extended 预备期满 from the person row (R31). Real engine, both databases."""
from datetime import date

from app.checks import services as checks
from app.checks.catalogue import BY_ID
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from tests.conftest import submit_form

TODAY = date(2025, 6, 30)


def _r15_fails(demo, pid) -> bool:
    page = checks.failing_persons(demo.users["county_admin"], demo.orgs["branch1"], BY_ID["R15"], TODAY,
                                  per_page=100)
    return pid in {p.id for p in page.items}


def test_r15_compares_with_the_extended_end(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 71, name="延长甲")
    simulate.advance(person, actors, until_step=23)
    pid = person.id
    # 支部大会 2021-05-10 (samples); the 转正 meeting on 2022-05-12 extends the probation by 6 months.
    submit_form(actors, pid, "step23_full_membership_meeting", conclusion="延长预备期", extension_months=6)
    assert str(db.session.get(Person, pid).probation_end) == "2022-11-10"
    assert not _r15_fails(demo, pid)  # the extending meeting is bound by the first year only
    simulate.advance(db.session.get(Person, pid), actors, until_step=23)
    submit_form(actors, pid, "step23_full_membership_meeting", publicity_start="2022-11-01",
            publicity_end="2022-11-07", meeting_date="2022-11-12")
    assert not _r15_fails(demo, pid)
    # The same meeting recorded (人员信息) as held before the extended end: now R15 flags it, although it is
    # after the first year's end and the conclusion fact says 按期转正.
    ctx = services.load(db.session.get(Person, pid))
    step = next(s for s in services.step_catalogue(ctx.instance.process_version_id)
                if s.form_key == "step23_full_membership_meeting")
    services.amend_step(actors["branch_admin"], ctx, step.step,
                        {"publicity_start": "2022-08-01", "publicity_end": "2022-08-08", "meeting_date": "2022-08-10"},
                        expected_version=None)
    db.session.commit()
    assert _r15_fails(demo, pid)

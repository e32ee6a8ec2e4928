"""R31 backfill: records not acted on since 入党日期/预备期满 were kept get them from the runner's own code
(``flask backfill-membership-dates``, also run by ``flask init-db``); an old 正式党员's 转为正式党员日期 (the
step-24 approval date) becomes 预备期满 including an extension. Real engine, both databases."""
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.people.models import Person
from app.workflow import simulate
from tests.conftest import submit_form
from app.workflow.backfill import undated_person_ids


def _dates(pid):
    db.session.expire_all()
    person = db.session.get(Person, pid)
    return tuple(str(d) if d else None for d in (person.join_date, person.probation_end, person.full_member_date))


def test_backfill_dates_old_records_like_the_runner(app, demo, actors):
    extended = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 81, name="补记甲")
    simulate.advance(extended, actors, until_step=23)
    submit_form(actors, extended.id, "step23_full_membership_meeting", conclusion="延长预备期", extension_months=6)
    simulate.advance(db.session.get(Person, extended.id), actors, until_step=23)
    submit_form(actors, extended.id, "step23_full_membership_meeting", publicity_start="2022-11-01",
            publicity_end="2022-11-07", meeting_date="2022-11-12")
    submit_form(actors, extended.id, "step24_full_membership_approval", approval_date="2022-11-20")
    simulate.advance(db.session.get(Person, extended.id), actors)
    probationer = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 82, name="补记乙")
    simulate.advance(probationer, actors, until_step=21)
    applicant = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 83, name="补记丙")
    expected = {pid: _dates(pid) for pid in (extended.id, probationer.id, applicant.id)}
    assert expected[extended.id] == ("2021-05-10", "2022-11-10", "2022-11-10")
    assert expected[probationer.id] == ("2021-05-10", "2022-05-10", None)
    assert expected[applicant.id] == (None, None, None)
    # As the database stood before R31's dates were kept: no 入党日期/预备期满, 转正 = the approval date.
    db.session.execute(sa.update(Person).values(join_date=None, probation_end=None))
    db.session.execute(sa.update(Person).where(Person.id == extended.id)
                       .values(full_member_date=date(2022, 11, 20)))
    db.session.commit()
    assert sorted(undated_person_ids(0, 10)) == sorted([extended.id, probationer.id])
    result = app.test_cli_runner().invoke(args=["backfill-membership-dates"])
    assert result.exit_code == 0 and "已补记 2 人" in result.output, result.output
    assert {pid: _dates(pid) for pid in expected} == expected
    # Run again: nothing left to date.
    assert "已补记 0 人" in app.test_cli_runner().invoke(args=["backfill-membership-dates"]).output

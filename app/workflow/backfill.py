"""R31's dates for records made before they were kept: 入党日期, 预备期满 and 转为正式党员日期 are written by the
runner's person projection on every action, so a record that has not acted since the upgrade lacks them (and an
old 正式党员 still carries the step-24 approval date as 转为正式党员日期). This fills them in with the
projection's own code (``services.membership_dates``: the diagram's ``add_months`` and the instance's
``probation_extension_months``), run by ``flask init-db`` after the migrations and by ``flask
backfill-membership-dates``. Idempotent: a record the runner already dated has ``probation_end`` and is left alone.
"""
import sqlalchemy as sa

from app.checks.models import CheckFact
from app.extensions import db
from app.people.models import Person
from app.workflow import services


def undated_person_ids(after_id: int, batch: int) -> list[int]:
    """Ids of admitted persons (a 支部大会 fact) whose 预备期满 was never computed, above ``after_id``."""
    return list(db.session.scalars(
        sa.select(Person.id).join(CheckFact, CheckFact.person_id == Person.id)
        .where(Person.instance_id.is_not(None), Person.probation_end.is_(None),
               CheckFact.admission_meeting_date.is_not(None), Person.id > after_id)
        .order_by(Person.id).limit(batch)))


def backfill_membership_dates(batch: int = 500) -> int:
    """Date every undated admitted person as the runner would; commits per batch (a command, not a request).
    Returns how many persons were dated."""
    done, last_id = 0, 0
    while ids := undated_person_ids(last_id, batch):
        for person_id in ids:
            services.membership_dates(services.load(db.session.get(Person, person_id)))
        db.session.commit()
        db.session.expunge_all()
        done, last_id = done + len(ids), ids[-1]
    return done

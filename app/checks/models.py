"""Check facts: the step values the logic checks compare that the person row does not carry.

One row per person, written by ``app.checks.projection`` in the same transaction as the action that
changed the step data, so a check run is plain SQL over ``person`` joined with ``check_fact``.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CheckFact(db.Model):
    __tablename__ = "check_fact"

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    # R01 takes the age from the ID number; R17's finding ('' when the number agrees with the form).
    id_birth_date: Mapped[date | None]
    id_issue: Mapped[str] = mapped_column(sa.String(60), default="")
    talk_date: Mapped[date | None]                 # step 2, R02
    training_days: Mapped[int | None]              # step 11, R11: distinct days of the sessions
    training_hours: Mapped[int | None]             # step 11, R11: sum of 学时
    prereview_date: Mapped[date | None]            # step 13, R16
    admission_meeting_date: Mapped[date | None]    # step 15, R13/R14/R15/R16
    oath_date: Mapped[date | None]                 # step 20, R16
    conversion_meeting_date: Mapped[date | None]   # step 23, R15
    conversion_conclusion: Mapped[str] = mapped_column(sa.String(10), default="")
    extension_months: Mapped[int | None]           # step 23, R14
    conversion_approval_date: Mapped[date | None]  # step 24, R15 (approval within 3 months), R16

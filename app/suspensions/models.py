"""暂停发展-出国(境): one row per suspension of a person, and one per 归国恢复申请 (its own resume.bpmn instance)."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.orgs.models import Organisation
from app.timeutil import utcnow
from app.vocab.statuses import ResumeStatus, SuspensionStatus


class Suspension(db.Model):
    """A person paused while abroad: the projection of a ``suspend`` event of their development instance.

    The instance keeps its engine state (the step where it stood, with all data); this row carries what the
    历史库 list shows. ``latest_request_id`` is the newest 归国恢复申请, whose reviews the list shows.
    """
    __tablename__ = "suspension"
    __table_args__ = (sa.Index("ix_suspension_path", "org_path", "suspended_at"),)
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"))
    # The seq of the development instance's ``suspend`` event (and of the ``resume`` event once back).
    suspend_seq: Mapped[int] = mapped_column(default=0)
    person_name: Mapped[str] = mapped_column(sa.String(60))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    org_path: Mapped[str] = mapped_column(sa.String(400))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    destination: Mapped[str] = mapped_column(sa.String(100), default="")
    expected_from: Mapped[date | None]
    expected_to: Mapped[date | None]
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(12), default=SuspensionStatus.SUSPENDED)
    suspended_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    suspended_at: Mapped[datetime] = mapped_column(default=utcnow)
    resumed_at: Mapped[datetime | None]
    latest_request_id: Mapped[int | None]

    org: Mapped[Organisation] = relationship()
    suspender = relationship("User", foreign_keys=[suspended_by])


class ResumeRequest(db.Model):
    """归国恢复申请: the branch's opinion, then 基层党委 and 县级 reviews, each with its decision and opinion.

    ``pending_suspension_id`` is the suspension's id while a review is open and NULL afterwards: its unique
    constraint allows one open request per suspension even when two applications race.
    """
    __tablename__ = "resume_request"
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    suspension_id: Mapped[int] = mapped_column(sa.ForeignKey("suspension.id"), index=True)
    pending_suspension_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suspension.id"), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"))
    person_name: Mapped[str] = mapped_column(sa.String(60))
    org_path: Mapped[str] = mapped_column(sa.String(400))
    status: Mapped[str] = mapped_column(sa.String(20), default=ResumeStatus.COMMITTEE)
    opinion: Mapped[str] = mapped_column(sa.Text, default="")
    reported_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    committee_decision: Mapped[str] = mapped_column(sa.String(8), default="")
    committee_opinion: Mapped[str] = mapped_column(sa.Text, default="")
    committee_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    committee_at: Mapped[datetime | None]
    county_decision: Mapped[str] = mapped_column(sa.String(8), default="")
    county_opinion: Mapped[str] = mapped_column(sa.Text, default="")
    county_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    county_at: Mapped[datetime | None]

    suspension: Mapped[Suspension] = relationship(foreign_keys=[suspension_id])
    reporter = relationship("User", foreign_keys=[reported_by])
    committee_reviewer = relationship("User", foreign_keys=[committee_by])
    county_reviewer = relationship("User", foreign_keys=[county_by])

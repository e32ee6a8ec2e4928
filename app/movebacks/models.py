"""调整申请: one row per request of a branch to move a person back into a stage R32 has sealed."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow
from app.vocab.statuses import MoveBackStatus


class MoveBackRequest(db.Model):
    """调整为入党申请人/积极分子 into a sealed stage, waiting for the county (its own moveback.bpmn instance).

    ``pending_person_id`` is the person's id while the request waits and NULL once decided: its unique
    constraint allows one pending request per person even when two submissions race. ``seen_version`` is the
    version of the person's development instance when the branch asked: an approval after the process moved
    on is refused (the county decides on what the branch saw, not on a later state).
    """
    __tablename__ = "move_back_request"
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    pending_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), unique=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"))
    seen_version: Mapped[int]
    person_name: Mapped[str] = mapped_column(sa.String(60))
    org_path: Mapped[str] = mapped_column(sa.String(400))
    target: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(12), default=MoveBackStatus.PENDING)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    opinion: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    # The seq of the person's ``move_back`` event once approved.
    move_seq: Mapped[int | None]

    requester = relationship("User", foreign_keys=[requested_by])
    decider = relationship("User", foreign_keys=[decided_by])

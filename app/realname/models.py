"""实名认证申请: one row per applicant a branch enters for the county's 备案认证."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.orgs.models import Organisation
from app.timeutil import utcnow

# 草稿 → 待认证 (上报) → 已认证 (备案认证, person started) | 不通过 (refused with a reason; corrected and
# reported again it is 待认证 once more)
DRAFT, PENDING, CONFIRMED, REJECTED = "草稿", "待认证", "已认证", "不通过"
STATUSES = (DRAFT, PENDING, CONFIRMED, REJECTED)


class RealnameRequest(db.Model):
    """The step-1 data (``data``, as the step-1 form stores it) plus the proof scans (``proof_scans``).

    ``org_path`` is the receiving branch's path and scopes the row. ``person_id`` is set once confirmed.
    """
    __tablename__ = "realname_request"
    __table_args__ = (sa.Index("ix_realname_request_path", "org_path", "status"),)
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(8), default=DRAFT)
    name: Mapped[str] = mapped_column(sa.String(60))
    id_number: Mapped[str] = mapped_column(sa.String(18), index=True)
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    org_path: Mapped[str] = mapped_column(sa.String(400))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    proof_scans: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"))
    # The request's own realname.bpmn instance (its events are the request's history).
    instance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_instance.id"))

    org: Mapped[Organisation] = relationship(lazy="joined")

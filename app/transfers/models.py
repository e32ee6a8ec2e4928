"""接续培养: one row per transfer request, with its own engine instance (bpmn/transfer.bpmn)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.orgs.models import Organisation
from app.timeutil import utcnow

# 申请中 → 已完成 (approved, person moved) | 被拒绝 (refused, person stays) | 已撤回 (withdrawn by the requester)
PENDING, DONE, REFUSED, WITHDRAWN = "申请中", "已完成", "被拒绝", "已撤回"


def _either_side(prefix: str) -> sa.ColumnElement[bool]:
    # Both parties see a transfer: the receiving side (to_org_path) and the sending side (from_org_path).
    from app.scope import path_prefix
    return sa.or_(path_prefix(Transfer.to_org_path, prefix), path_prefix(Transfer.from_org_path, prefix))


class Transfer(db.Model):
    """A request to move a person (入党申请人 / 入党积极分子) to another 党支部 in the province.

    Name, ID number and original organisation are copied at request time: the receiving side sees only
    these until the sending side approves. ``pending_person_id`` is the person's id while the request is
    申请中 and NULL afterwards; its unique constraint lets only one pending transfer exist per person,
    even for two requests racing each other.
    """
    __tablename__ = "transfer"
    __table_args__ = (
        sa.Index("ix_transfer_to_path", "to_org_path", "requested_at"),
        sa.Index("ix_transfer_from_path", "from_org_path", "requested_at"),
    )
    __scope_join__ = staticmethod(_either_side)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    pending_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), unique=True)
    # Its own transfer.bpmn instance; NULL for a 组织关系转接 the member registry made (already decided there:
    # the row exists for the sending side's as-of record and the lists).
    instance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_instance.id"))
    person_name: Mapped[str] = mapped_column(sa.String(60))
    id_number: Mapped[str] = mapped_column(sa.String(18), index=True)
    from_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    from_org_path: Mapped[str] = mapped_column(sa.String(400))
    to_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    to_org_path: Mapped[str] = mapped_column(sa.String(400))
    status: Mapped[str] = mapped_column(sa.String(8), default=PENDING)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    opinion: Mapped[str] = mapped_column(sa.Text, default="")
    # The seq of the ``transfer`` event in the person's development instance: the sending side reads the
    # record as of that event (a replay), never anything written after it.
    person_seq: Mapped[int | None]
    # Every write is UPDATE ... WHERE version = :seen: of two approvals at once, one wins.
    version: Mapped[int] = mapped_column(default=1)

    from_org: Mapped[Organisation] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organisation] = relationship(foreign_keys=[to_org_id])
    requester = relationship("User", foreign_keys=[requested_by])
    decider = relationship("User", foreign_keys=[decided_by])

    __mapper_args__ = {"version_id_col": version}

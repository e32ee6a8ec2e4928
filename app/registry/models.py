"""The outbox of events for the member registry and e支部, and the registry's inbound requests (idempotency)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow


class RegistryEvent(db.Model):
    """One domain event for the registry (or a notice for e支部), written in the transaction of the action that
    caused it."""
    __tablename__ = "registry_event"
    __table_args__ = (
        # The worker's query: pending rows whose next attempt is due.
        sa.Index("ix_registry_event_due", "status", "next_attempt_at"),
        sa.Index("ix_registry_event_path", "org_path", "created_at"),
    )
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key the registry sees (header Idempotency-Key): one per event, never reused.
    key: Mapped[str] = mapped_column(sa.String(36), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    # Where it goes (app/registry/events.Destination): the member registry, or e支部 for 党务公开 notices.
    destination: Mapped[str] = mapped_column(sa.String(16), default="registry", server_default="registry")
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    person_name: Mapped[str] = mapped_column(sa.String(100), default="")
    # The organisation whose county sees the delivery (for 转出 the sending branch, for 转入 the receiving one).
    org_path: Mapped[str] = mapped_column(sa.String(400))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # app/vocab/statuses.DeliveryStatus: pending → delivered | failed (→ pending again by 重试)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class RegistryInbound(db.Model):
    """One request from the registry, by its idempotency key: a repeated key gets the stored answer."""
    __tablename__ = "registry_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    # sha256 of the request body: the same key with another body is refused, not silently answered.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(sa.JSON)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")

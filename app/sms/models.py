"""The SMS outbox and the one-time verification codes sent by SMS."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class SmsMessage(db.Model):
    """One message handed to the configured sender. ``text`` has any code masked; pages show no text."""
    __tablename__ = "sms_message"
    # Scope: the organisation path of the account the message was sent to, so that an 安全员 sees the
    # messages of accounts in their subtree and nothing else.
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    purpose: Mapped[str] = mapped_column(sa.String(32))
    sender: Mapped[str] = mapped_column(sa.String(64))
    # sent | logged (development sender, text in the server log only) | failed
    status: Mapped[str] = mapped_column(sa.String(16), default="sent", server_default="sent")
    org_path: Mapped[str] = mapped_column(sa.String(400), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SmsCode(db.Model):
    """A 6-digit code sent to a phone for one purpose (activation, password reset); only its keyed hash is kept.

    A row is written for every request, whether or not a message was actually sent, so that the
    resend throttle answers alike for every phone and cannot tell which phones have accounts.
    """
    __tablename__ = "sms_code"
    __table_args__ = (sa.Index("ix_sms_code_phone_purpose", "phone", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20))
    purpose: Mapped[str] = mapped_column(sa.String(32))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

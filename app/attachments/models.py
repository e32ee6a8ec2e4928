"""Uploaded files: stored once by content hash, with a row per organisation that uploaded them."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class Attachment(db.Model):
    __tablename__ = "attachment"
    __table_args__ = (sa.UniqueConstraint("sha256", "org_path"),)
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    mime: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    # The uploader's organisation: who may download it.
    org_path: Mapped[str] = mapped_column(sa.String(400))
    uploaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

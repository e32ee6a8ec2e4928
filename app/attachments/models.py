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

    @property
    def is_image(self) -> bool:
        """Pictures are shown as thumbnails; anything else as a link to download."""
        return self.mime in _KIND_LABELS and self.mime.startswith("image/")

    @property
    def kind_label(self) -> str:
        """The file's type in the words of the page (JPG图片, PDF文件)."""
        return _KIND_LABELS.get(self.mime, "文件")

    @property
    def size_label(self) -> str:
        """The size as people read it: 356 KB, 1.2 MB."""
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"


_KIND_LABELS = {"image/jpeg": "JPG图片", "image/png": "PNG图片", "application/pdf": "PDF文件"}

"""One row per publicity (公示) a step records: what the public board shows, nothing personal beyond the name."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class PublicityNotice(db.Model):
    """A notice of a step's publicity, kept in step with the step's data by a projection of the procedure.

    The board lists a notice from its start to its end day (Beijing dates) while the person is in the
    pipeline; the row is a copy so that the public page never reads person, step data or attachments rows.
    """
    __tablename__ = "publicity_notice"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "data_key"),
        sa.Index("ix_publicity_notice_board", "org_path", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    data_key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(60))
    person_name: Mapped[str] = mapped_column(sa.String(60))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    org_path: Mapped[str] = mapped_column(sa.String(400))
    start_date: Mapped[date]
    end_date: Mapped[date]
    # sha256 digests of the publicity material, in upload order; served to the public only while listed.
    files: Mapped[list] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

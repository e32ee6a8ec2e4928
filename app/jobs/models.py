"""A job row: what the user started, how far it got, and its result (the page polls it)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class Job(db.Model):
    """One long piece of work run by the worker for one user (核验 of a county, a large export)."""
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    # app/vocab/statuses.JobStatus: queued → running → done | failed
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    # Only the user who started a job sees it: its result holds what that user's scope showed.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    # A file the job produced (an export), stored under UPLOAD_FOLDER/jobs (shared storage in production).
    file_name: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        """Progress in whole percent (0 before the total is known)."""
        if self.status == "done":
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

"""The reminders sent: one row per deadline (instance, task, due date), so each is sent once."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class DeadlineReminder(db.Model):
    """The SMS reminder of one deadline of one task of one instance (a moved due date is a new deadline)."""
    __tablename__ = "deadline_reminder"
    __table_args__ = (sa.UniqueConstraint("instance_id", "task_name", "due_date", name="uq_deadline_reminder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"))
    task_name: Mapped[str] = mapped_column(sa.String(80))
    rule: Mapped[str] = mapped_column(sa.String(8), default="")
    due_date: Mapped[date]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    sms_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sms_message.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

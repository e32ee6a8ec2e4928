"""The inbox (待办事项): ready human tasks projected into a table, so listing never loads a workflow."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class HumanTask(db.Model):
    __tablename__ = "human_task"
    __table_args__ = (
        sa.Index("ix_human_task_role_path", "role", "org_path", "arrived_at"),
        # Big scopes: newest first per role without sorting the scope (see inbox.services.inbox_page).
        sa.Index("ix_human_task_role_arrived", "role", "arrived_at", "org_path"),
    )
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    task_name: Mapped[str] = mapped_column(sa.String(80))
    title: Mapped[str] = mapped_column(sa.String(120))
    step: Mapped[int] = mapped_column(default=0)
    stage: Mapped[int] = mapped_column(default=0)
    # The role that works on it (from the task's lane); higher admins whose scope covers it may too.
    role: Mapped[str] = mapped_column(sa.String(32))
    org_path: Mapped[str] = mapped_column(sa.String(400))
    person_name: Mapped[str] = mapped_column(sa.String(60), default="")
    org_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # 待处理 (edit), 待审核 (review), 审核不通过 (edit again after a rejection)
    status: Mapped[str] = mapped_column(sa.String(16), default="待处理")
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which procedure the task belongs to, hence which page opens it: development (the person's step),
    # transfer (the transfer row ``subject_id``), realname (the 实名认证 request ``subject_id``).
    process: Mapped[str] = mapped_column(sa.String(32), default="development")
    subject_id: Mapped[int | None]
    # The task's deadline from the diagram's due properties (app/deadlines), and the rule it comes from.
    due_date: Mapped[date | None]
    due_rule: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")


class TaskRef(db.Model):
    """Every engine task id ever offered in an inbox, with its instance, kept after the task is done.

    A request naming a task someone else has just completed is a lost race (409), not an unknown task
    (404); the inbox row is gone by then, this row is not."""
    __tablename__ = "task_ref"

    task_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"), index=True)

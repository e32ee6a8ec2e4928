"""Append-only logs: instance events (纪实) and the operations log. Nothing updates or deletes a row."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class Event(db.Model):
    """One action on one process instance, hash-chained to the instance's previous event."""
    __tablename__ = "event"
    __table_args__ = (sa.UniqueConstraint("instance_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(sa.ForeignKey("process_instance.id"), index=True)
    seq: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), default="")
    role: Mapped[str] = mapped_column(sa.String(32), default="")
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    action: Mapped[str] = mapped_column(sa.String(32))
    # The BPMN task id and which pass through it (1 = first time reached), never the engine UUID,
    # so that a replay can find the same task again.
    task_name: Mapped[str] = mapped_column(sa.String(80), default="")
    task_pass: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    hash: Mapped[str] = mapped_column(sa.String(64))


class ChainHead(db.Model):
    """The head of a hash chain kept outside instances (one row, "operation_log").

    Appending to the chain first writes this row, which takes its row lock (PostgreSQL) or the database
    write lock (SQLite), so the previous hash is read by one appender at a time and the chain cannot fork.
    """
    __tablename__ = "chain_head"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


# A fresh database (create_all) gets the operations log's head row, like the migration inserts it.
sa.event.listen(ChainHead.__table__, "after_create",
                sa.DDL("INSERT INTO chain_head (name) VALUES ('operation_log')"))


class OperationLog(db.Model):
    """Actions outside instances: logins, accounts, codes, deployments, exports."""
    __tablename__ = "operation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(60), default="")
    role: Mapped[str] = mapped_column(sa.String(32), default="")
    org_path: Mapped[str] = mapped_column(sa.String(400), default="", index=True)
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    target: Mapped[str] = mapped_column(sa.String(200), default="")
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    hash: Mapped[str] = mapped_column(sa.String(64))

    __scope_path__ = "org_path"

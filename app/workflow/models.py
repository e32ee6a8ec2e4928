"""Deployed diagram versions and running process instances."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow


class ProcessVersion(db.Model):
    """One deployed version of a BPMN diagram. Instances keep the version they started on."""
    __tablename__ = "process_version"
    __table_args__ = (sa.UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    bpmn_xml: Mapped[bytes] = mapped_column(sa.LargeBinary)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    # draft → active → retired; exactly one active version per process id.
    state: Mapped[str] = mapped_column(sa.String(16), default="draft")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]

    author = relationship("User")

    @property
    def author_name(self) -> str:
        """The designer who saved this version ("" for the bundled one)."""
        return self.author.name if self.author is not None else ""


class ProcessInstance(db.Model):
    """A running (or finished) workflow: its serialized engine state under an optimistic lock."""
    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(sa.ForeignKey("process_version.id"), index=True)
    # running | completed | cancelled | closed (重新发展: kept, never acted on again)
    status: Mapped[str] = mapped_column(sa.String(16), default="running")
    state: Mapped[str] = mapped_column(sa.Text)
    # Every write is UPDATE ... WHERE version = :seen; zero rows means someone else acted first.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The end of the instance's event chain (last seq and hash), written with the state under the version
    # lock: an append reads its previous event from here rather than from the log, and verification checks
    # it against the log (so a deleted last event shows).
    last_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    last_hash: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")

    process_version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": version}


# PostgreSQL compresses a TOASTed value (the 25–30 KiB state, rewritten by every action) with pglz unless told
# otherwise; lz4 compresses as well here and took the UPDATE + COMMIT of a 22 KiB state from 1.0 to 0.4 ms
# (server CPU each completion pays). Only where the server was built with lz4 (PostgreSQL ≥ 14 lists it in
# default_toast_compression's values); SQLite has no such setting. Migration a7d3e5f1b9c2 sets it on existing databases.
STATE_LZ4 = """DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE process_instance ALTER COLUMN state SET COMPRESSION lz4;
  END IF;
END $$"""
sa.event.listen(ProcessInstance.__table__, "after_create", sa.DDL(STATE_LZ4).execute_if(dialect="postgresql"))

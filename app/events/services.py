"""The one place that writes the event log and the operations log.

Rows are hash-chained: each row's hash covers its content and the previous row's hash, so an
altered, inserted or deleted row breaks the chain at that point. An appender first takes the write lock
of the chain's head (the instance row for events, ``lock_chain_head`` for the operations log), so two
concurrent requests never build on the same previous hash: the chain stays linear under any number of
servers and threads.
"""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request

from app.db_setup import PIPELINED
from app.events.models import ChainHead, Event, OperationLog
from app.extensions import db
from app.timeutil import utcnow
from app.vocab.actions import Action


def canonical(obj) -> str:
    """Stable JSON text for hashing: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_payload(event) -> dict:
    """The fields of an event (an ``Event`` row, a ``NewEvent``, anything with its attributes) that its hash covers."""
    return {
        "instance_id": event.instance_id, "seq": event.seq, "actor_id": event.actor_id,
        "actor_name": event.actor_name, "role": event.role, "org_id": event.org_id,
        "action": event.action, "task_name": event.task_name, "task_pass": event.task_pass,
        "data": event.data, "attachments": event.attachments,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
    }


def compute_hash(payload: dict, prev_hash: str) -> str:
    """sha256 over the previous hash and the canonical payload."""
    return hashlib.sha256((prev_hash + "\n" + canonical(payload)).encode()).hexdigest()


OPERATIONS_CHAIN = "operation_log"
# Nothing reads its result (inline: no RETURNING of the new id): inside the runner's pipelined writes it goes out
# without a round trip of its own.
_INSERT_EVENT = sa.insert(Event.__table__).inline().execution_options(**PIPELINED)
_EVENT_COLUMNS = [c.name for c in Event.__table__.columns if c.name != "id"]


def lock_chain_head(table, key_column, key) -> int:
    """Write the head row ``key`` of a chain (a no-op UPDATE) so this transaction holds its lock until it ends.

    On PostgreSQL that is the row lock (a second appender waits for the first to commit, then reads the
    committed previous hash); on SQLite it is the database write lock, taken before the previous hash is read.
    Returns the number of rows written (0 if the head row does not exist).
    """
    return db.session.execute(sa.update(table).where(key_column == key).values({key_column.name: key_column})
                              ).rowcount


@dataclass(slots=True)
class NewEvent:
    """An event row built and hashed but not yet written: the columns of ``Event`` as plain values (building an
    ORM object cost more than the Core insert that writes it; ``event_payload`` reads either)."""
    instance_id: int
    seq: int
    action: str
    created_at: datetime
    prev_hash: str
    task_name: str = ""
    task_pass: int = 0
    actor_id: int | None = None
    actor_name: str = ""
    role: str = ""
    org_id: int | None = None
    data: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)
    hash: str = ""


def chained_event(instance_id: int, actor, action: str, *, after: tuple[int, str] = (0, ""), task_name: str = "",
                  task_pass: int = 0, data: dict | None = None, attachments: list | None = None,
                  created_at=None) -> NewEvent:
    """The next event of an instance's chain, hashed after ``after`` (the chain's last seq and hash); not written.

    The instance row holds its chain's end (``last_seq``, ``last_hash``), read with the row: the one caller,
    the runner (app/workflow/runner.py), writes the new end with the state in the UPDATE that takes the
    instance's version lock and then inserts the event (``insert_events``), so two appenders never build on
    the same end (the second finds the version moved on) and no append reads the log. ``action`` must be
    declared (app/vocab), as the vocabulary guard checks on an ``Event`` object."""
    Action.require(action, "event action")
    seq, prev_hash = after
    # The hash covers what event_payload reads, so verification recomputes it from the stored row.
    event = NewEvent(
        instance_id=instance_id, seq=seq + 1, action=action, task_name=task_name, task_pass=task_pass,
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "name", "") or "",
        role=getattr(actor, "role", "") or "", org_id=getattr(actor, "org_id", None),
        data=data or {}, attachments=attachments or [], created_at=created_at or utcnow(), prev_hash=prev_hash)
    event.hash = compute_hash(event_payload(event), prev_hash)
    return event


def first_events(actor, events: list[tuple[int, dict]]) -> list[NewEvent]:
    """The first event of each of many new instances ((instance id, event dict with action, task_name,
    task_pass, data, attachments) each), hashed as ``chained_event`` hashes one; not written."""
    now = utcnow()
    return [chained_event(instance_id, actor, event["action"], task_name=event["task_name"],
                          task_pass=event["task_pass"], data=event["data"], attachments=event["attachments"],
                          created_at=now)
            for instance_id, event in events]


def insert_events(events: list[NewEvent]) -> None:
    """Write events built by ``chained_event`` in one statement (Core, not the ORM's unit of work, which
    cost more than the statement); nothing enters the session."""
    if events:
        # On the session's connection: a Core statement needs none of Session.execute's ORM dispatch.
        db.session.connection().execute(_INSERT_EVENT, [{name: getattr(event, name) for name in _EVENT_COLUMNS}
                                                        for event in events])


def operation_payload(row: OperationLog) -> dict:
    """The fields of an operations-log row that its hash covers."""
    return {
        "actor_id": row.actor_id, "actor_name": row.actor_name, "role": row.role,
        "org_path": row.org_path, "action": row.action, "target": row.target,
        "detail": row.detail, "ip": row.ip,
        "created_at": row.created_at.isoformat(timespec="microseconds"),
    }


def log_operation(actor, action: str, target: str = "", detail: dict | None = None) -> OperationLog:
    """Append one row to the operations log (logins, accounts, deployments, exports ...)."""
    if not lock_chain_head(ChainHead.__table__, ChainHead.__table__.c.name, OPERATIONS_CHAIN):
        db.session.add(ChainHead(name=OPERATIONS_CHAIN))
    # Rows this transaction added before are flushed, so the previous hash read below includes them.
    db.session.flush()
    prev_hash = db.session.scalar(
        sa.select(OperationLog.hash).order_by(OperationLog.id.desc()).limit(1)) or ""
    org = getattr(actor, "org", None)
    row = OperationLog(
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "name", "") or "",
        role=getattr(actor, "role", "") or "", org_path=getattr(org, "path", "") or "",
        action=action, target=target, detail=detail or {},
        ip=(request.remote_addr or "") if has_request_context() else "",
        created_at=utcnow(), prev_hash=prev_hash)
    row.hash = compute_hash(operation_payload(row), prev_hash)
    db.session.add(row)
    return row

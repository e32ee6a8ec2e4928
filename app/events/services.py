"""The one place that writes the event log and the operations log.

Rows are hash-chained: each row's hash covers its content and the previous row's hash, so an
altered, inserted or deleted row breaks the chain at that point. An appender first takes the write lock
of the chain's head row (``lock_chain_head``), so two concurrent requests never read the same previous
hash: the chain stays linear under any number of servers and threads.
"""
import hashlib
import json

import sqlalchemy as sa
from flask import has_request_context, request

from app.events.models import ChainHead, Event, OperationLog
from app.extensions import db
from app.timeutil import utcnow


def canonical(obj) -> str:
    """Stable JSON text for hashing: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_payload(event: Event) -> dict:
    """The fields of an event that its hash covers."""
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
# The end of an instance's chain, read by every action (built once: no statement and cache key per call).
_CHAIN_END = (sa.select(Event.seq, Event.hash).where(Event.instance_id == sa.bindparam("instance_id"))
              .order_by(Event.seq.desc()).limit(1))
_INSERT_EVENT = sa.insert(Event.__table__)
_EVENT_COLUMNS = [c.name for c in Event.__table__.columns if c.name != "id"]


def lock_chain_head(table, key_column, key) -> int:
    """Write the head row ``key`` of a chain (a no-op UPDATE) so this transaction holds its lock until it ends.

    On PostgreSQL that is the row lock (a second appender waits for the first to commit, then reads the
    committed previous hash); on SQLite it is the database write lock, taken before the previous hash is read.
    Returns the number of rows written (0 if the head row does not exist).
    """
    return db.session.execute(sa.update(table).where(key_column == key).values({key_column.name: key_column})
                              ).rowcount


def append_event(instance_id: int, actor, action: str, *, task_name: str = "", task_pass: int = 0,
                 data: dict | None = None, attachments: list | None = None) -> Event:
    """Append one event to an instance's chain.

    The instance row is the head of its chain: the one caller, the runner (app/workflow/runner.py), has
    already written it under its version lock, so no second appender can read the same previous event.
    The row goes out at once as one Core INSERT (the ORM's unit of work cost more than the statement); the
    Event returned carries what was written (not its id) and is not in the session. Building it still runs
    the vocabulary guard on ``action``."""
    last = db.session.execute(_CHAIN_END, {"instance_id": instance_id}).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, "")
    event = _hashed_event(instance_id, seq, prev_hash, actor, utcnow(), action=action, task_name=task_name,
                          task_pass=task_pass, data=data, attachments=attachments)
    db.session.execute(_INSERT_EVENT, _row(event))
    return event


def append_first_events(actor, events: list[tuple[int, dict]]) -> None:
    """Append the first event of each of many new instances ((instance id, event dict with action, task_name,
    task_pass, data, attachments) each) in one executemany: the batch form of ``append_event`` for instances
    this transaction just opened, whose chains are empty (seq 1, no previous hash)."""
    now = utcnow()
    rows = [_row(_hashed_event(instance_id, 1, "", actor, now, action=event["action"],
                               task_name=event["task_name"], task_pass=event["task_pass"], data=event["data"],
                               attachments=event["attachments"]))
            for instance_id, event in events]
    if rows:
        db.session.execute(_INSERT_EVENT, rows)


def _hashed_event(instance_id: int, seq: int, prev_hash: str, actor, created_at, *, action: str,
                  task_name: str, task_pass: int, data: dict | None, attachments: list | None) -> Event:
    # Building the Event runs the vocabulary guard on ``action``; the hash covers what event_payload reads,
    # so verification recomputes the same hash from the stored row.
    event = Event(
        instance_id=instance_id, seq=seq, action=action, task_name=task_name, task_pass=task_pass,
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "name", "") or "",
        role=getattr(actor, "role", "") or "", org_id=getattr(actor, "org_id", None),
        data=data or {}, attachments=attachments or [], created_at=created_at, prev_hash=prev_hash)
    event.hash = compute_hash(event_payload(event), prev_hash)
    return event


def _row(event: Event) -> dict:
    return {name: getattr(event, name) for name in _EVENT_COLUMNS}


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

"""Failure counters that hold under concurrency: an attempt is counted before it is evaluated.

``claim_attempt`` is one conditional ``UPDATE … SET n = n + 1 WHERE id = :id AND n < :limit RETURNING n``:
the database serialises concurrent claims on the row (row lock on PostgreSQL, the write lock on SQLite), so
of any number of parallel guesses at most ``limit`` get a slot and are evaluated; the rest are refused
unseen. A read-modify-write in Python would let every parallel request read the same count.
"""
import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key

from app.extensions import db


def claim_attempt(counter, row_id: int, limit: int, *conditions, values: dict | None = None) -> int | None:
    """Count one attempt on the row ``row_id`` of ``counter``'s table if fewer than ``limit`` are counted
    and ``conditions`` hold; returns the new count, or None when no attempt is left.

    ``values`` are further columns to set in the same statement (they see the row's old values).
    """
    model = counter.class_
    stmt = (sa.update(model).where(model.id == row_id, counter < limit, *conditions)
            .values({counter: counter + 1, **(values or {})}).returning(counter))
    # No ORM synchronisation: it could hand back the value of an object already loaded in the session
    # instead of the row's new count. Loaded objects are expired, so they read the row again.
    count = db.session.execute(stmt, execution_options={"synchronize_session": False}).scalar()
    expire_loaded(model, row_id)
    return count


def update_row(model, row_id: int, *conditions, **values) -> int:
    """One UPDATE of the row ``row_id`` where ``conditions`` hold; returns the number of rows written."""
    stmt = sa.update(model).where(model.id == row_id, *conditions).values(**values)
    written = db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount
    expire_loaded(model, row_id)
    return written


def expire_loaded(model, row_id: int) -> None:
    """Make the session's copy of a row (if it holds one) read the row again on next access."""
    obj = db.session.identity_map.get(identity_key(model, row_id))
    if obj is not None:
        db.session.expire(obj)

"""Failure counters that hold under concurrency: an attempt is counted before it is evaluated.

``claim_attempt`` is one conditional ``UPDATE … SET n = n + 1 WHERE id = :id AND n < :limit RETURNING n``:
the database serialises concurrent claims on the row (row lock on PostgreSQL, the write lock on SQLite), so
of any number of parallel guesses at most ``limit`` get a slot and are evaluated; the rest are refused
unseen. A read-modify-write in Python would let every parallel request read the same count.
"""
import sqlalchemy as sa

from app.extensions import db


def claim_attempt(counter, row_id: int, limit: int, *conditions, values: dict | None = None) -> int | None:
    """Count one attempt on the row ``row_id`` of ``counter``'s table if fewer than ``limit`` are counted
    and ``conditions`` hold; returns the new count, or None when no attempt is left.

    ``values`` are further columns to set in the same statement (they see the row's old values).
    """
    model = counter.class_
    stmt = (sa.update(model).where(model.id == row_id, counter < limit, *conditions)
            .values({counter: counter + 1, **(values or {})}).returning(counter))
    return db.session.execute(stmt, execution_options={"synchronize_session": "fetch"}).scalar()

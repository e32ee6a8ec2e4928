"""The one transaction boundary of a request.

Views and endpoints validate and call services; services add and flush, never commit. When the
response is ready, this module commits once if it is a success (status < 400, redirects included)
and rolls back otherwise, so a refused or failed request leaves nothing behind. A request whose
writes must outlive its own refusal (a failed-login counter, a security log row) says so with
``keep_on_error()``. A view that refuses one action but still answers normally (a flash and a
redirect, one item of a batch) runs the action inside ``attempt()``: a savepoint whose writes are undone
when the action raises, leaving the rest of the request's transaction alone. A commit that loses a race
(the version lock, a unique key) answers 409 "已被他人处理" instead of a 500.
"""
from contextlib import contextmanager

from flask import Flask, g, jsonify, render_template
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.db_setup import in_transaction
from app.extensions import db

CONFLICT_MESSAGE = "已被他人处理"


def keep_on_error() -> None:
    """Commit this request's writes even though its response will be an error (4xx)."""
    g._tx_keep_on_error = True


@contextmanager
def attempt():
    """Run one action in a savepoint: if it raises, its writes are undone and the exception goes on."""
    if _nothing_written_yet():
        # Nothing of this request is in the database or pending in the session (PostgreSQL: lazy BEGIN in
        # app/db_setup.py; SQLite: pysqlite has not begun a transaction): undoing the action is undoing the whole
        # transaction, which saves the SAVEPOINT and RELEASE of every completion. SQLite still takes its write
        # lock first (_begin_outer), as the savepoint path does.
        _begin_outer()
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        return
    _begin_outer()
    with db.session.begin_nested():
        yield


def _nothing_written_yet() -> bool:
    session = db.session
    if session.new or session.deleted or session.dirty:
        return False
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # pysqlite begins a transaction before the first write only: none open means nothing written.
        return not connection.connection.dbapi_connection.in_transaction
    return not in_transaction(connection)


def begin_write() -> None:
    """Hold the write lock from here to the commit (SQLite: BEGIN IMMEDIATE; PostgreSQL locks rows, no-op), so
    a check-then-write of this request cannot interleave with another writer's."""
    _begin_outer()


def _begin_outer() -> None:
    # pysqlite opens a transaction only before an INSERT/UPDATE/DELETE, so a SAVEPOINT issued first
    # would itself start the transaction and its RELEASE would commit it. Beginning explicitly keeps
    # the savepoint nested; IMMEDIATE takes the write lock now, so reads inside the action are not a
    # snapshot that another writer could invalidate before the action writes.
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def conflict_response():
    """The answer to a lost race: 409 with ``{"error": "已被他人处理"}`` for the API, a page otherwise."""
    from app.errors import wants_json
    if wants_json():
        return jsonify(error=CONFLICT_MESSAGE), 409
    return render_template("error.html", code=409, message=CONFLICT_MESSAGE + "，请刷新后查看最新状态"), 409


def finish(response):
    """Commit or roll back the request's transaction according to its response."""
    keep = g.pop("_tx_keep_on_error", False)
    if response.status_code >= 400 and not keep:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        # A refusal whose kept writes lost a race still answers as refused; anything else lost the race.
        return response if keep else conflict_response()
    except OperationalError as exc:
        db.session.rollback()
        # SQLite answers a writer that waited past its busy timeout with "database is locked": the
        # other request won the race.
        if "locked" in str(exc).lower():
            return conflict_response()
        raise
    return response


def init_app(app: Flask) -> None:
    """Register the commit-once boundary on ``app``."""
    app.after_request(finish)

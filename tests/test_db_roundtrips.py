"""Round trips per request on PostgreSQL (app/db_setup.py, lazy BEGIN): a page that only reads opens no
transaction, so the driver sends no BEGIN and the boundary's commit sends no COMMIT; a request that writes does
all its writes in one transaction, begun with its first write and committed once."""
import logging
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.db_setup import PIPELINED, pipelined_writes
from app.extensions import db
from app.people.models import Person
from app.workflow import simulate
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import csrf_token, login

_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')
# libpq's PQTransactionStatus, the same numbers in psycopg2 and psycopg 3 (ACTIVE: a pipelined statement is still
# in flight, its reply not yet read).
IDLE, ACTIVE, INTRANS = 0, 1, 2


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no round trips")


class Watch:
    """Every statement the engine sends, with the connection's transaction status after it, and the
    transaction status at each COMMIT / ROLLBACK the app asks for (IDLE there: nothing goes to the server)."""

    def __init__(self):
        self.statements, self.ends = [], []

    def __enter__(self):
        sa.event.listen(db.engine, "after_cursor_execute", self._after)
        sa.event.listen(db.engine, "commit", self._commit)
        sa.event.listen(db.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "after_cursor_execute", self._after)
        sa.event.remove(db.engine, "commit", self._commit)
        sa.event.remove(db.engine, "rollback", self._rollback)

    @staticmethod
    def _status(conn):
        return int(conn.connection.dbapi_connection.info.transaction_status)

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement.split(None, 1)[0].upper(), self._status(conn)))

    def _commit(self, conn):
        self.ends.append(("COMMIT", self._status(conn)))

    def _rollback(self, conn):
        self.ends.append(("ROLLBACK", self._status(conn)))


def _person_at_step_6(demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1)
    simulate.advance(person, actors, until_step=6)
    db.session.commit()
    return person.id


def test_a_page_that_only_reads_sends_no_begin_and_no_commit(postgresql, app, demo, actors):
    person_id = _person_at_step_6(demo, actors)
    client = app.test_client()
    login(client, actors["branch_admin"])
    db.session.remove()
    with Watch() as watch:
        response = client.get(f"/process/{person_id}/steps/6")
    assert response.status_code == 200
    assert watch.statements and {kind for kind, _ in watch.statements} == {"SELECT"}
    # Not one statement ran inside a transaction, and the boundary's commit found none to end.
    assert {status for _, status in watch.statements} == {IDLE}
    assert all(status == IDLE for _, status in watch.ends)


def test_a_completion_writes_in_one_transaction_begun_by_its_first_write(postgresql, app, demo, actors):
    person_id = _person_at_step_6(demo, actors)
    branch = actors["branch_admin"]
    client = app.test_client()
    login(client, branch)
    url = f"/process/{person_id}/steps/6"
    form = to_formdata(get_form_class("step06_activist_training"),
                       simulate.sample("step06_activist_training", simulate.stored_sample_file(branch)))
    form.update(dict(_HIDDEN.findall(client.get(url).get_data(as_text=True))))
    form.update({"csrf_token": csrf_token(client, url), "action": "report"})
    before = db.session.get(Person, person_id).review_status
    db.session.remove()
    with Watch() as watch:
        response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    kinds = [kind for kind, _ in watch.statements]
    first_write = next(i for i, kind in enumerate(kinds) if kind != "SELECT")
    # Reads before the first write ran on their own; from the first write on, one transaction to the commit.
    assert {status for _, status in watch.statements[:first_write]} <= {IDLE}
    assert INTRANS in {status for _, status in watch.statements[first_write:]}
    assert {status for _, status in watch.statements[first_write:]} <= {INTRANS, ACTIVE}
    if db.engine.dialect.driver == "psycopg":
        # psycopg 3: the event and the projections' rows went out without waiting (app/db_setup.py).
        assert [kind for kind, status in watch.statements if status == ACTIVE].count("INSERT") >= 2
    assert {"INSERT", "UPDATE"} <= set(kinds[first_write:]) and "SAVEPOINT" not in kinds   # attempt(): none needed
    assert [end for end in watch.ends if end[1] != IDLE] == [("COMMIT", INTRANS)]
    assert db.session.get(Person, person_id).review_status != before


def test_a_savepoint_or_a_lock_opens_the_transaction_too(postgresql, app):
    with db.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        conn.execute(sa.text("SELECT 1"))
        assert int(dbapi.info.transaction_status) == IDLE
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(42)))
        # The lock is held to the end of a transaction, not released after its own statement.
        assert int(dbapi.info.transaction_status) == INTRANS
        conn.rollback()
    with db.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        with conn.begin_nested():
            assert int(dbapi.info.transaction_status) == INTRANS
        conn.rollback()
    # A server-side cursor (yield_per, stream_results) lives in a transaction: psycopg2 refuses one without.
    with db.engine.connect() as conn:
        rows = conn.execution_options(stream_results=True).execute(sa.text("SELECT generate_series(1, 5)"))
        assert len(rows.all()) == 5
        assert int(conn.connection.dbapi_connection.info.transaction_status) == INTRANS
    # A connection asked for autocommit stays in autocommit for writes (CREATE DATABASE cannot run in a block).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE lazy_probe (x int)"))
        assert int(conn.connection.dbapi_connection.info.transaction_status) == IDLE


def test_pipelined_writes_wait_only_for_the_replies_that_are_read(postgresql, app, caplog):
    """Inside ``pipelined_writes`` a statement marked PIPELINED does not wait for its reply (its error shows at
    the next statement that waits, as SQLAlchemy's IntegrityError); an unmarked one reads its true row count;
    and a failure leaves nothing written."""
    with db.engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE pipe_probe (id int PRIMARY KEY, n int)"))
        conn.commit()
    try:
        with db.engine.connect() as conn:
            insert = sa.text("INSERT INTO pipe_probe VALUES (:id, 0)")
            with pipelined_writes(conn):
                conn.execute(insert, {"id": 1}, execution_options=PIPELINED)
                conn.execute(insert, {"id": 2}, execution_options=PIPELINED)
                assert conn.execute(sa.text("UPDATE pipe_probe SET n = n + 1")).rowcount == 2
                assert conn.execute(sa.text("UPDATE pipe_probe SET n = 1 WHERE id = 9")).rowcount == 0
            conn.commit()
            assert conn.execute(sa.text("SELECT sum(n) FROM pipe_probe")).scalar() == 2
            pipelined = hasattr(conn.connection.dbapi_connection, "pipeline")
            with pytest.raises(IntegrityError):
                with pipelined_writes(conn):
                    conn.execute(insert, {"id": 3}, execution_options=PIPELINED)
                    try:
                        conn.execute(insert, {"id": 1}, execution_options=PIPELINED)   # taken
                    except IntegrityError:
                        assert not pipelined, "a pipelined statement waited for its reply"
                        raise
                    conn.execute(sa.text("SELECT 1"))   # waits: the duplicate's error comes with this reply
            conn.rollback()
            # The error was the block's last reply: raised on leaving it, as SQLAlchemy raises it.
            with pytest.raises(IntegrityError):
                with pipelined_writes(conn):
                    conn.execute(insert, {"id": 4}, execution_options=PIPELINED)
                    conn.execute(insert, {"id": 2}, execution_options=PIPELINED)
            conn.rollback()
            assert conn.execute(sa.text("SELECT id FROM pipe_probe ORDER BY id")).scalars().all() == [1, 2]
            # The error is raised once, as itself: no warning about the statements the server skipped after it.
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.records
    finally:
        with db.engine.connect() as conn:
            conn.execute(sa.text("DROP TABLE pipe_probe"))
            conn.commit()

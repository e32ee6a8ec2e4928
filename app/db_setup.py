"""Connection settings per database engine, and the upsert statement both engines share."""
import re
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers work while one request writes, and synchronous=NORMAL drops an fsync per
    # commit (still durable across application crashes); busy_timeout makes a second writer wait
    # instead of failing at once; foreign keys are off by default in SQLite.
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@sa.event.listens_for(Engine, "connect")
def _postgresql_settings(dbapi_connection, connection_record):
    # No JIT compilation: the app's statements are short, and a plan whose estimated cost is high (a probe per
    # person in 综合查询, 数据统计 over a province) spent more time compiling (100–300 ms) than running.
    if not _is_psycopg(dbapi_connection):
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True   # a SET outside any transaction, so the pool gets the connection idle
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def _is_psycopg(dbapi_connection) -> bool:
    # psycopg 3 ("psycopg") and psycopg2 ("psycopg2.extensions") share what is used here: autocommit and
    # info.transaction_status.
    return type(dbapi_connection).__module__.startswith("psycopg")


# Lazy BEGIN on PostgreSQL. The drivers send BEGIN before the first statement of a connection that is not in
# autocommit, and SQLAlchemy COMMITs (or the pool ROLLs BACK) at the end: two round trips for a page that only
# reads. Instead a connection checked out of the pool runs in autocommit until the first statement that needs a
# transaction (a write, a lock, a savepoint, a server-side cursor); only then does the driver send BEGIN, and
# the rest of the checkout (the request) is that one transaction, committed or rolled back by app/transaction.py
# as before. Reads before the first write lose nothing: at READ COMMITTED (the app's level) every statement
# takes its own snapshot inside a transaction too, and before the first write there are no own changes or
# locks to see. A connection checked out in autocommit on purpose (isolation_level="AUTOCOMMIT") is left alone.
_LAZY = "lazy_begin"


@sa.event.listens_for(Pool, "checkout")
def _autocommit_until_write(dbapi_connection, connection_record, connection_proxy):
    if _is_psycopg(dbapi_connection) and not dbapi_connection.autocommit:
        dbapi_connection.autocommit = True
        connection_record.info[_LAZY] = True
    else:
        connection_record.info.pop(_LAZY, None)


@sa.event.listens_for(Pool, "checkin")
def _restore_transactions(dbapi_connection, connection_record):
    # The pool hands the connection to other code too (Alembic, a job's engine.begin()): give it back as it was.
    if connection_record.info.pop(_LAZY, False) and dbapi_connection is not None and not dbapi_connection.closed:
        dbapi_connection.autocommit = False


@sa.event.listens_for(Engine, "before_cursor_execute")
def _begin_before_writing(conn, cursor, statement, parameters, context, executemany):
    if not conn.connection.info.get(_LAZY):
        return
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.autocommit or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    if _needs_transaction(statement) or getattr(context, "_is_server_side", False):
        dbapi_connection.autocommit = False   # the driver sends BEGIN with this statement


def in_transaction(conn: sa.Connection) -> bool:
    """Whether ``conn`` may hold uncommitted writes: always on SQLite and for a connection that is not lazy,
    else whether its first write has begun the transaction."""
    return not conn.connection.info.get(_LAZY) or not conn.connection.dbapi_connection.autocommit


# Pipelined writes on PostgreSQL (psycopg 3). Outside the block every statement waits for its reply: a round trip
# each, about half a millisecond on this machine even where the server spends a tenth of that on it. Inside
# ``pipelined_writes`` a statement executed with the option ``PIPELINED`` goes out without waiting, and its reply
# is collected with the next one that is waited for: the caller promises not to read its rows or row count (a
# plain INSERT, UPDATE or upsert of a projection). Every other statement waits as it would outside, so a
# version check's row count, a RETURNING or an ORM flush read what they always read. An error of a pipelined
# statement is raised by the next wait, as the same SQLAlchemy exception (IntegrityError …), and the transaction
# is rolled back as after any failed statement. Elsewhere (SQLite, psycopg2) the block changes nothing.
PIPELINED = {"pipelined": True}
_PIPELINE = "pipeline"


@contextmanager
def pipelined_writes(connection: sa.Connection):
    """Run the block's statements marked ``PIPELINED`` without a round trip each (see above)."""
    dbapi_connection = connection.connection.dbapi_connection
    if not hasattr(dbapi_connection, "pipeline") or connection.info.get(_PIPELINE) is not None:
        yield
        return
    if connection.connection.info.get(_LAZY) and dbapi_connection.autocommit:
        # Begun now, client-side only: BEGIN then goes out with the block's first statement instead of on its
        # own (psycopg would wait for a sync to switch it inside the pipeline).
        dbapi_connection.autocommit = False
    raised = None
    try:
        with dbapi_connection.pipeline() as pipeline:
            connection.info[_PIPELINE] = pipeline
            try:
                yield
            except BaseException as exc:   # re-raised below, once psycopg has left pipeline mode
                raised = exc
            finally:
                del connection.info[_PIPELINE]
    except connection.dialect.loaded_dbapi.Error as exc:
        if raised is None:
            # Collected on leaving the block, outside any SQLAlchemy call: raised as SQLAlchemy would raise it.
            raise sa.exc.DBAPIError.instance(None, None, exc, connection.dialect.loaded_dbapi.Error) from exc
        # Else the statements after the block's own error were skipped (PipelineAborted): that error stands,
        # and psycopg logs no "error ignored" warning for each lost race.
    if raised is not None:
        raise raised


@sa.event.listens_for(Engine, "after_cursor_execute")
def _wait_unless_pipelined(conn, cursor, statement, parameters, context, executemany):
    pipeline = conn.info.get(_PIPELINE)
    if pipeline is not None and not (context is not None and context.execution_options.get("pipelined")):
        pipeline.sync()   # this statement's reply (and those before it) before the caller reads it


_READ_ONLY = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)
# A SELECT that locks, or calls a function with an effect, belongs in the transaction too.
_SELECT_EFFECTS = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|advisory|nextval\s*\(|"
                             r"setval\s*\(|pg_notify|set_config", re.IGNORECASE)


# Decided once per statement text: SQLAlchemy hands over the same compiled string object every time, whose hash
# Python keeps, so a hit is a dict lookup, where the two regular expressions scanned every long SELECT of every
# request (3 % of a completion's CPU, sampled). Bounded: texts that vary (expanding IN lists) push old ones out.
@lru_cache(maxsize=1024)
def _needs_transaction(statement: str) -> bool:
    return not _READ_ONLY.match(statement) or bool(_SELECT_EFFECTS.search(statement))


def upsert(table: sa.Table, columns: tuple[str, ...], key: tuple[str, ...],
           update: tuple[str, ...] = (), *, when_changed: tuple[str, ...] = (),
           returning: str | None = None) -> sa.TextClause:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET col = excluded.col`` for ``update`` (``DO NOTHING`` when
    empty), with a typed bind parameter per column; execute it with a dict (or a list of dicts) keyed by
    ``columns`` (the table's scalar column defaults fill the other columns). SQLite and PostgreSQL spell the upsert the same way. A text statement rather than the
    dialects' ``insert().on_conflict_…()``: those have no cache key, so SQLAlchemy compiled them again on
    every execution (about a millisecond each on the completion path); this one is built once per shape and
    its compiled form is cached like any other statement. ``when_changed``: update only where one of these
    columns differs from the stored row (JSON compared as its text, which PostgreSQL can compare; SQLite
    ≥ 3.39 for IS DISTINCT FROM); ``returning``: a column the statement returns, from the row inserted or
    updated (no row when the stored one was left as it was)."""
    return _upsert(table.name, tuple(columns), tuple(key), tuple(update), tuple(when_changed), returning)


def _differs(table: sa.Table, name: str) -> str:
    column = table.c[name]
    if isinstance(column.type, sa.JSON):
        return f"CAST({table.name}.{column.name} AS TEXT) IS DISTINCT FROM CAST(excluded.{column.name} AS TEXT)"
    return f"{table.name}.{column.name} IS DISTINCT FROM excluded.{column.name}"


@lru_cache(maxsize=128)
def _upsert(name: str, columns: tuple, key: tuple, update: tuple, when_changed: tuple = (),
            returning: str | None = None) -> sa.TextClause:
    from app.extensions import db
    table = db.metadata.tables[name]
    cols = [table.c[c] for c in columns]   # KeyError for a name the table has not: never user input
    # The column defaults an ORM or Core insert would fill in, as bind parameters holding their value.
    defaults = [c for c in table.c if c.name not in columns and c.default is not None and c.default.is_scalar]
    binds = [sa.bindparam(c.name, type_=c.type) for c in cols]
    binds += [sa.bindparam(c.name, c.default.arg, type_=c.type) for c in defaults]
    cols += defaults
    target = ", ".join(table.c[c].name for c in key)
    action = (f"DO UPDATE SET {', '.join(f'{table.c[c].name} = excluded.{table.c[c].name}' for c in update)}"
              if update else "DO NOTHING")
    if update and when_changed:
        action += " WHERE " + " OR ".join(_differs(table, c) for c in when_changed)
    sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in cols)}) "
           f"VALUES ({', '.join(':' + c.name for c in cols)}) ON CONFLICT ({target}) {action}")
    if returning:
        sql += f" RETURNING {table.c[returning].name}"
    return sa.text(sql).bindparams(*binds)


def update_where(table: sa.Table, columns: tuple[str, ...], key: tuple[str, ...]) -> sa.Update:
    """``UPDATE table SET col = :v_col … WHERE k = :k_k …``, built once per shape; execute it with a dict
    holding ``v_<column>`` for each of ``columns`` and ``k_<column>`` for each of ``key``. On the completion
    path a fresh ``update().values(row)`` spent more time turning a dozen Python values into SQL literals
    than the database spent on the statement."""
    return _update_where(table.name, tuple(columns), tuple(key))


@lru_cache(maxsize=128)
def _update_where(name: str, columns: tuple, key: tuple) -> sa.Update:
    from app.extensions import db
    table = db.metadata.tables[name]
    return (sa.update(table).where(*[table.c[k] == sa.bindparam(f"k_{k}") for k in key])
            .values({table.c[c]: sa.bindparam(f"v_{c}", type_=table.c[c].type) for c in columns}))

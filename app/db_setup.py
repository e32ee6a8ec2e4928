"""Connection settings per database engine, and the upsert statement both engines share."""
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine


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
    if not type(dbapi_connection).__module__.startswith("psycopg2"):
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True   # a SET outside any transaction, so the pool gets the connection idle
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def upsert(table: sa.Table, columns: tuple[str, ...], key: tuple[str, ...],
           update: tuple[str, ...] = ()) -> sa.TextClause:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET col = excluded.col`` for ``update`` (``DO NOTHING`` when
    empty), with a typed bind parameter per column; execute it with a dict (or a list of dicts) keyed by
    ``columns`` (the table's scalar column defaults fill the other columns). SQLite and PostgreSQL spell the upsert the same way. A text statement rather than the
    dialects' ``insert().on_conflict_…()``: those have no cache key, so SQLAlchemy compiled them again on
    every execution (about a millisecond each on the completion path); this one is built once per shape and
    its compiled form is cached like any other statement."""
    return _upsert(table.name, tuple(columns), tuple(key), tuple(update))


@lru_cache(maxsize=128)
def _upsert(name: str, columns: tuple, key: tuple, update: tuple) -> sa.TextClause:
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
    sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in cols)}) "
           f"VALUES ({', '.join(':' + c.name for c in cols)}) ON CONFLICT ({target}) {action}")
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

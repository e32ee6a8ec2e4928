"""Connection settings per database engine."""
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


def dialect_insert(table):
    """An INSERT for the session's database that offers ``on_conflict_do_update``/``…_nothing`` (SQLite and
    PostgreSQL spell the upsert the same way, but each dialect has its own construct)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)

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


def dialect_insert(table):
    """An INSERT for the session's database that offers ``on_conflict_do_update``/``…_nothing`` (SQLite and
    PostgreSQL spell the upsert the same way, but each dialect has its own construct)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)

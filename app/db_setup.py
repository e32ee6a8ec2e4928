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

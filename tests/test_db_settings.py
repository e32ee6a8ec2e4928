"""Connection settings per database (app/db_setup.py)."""
import pytest
import sqlalchemy as sa

from app.extensions import db


def test_postgresql_connections_compile_no_jit(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SHOW jit")) == "off"
        # The SET ran outside a transaction: the pooled connection is not left inside one.
        assert conn.scalar(sa.text("SELECT 1")) == 1
    assert db.session.scalar(sa.text("SHOW jit")) == "off"


def test_sqlite_connections_enforce_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.scalar(sa.text("PRAGMA foreign_keys")) == 1

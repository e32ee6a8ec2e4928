"""Migrations: `flask db upgrade` on an empty database builds every table of the models, there is one head,
downgrade to base works, and the models have not drifted from the migrations (autogenerate finds nothing).
Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (a brand-new database per test)."""
import logging.config
import pprint

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db


@pytest.fixture
def migrated_app(empty_database_url, tmp_path, monkeypatch):
    """An app whose empty database has been brought to head by `flask db upgrade`."""
    # migrations/env.py calls logging.config.fileConfig(alembic.ini), which disables every logger that already
    # exists in this worker process and would break caplog in later tests: keep logging as it is.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": empty_database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    })
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == [], "the database is not empty"
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_builds_every_table(migrated_app):
    missing = sorted(set(db.metadata.tables) - _tables())
    assert not missing, f"`flask db upgrade` does not create these model tables: {missing}"


def test_single_head(migrated_app):
    script = ScriptDirectory.from_config(migrated_app.extensions["migrate"].migrate.get_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: run `flask db merge heads`"


def test_downgrade_to_base_and_up_again(migrated_app):
    at_head = _tables()
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}, f"left after downgrade to base: {sorted(_tables())}"
    upgrade()
    assert _tables() == at_head


def _describe(diff) -> str:
    # compare_metadata yields ("add_table", Table), ("remove_column", schema, table, Column), ... and, for column
    # changes, lists of ("modify_type", schema, table, column, info, old, new) tuples.
    if isinstance(diff, list):
        return "\n".join(_describe(d) for d in diff)
    kind, *rest = diff
    parts = []
    for item in rest:
        if isinstance(item, sa.Table):
            parts.append(f"table {item.name}")
        elif isinstance(item, sa.Column):
            parts.append(f"column {item.table.name if item.table is not None else '?'}.{item.name} {item.type}")
        elif isinstance(item, (sa.Index, sa.UniqueConstraint, sa.ForeignKeyConstraint)):
            cols = [c.name for c in item.columns] if hasattr(item, "columns") else []
            parts.append(f"{type(item).__name__} {item.name} on {item.table.name}{cols}")
        elif isinstance(item, str):
            parts.append(item)
        elif item is not None and item != {}:
            parts.append(pprint.pformat(item, width=200))
    return f"  {kind}: " + ", ".join(parts)


def test_models_match_migrations(migrated_app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    if diff:
        pytest.fail(f"the models differ from migrations/ ({db.engine.dialect.name}); "
                    "generate a migration with `flask db migrate -m '...'` and review it:\n"
                    + "\n".join(_describe(d) for d in diff), pytrace=False)


_COMPRESSION = sa.text("SELECT attcompression FROM pg_attribute "
                       "WHERE attrelid = 'process_instance'::regclass AND attname = 'state'")
_HAS_LZ4 = sa.text("SELECT count(*) FROM pg_settings "
                   "WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)")


def _state_compression() -> str:
    with db.engine.connect() as conn:
        if not conn.scalar(_HAS_LZ4):
            pytest.skip("this PostgreSQL server was built without lz4")
        return conn.scalar(_COMPRESSION)


def test_the_workflow_state_is_compressed_with_lz4_on_postgresql(migrated_app):
    """Every action rewrites the instance's 25–30 KiB state: lz4 (``l``) rather than the server's default (blank,
    pglz), whether the schema came from the migrations or from create_all (tests, benchmarks)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL column setting")
    assert _state_compression() == "l"
    downgrade(revision="c5e1a9d7f3b8")
    assert _state_compression() == ""
    downgrade(revision="base")
    db.metadata.drop_all(db.engine)
    db.create_all()
    assert _state_compression() == "l"

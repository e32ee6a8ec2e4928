"""A test's database, ready in milliseconds instead of a second.

Two starting points are built once per pytest worker, through the app's own code: ``base`` (the schema and the
bundled diagrams, what ``app`` gives) and ``demo`` (the same plus the demo organisations and accounts, what the
``demo`` fixture adds). Every test then starts from a copy:

- SQLite: each starting point is a file; the test's own database is a copy of it.
- PostgreSQL: the worker's database keeps its tables; each starting point is a copy of every table's rows in a
  schema of its own (``baseline_base``, ``baseline_demo``), and one DO block empties every table, copies the
  starting point's rows back and sets each sequence where it stood, so ids start where a fresh build's would.

Building the schema and the demo for every test cost about 1 s on PostgreSQL (create_all 0.43 s, drop_all 0.1 s,
the demo's 30 flushes 0.3 s) and 0.25 s on SQLite (create_all, the diagrams, the demo): on PostgreSQL that was most of the suite's time.
"""
import os
import shutil

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app import create_app
from app.auth.models import User
from app.extensions import db
from app.orgs.models import Organisation
from app.seed import DEMO_ACCOUNTS, build_tree, create_demo_accounts
from app.workflow.versions import load_bundled_diagrams


def build_demo():
    """The demo tree and accounts, created through the services: (orgs by key, users by role and by key:role)."""
    orgs = build_tree()
    users = {}
    for user, (_, _, role, key) in zip(create_demo_accounts(orgs), DEMO_ACCOUNTS):
        users.setdefault(role, user)
        users[key + ":" + role] = user
    return orgs, users


class Baselines:
    """The worker's starting points; ``prepare(url, kind)`` makes the database at ``url`` hold one of them."""

    def __init__(self, folder, database_url: str | None, config: dict):
        self.folder, self.database_url, self.config = folder, database_url, config
        self.demo_ids = None   # ({org key: id}, {user key: id}) of the demo as built
        self._restore = {}     # PostgreSQL: kind -> the DO block that puts it back

    def prepare(self, url: str, kind: str) -> None:
        """Before a test: the database at ``url`` holds the starting point ``kind`` and nothing else."""
        if self.demo_ids is None:
            self._build()
        if self.database_url:
            with sa.create_engine(url, poolclass=NullPool).begin() as conn:
                conn.exec_driver_sql(self._restore[kind])
        else:
            shutil.copyfile(self._file(kind), sa.make_url(url).database)

    def _file(self, kind: str) -> str:
        return os.path.join(self.folder, f"{kind}.sqlite3")

    def _build(self) -> None:
        url = self.database_url or f"sqlite:///{self._file('build')}"
        app = create_app({**self.config, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            if self.database_url:
                db.drop_all()
            db.create_all()
            load_bundled_diagrams()
            db.session.commit()
            self._keep(app, "base")
            orgs, users = build_demo()
            db.session.commit()
            self.demo_ids = ({k: o.id for k, o in orgs.items()}, {k: u.id for k, u in users.items()})
            self._keep(app, "demo")
            db.session.remove()
            db.engine.dispose()

    def _keep(self, app, kind: str) -> None:
        # Remember the database as it stands now as the starting point ``kind``.
        if not self.database_url:
            db.session.remove()
            db.engine.dispose()   # the last connection's close folds the WAL into the file
            assert not os.path.exists(self._file("build") + "-wal")
            shutil.copyfile(self._file("build"), self._file(kind))
            return
        tables = [t.name for t in db.metadata.sorted_tables]
        schema = f"baseline_{kind}"
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            filled = []
            for name in tables:
                conn.exec_driver_sql(f'CREATE TABLE "{schema}"."{name}" AS TABLE public."{name}"')
                if conn.exec_driver_sql(f'SELECT EXISTS (SELECT FROM "{schema}"."{name}")').scalar():
                    filled.append(name)
            sequences = conn.exec_driver_sql(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'").all()
        statements = [f'DELETE FROM public."{name}";' for name in reversed(tables)]
        statements += [f'INSERT INTO public."{name}" SELECT * FROM "{schema}"."{name}";' for name in filled]
        statements += [f"PERFORM setval('public.\"{seq}\"', {value}, true);" if value is not None
                       else f"PERFORM setval('public.\"{seq}\"', 1, false);" for seq, value in sequences]
        self._restore[kind] = "DO $$ BEGIN " + " ".join(statements) + " END $$"


def demo_world(baselines: Baselines):
    """The demo's (orgs, users) by key, loaded from the database a test started from the ``demo`` point."""
    org_ids, user_ids = baselines.demo_ids
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(org_ids.values())))}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(user_ids.values())))}
    return {k: orgs[i] for k, i in org_ids.items()}, {k: users[i] for k, i in user_ids.items()}

"""A serving process's collector (``app.server_gc``, called by wsgi.py): what exists when the app is built is
frozen out of later collections; the young generations keep CPython's thresholds."""
import gc
import os
import subprocess
import sys

import pytest

from app import server_gc


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freeze_moves_what_exists_out_of_the_collector(unfrozen):
    thresholds = gc.get_threshold()
    server_gc.freeze_startup_objects(True)
    assert gc.get_freeze_count() > 1000          # the app, SQLAlchemy's metadata, the test's own modules
    assert gc.get_threshold() == thresholds


def test_off_changes_nothing(unfrozen):
    server_gc.freeze_startup_objects(False)
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("setting, frozen", [("1", "True"), ("0", "False")])
def test_wsgi_entry_point_follows_the_setting(tmp_path, setting, frozen):
    # The production entry point in a process of its own, as gunicorn imports it.
    code = "import gc, wsgi; print(gc.get_freeze_count() > 0, wsgi.app.config['GC_FREEZE'])"
    env = {"GC_FREEZE": setting, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.split() == [frozen, frozen]

"""A serving process's collector (``app.server_gc``, called by wsgi.py): what exists when the app is built is
frozen out of later collections, and the young generation is collected every GC_THRESHOLD allocations."""
import gc
import os
import subprocess
import sys

import pytest

from app import server_gc


@pytest.fixture
def restored_gc():
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_tune_freezes_what_exists_and_raises_the_young_threshold(restored_gc):
    gc.unfreeze()
    _, middle, old = gc.get_threshold()
    server_gc.tune(20000)
    assert gc.get_freeze_count() > 1000          # the app, SQLAlchemy's metadata, the test's own modules
    assert gc.get_threshold() == (20000, middle, old)


def test_zero_keeps_cpython_defaults(restored_gc):
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    server_gc.tune(0)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == (700, 10, 10)


def test_wsgi_entry_point_tunes_from_the_setting(tmp_path):
    # The production entry point in a process of its own, as gunicorn imports it.
    code = ("import gc, wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0, "
            "wsgi.app.config['GC_THRESHOLD'])")
    env = {"GC_THRESHOLD": "12345", "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.split() == ["12345", "True", "12345"]

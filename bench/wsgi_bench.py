"""The benchmark's app for gunicorn (``bench/run.py --http`` and ``bench/throughput.py`` start it): the settings
of run.make_app, the database and temp folder from BENCH_DB_URL / BENCH_TMP. With BENCH_PROFILE set to a
folder, each worker thread profiles the app's requests (cProfile on the thread's CPU clock, so waits for the
database and the socket are left out) and writes worker-<pid>-<thread>.pstats there when the worker exits."""
import atexit
import cProfile
import os
import threading
import time

import run
from app import server_gc

app = run.make_app(os.environ["BENCH_TMP"], os.environ.get("BENCH_DB_URL") or None)
server_gc.freeze_startup_objects(app.config["GC_FREEZE"])   # as wsgi.py does

if os.environ.get("BENCH_PROFILE"):
    _profiles = {}
    _inner = app.wsgi_app

    def _profiled(environ, start_response):
        # One profiler per worker thread (cProfile profiles the thread that enables it), created after the fork.
        key = (os.getpid(), threading.get_ident())
        prof = _profiles.get(key)
        if prof is None:
            prof = _profiles[key] = cProfile.Profile(time.thread_time)
            atexit.register(prof.dump_stats, os.path.join(os.environ["BENCH_PROFILE"], "worker-%d-%d.pstats" % key))
        prof.enable()
        try:
            return _inner(environ, start_response)
        finally:
            prof.disable()

    app.wsgi_app = _profiled

if os.environ.get("BENCH_APP_CPU"):
    # Experiment: CPU inside the app (thread clock) per worker, written at exit, to compare with the
    # worker's whole CPU (what gunicorn itself costs around the app).
    _acc = {"cpu": 0.0, "n": 0}
    _lock = threading.Lock()
    _inner2 = app.wsgi_app

    def _timed(environ, start_response):
        t0 = time.thread_time()
        try:
            return _inner2(environ, start_response)
        finally:
            with _lock:
                _acc["cpu"] += time.thread_time() - t0
                _acc["n"] += 1

    def _dump():
        with open(os.path.join(os.environ["BENCH_APP_CPU"], "app-cpu-%d" % os.getpid()), "w") as fh:
            fh.write("%f %d %f\n" % (_acc["cpu"], _acc["n"], time.process_time()))
    atexit.register(_dump)
    app.wsgi_app = _timed

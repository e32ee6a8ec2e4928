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

app = run.make_app(os.environ["BENCH_TMP"], os.environ.get("BENCH_DB_URL") or None)

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

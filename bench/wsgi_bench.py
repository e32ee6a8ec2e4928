"""The benchmark's app for gunicorn (``bench/run.py --http`` and ``bench/throughput.py`` start it): the settings
of run.make_app, the database and temp folder from BENCH_DB_URL / BENCH_TMP. With BENCH_PROFILE set to a
folder, each worker profiles the app's requests (cProfile) and writes worker-<pid>.pstats there when it exits."""
import atexit
import cProfile
import os

import run

app = run.make_app(os.environ["BENCH_TMP"], os.environ.get("BENCH_DB_URL") or None)

if os.environ.get("BENCH_PROFILE"):
    _profiles = {}
    _inner = app.wsgi_app

    def _profiled(environ, start_response):
        # One profiler per worker process, created after the fork (gunicorn imports this module in the worker).
        prof = _profiles.get(os.getpid())
        if prof is None:
            prof = _profiles[os.getpid()] = cProfile.Profile()
            atexit.register(prof.dump_stats, os.path.join(os.environ["BENCH_PROFILE"], f"worker-{os.getpid()}.pstats"))
        prof.enable()
        try:
            return _inner(environ, start_response)
        finally:
            prof.disable()

    app.wsgi_app = _profiled

"""The benchmark's app for gunicorn (``bench/run.py --http`` starts it): the settings of run.make_app, the
database and temp folder from BENCH_DB_URL / BENCH_TMP."""
import os

import run

app = run.make_app(os.environ["BENCH_TMP"], os.environ.get("BENCH_DB_URL") or None)

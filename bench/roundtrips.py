#!/usr/bin/env python
"""Benchmark: the statements PostgreSQL receives per request of a completion, counted in the server's own log.

    .venv/bin/python bench/roundtrips.py [--persons 300] [--completions 20] [--warmup 6]

A throwaway cluster (scripts/pg_test.sh; PG_DRIVER=psycopg2 for the older driver), seeded as
bench/throughput.py does (``--persons`` spread over every position, ``--completions`` + ``--warmup`` persons
waiting at the first task after the application in branch1). The branch admin, logged in through the Flask test
client, completes them one after the other: GET the step page, POST the form, GET the page the redirect names.
The first ``--warmup`` completions are not counted (a connection prepares a statement after psycopg's
``prepare_threshold`` executions). With ``log_statement = 'all'`` switched on for the measured ones, every
statement the server is sent is a line of its log (one round trip each: psycopg 3 sends Parse/Bind/Execute of
a statement together); reported per request: statements by their first word (BEGIN, COMMIT, SELECT, …), and
how many ran a server-side prepared statement (``execute _pg3_…``); and the CPU time per completion of this
process (app and test client) and of PostgreSQL (postmaster and children, /proc). ``--no-lazy-begin`` turns
app/db_setup.py's lazy BEGIN off, to compare.
"""
import argparse
import collections
import os
import re
import shutil
import sys
import tempfile
import time

from sqlalchemy import event as sa_event

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run  # noqa: E402  (bench/run.py: seeding, HTTP client helpers)
import throughput  # noqa: E402  (its world: persons waiting at one edit task, the form a completion posts)

_LINE = re.compile(r"LOG:\s+(statement|execute ([^:]*)):\s*(\w+)")


class ServerLog:
    """The cluster's log file (pg_test.sh writes it next to the data folder), read from a remembered offset."""

    def __init__(self, url):
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool
        # A connection of its own: psycopg forgets a connection's prepared statements after ALTER SYSTEM.
        with sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool).connect() as conn:
            conn.execute(sa.text("ALTER SYSTEM SET log_statement = 'all'"))
            conn.execute(sa.text("SELECT pg_reload_conf()"))
            data = conn.scalar(sa.text("SHOW data_directory"))
        self.path = os.path.join(os.path.dirname(data), "server.log")
        self.offset = os.path.getsize(self.path)

    def since(self) -> list[tuple[str, bool]]:
        """(first word, prepared?) of each statement logged since the last call."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
            self.offset = f.tell()
        return [(m.group(3).upper(), (m.group(2) or "").startswith("_pg3"))
                for m in _LINE.finditer(text)]


def complete(client, person_id, step, form):
    """GET the step page, POST the form, GET the page after the redirect; yields after each request."""
    url, _, token, hidden = run.prepare_post(client, person_id, step)
    yield "GET step page"
    r = client.post(url, data=dict(form, csrf_token=token, **hidden))
    if r.status_code != 303:
        raise SystemExit(f"POST {url}: {r.status_code}")
    yield "POST"
    page = client.get(r.headers["Location"])
    if page.status_code != 200:
        raise SystemExit(f"GET after the POST: {page.status_code}")
    yield "GET after the redirect"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=300)
    parser.add_argument("--completions", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=6)
    parser.add_argument("--no-lazy-begin", action="store_true", help="every checkout in a transaction, as before "
                        "app/db_setup.py's lazy BEGIN (to compare)")
    args = parser.parse_args(argv)
    if args.no_lazy_begin:
        from sqlalchemy.pool import Pool
        from app import db_setup
        sa_event.remove(Pool, "checkout", db_setup._autocommit_until_write)
    args.db = "postgresql"
    db_url = run.database_url(args, argv)
    measured, warmup = args.completions, args.warmup
    args.completions = measured + warmup
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-roundtrips-")
    try:
        app = run.make_app(tmp, db_url)
        with app.app_context():
            ids, step, form, username, password, _ = throughput.prepare(args)
            client = app.test_client()
            run.login(client, username, password)
            for pid in ids[:warmup]:
                list(complete(client, pid, step, form))
            postmaster = throughput.postmaster_pid(db_url)
            log = ServerLog(db_url)
            log.since()
            counts = collections.defaultdict(collections.Counter)
            prepared = collections.Counter()
            app_cpu, database_cpu = 0.0, 0.0
            for pid in ids[warmup:]:
                before = time.process_time(), run.tree_cpu_seconds(postmaster)
                for label in complete(client, pid, step, form):
                    app_cpu += time.process_time() - before[0]
                    database_cpu += run.tree_cpu_seconds(postmaster) - before[1]
                    for word, is_prepared in log.since():
                        counts[label][word] += 1
                        prepared[label] += is_prepared
                    before = time.process_time(), run.tree_cpu_seconds(postmaster)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    driver = db_url.split("://", 1)[0]
    print(f"\n{driver}; statements PostgreSQL received per request, mean of {measured} completions")
    total = 0.0
    for label, words in counts.items():
        n = sum(words.values()) / measured
        total += n
        detail = ", ".join(f"{w} {c / measured:.1f}" for w, c in words.most_common())
        print(f"| {label} | {n:.1f} | {detail} | prepared {prepared[label] / measured:.1f} |")
    print(f"| completion (3 requests) | {total:.1f} | | |")
    print(f"CPU per completion: app (in-process, test client included) {app_cpu / measured * 1000:.1f} ms, "
          f"PostgreSQL {database_cpu / measured * 1000:.1f} ms; load average {os.getloadavg()[0]:.2f}"
          f"{'; lazy BEGIN off' if args.no_lazy_begin else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
how many ran a server-side prepared statement (``execute _pg3_…``).
"""
import argparse
import collections
import os
import re
import shutil
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run  # noqa: E402  (bench/run.py: seeding, HTTP client helpers)
import throughput  # noqa: E402  (its world: persons waiting at one edit task, the form a completion posts)

_LINE = re.compile(r"LOG:\s+(statement|execute ([^:]*)):\s*(\w+)")


class ServerLog:
    """The cluster's log file (pg_test.sh writes it next to the data folder), read from a remembered offset."""

    def __init__(self, engine):
        import sqlalchemy as sa
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
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
    args = parser.parse_args(argv)
    args.db = "postgresql"
    db_url = run.database_url(args, argv)
    measured, warmup = args.completions, args.warmup
    args.completions = measured + warmup
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-roundtrips-")
    try:
        app = run.make_app(tmp, db_url)
        with app.app_context():
            ids, step, form, username, password, _ = throughput.prepare(args)
            from app.extensions import db
            client = app.test_client()
            run.login(client, username, password)
            for pid in ids[:warmup]:
                list(complete(client, pid, step, form))
            log = ServerLog(db.engine)
            log.since()
            counts = collections.defaultdict(collections.Counter)
            prepared = collections.Counter()
            for pid in ids[warmup:]:
                for label in complete(client, pid, step, form):
                    for word, is_prepared in log.since():
                        counts[label][word] += 1
                        prepared[label] += is_prepared
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark: completions per second on PostgreSQL through gunicorn, with concurrent clients.

    .venv/bin/python bench/throughput.py [--clients 4] [--workers 3] [--completions 2000] [--persons 10000]
                                         [--worker-class gthread] [--threads 1]
                                         [--gunicorn "--worker-connections=2"] [--profile DIR]

A throwaway PostgreSQL cluster (scripts/pg_test.sh with PG_DURABLE=1: fsync and synchronous_commit on, as in
production; TEST_DATABASE_URL when set), seeded as bench/run.py
does (``run.seed_world``: ``--persons`` spread over every position, with person_field and check_fact), plus
``--completions`` persons waiting at the first task after the application (its edit task; a branch admin's
work) in branch1. gunicorn is started by the bench on a free port (``--workers``, ``--worker-class``,
``--threads``, any other options in ``--gunicorn``; bench/wsgi_bench.py). ``--clients`` threads, each its own logged-in session of the branch admin
over a keep-alive socket, take the waiting persons from one queue; a completion is what a user does: GET the
step page, POST the form (303 expected). Reported: completions per second over the run (wall clock from the
first GET to the last answer), latency of a completion (GET + POST) median and p95, of the POST alone,
errors (any answer other than 200 / 303, or an exception), the load average, the machine probe (a fixed
pure-Python loop timed before the run: this machine's speed moves by 2 x within a day), and the CPU time per completion
of the gunicorn processes (and how it split between them), of PostgreSQL (the postmaster and its children, from /proc) and of the client
(``http.client``, keep-alive where the server keeps the socket), counted over the timed completions only (not
the workers' start or the clients' logins). PG_DRIVER=psycopg2 runs it on the older driver.
Target of issue 16 on this machine: >= 200 completions/s with 4 clients, p95 < 50 ms, zero errors.
"""
import argparse
import os
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
import timeit

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run  # noqa: E402  (bench/run.py: seeding, gunicorn, HTTP client)

TARGET_RATE, TARGET_P95_MS = 200.0, 50.0


def prepare(args):
    """Inside an app context: the seeded world, the waiting persons, the form a completion posts."""
    from app.extensions import db
    from app.seed import DEMO_PASSWORD
    from app.timeutil import utcnow
    from app.workflow import simulate
    from app.workflow.services import step_catalogue
    from forms import get_form_class
    from forms.codec import to_formdata

    world = run.seed_world(args.persons)
    position = world.order[1]   # the first task after the application (an edit task of the branch)
    t = world.templates[position]
    branch1 = next(b for b in world.branches if b.id == world.orgs["branch1"].id)
    ids = run.seed_persons(world.templates, world.order, world.branches, args.persons, args.completions,
                           world.first + args.persons, utcnow(), branch_override=branch1, only_position=position)
    run.after_seeding()
    reviewed = {s.name for s in step_catalogue(t.instance["process_version_id"]) if s.review_name}
    form = to_formdata(get_form_class(t.task.form_key), simulate.sample(t.task.form_key, world.sha))
    form["action"] = "report" if position in reviewed else "submit"
    username = world.users["branch1:branch_admin"].username
    db.session.remove()
    db.engine.dispose()
    return ids, t.task.step, form, username, DEMO_PASSWORD, position


def machine_probe_ms() -> float:
    """The machine's speed now: the best of 5 runs of a fixed pure-Python loop, ms. This machine's speed moves
    by 2 x within a day, so a throughput figure means something only beside the probe of the same run."""
    return min(timeit.repeat("sum(i * i for i in range(10 ** 6))", number=1, repeat=5)) * 1000


def postmaster_pid(db_url: str) -> int:
    """The pid of the PostgreSQL server (the parent of this connection's backend; the cluster runs here)."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool
    with sa.create_engine(db_url, poolclass=NullPool).connect() as conn:
        backend = conn.scalar(sa.text("SELECT pg_backend_pid()"))
        with open(f"/proc/{backend}/stat") as f:   # while the backend exists
            return int(f.read().rsplit(")", 1)[1].split()[1])


def connect(base, username, password, clients) -> list:
    """``clients`` logged-in sessions of the branch admin (the gunicorn workers load the app meanwhile)."""
    sessions = []
    for _ in range(clients):
        c = run.HttpClient(base)
        run.login(c, username, password)
        sessions.append(c)
    return sessions


def settle(server, quiet=0.01, timeout=30.0) -> None:
    """Wait until the gunicorn processes are idle (every worker has loaded the app): at most ``quiet`` CPU
    seconds in 0.2 s."""
    deadline = time.time() + timeout
    before = server.cpu_seconds()
    while time.time() < deadline:
        time.sleep(0.2)
        now = server.cpu_seconds()
        if now - before < quiet:
            return
        before = now


def drive(sessions, ids, step, form):
    """One thread per session completing the persons of ``ids``; returns (seconds, samples, errors)."""
    todo = queue.Queue()
    for pid in ids:
        todo.put(pid)
    clients = len(sessions)
    samples, errors, lock = [], [], threading.Lock()
    start = threading.Barrier(clients + 1)

    def work(client):
        start.wait()
        while True:
            try:
                pid = todo.get_nowait()
            except queue.Empty:
                return
            t0 = time.perf_counter()
            try:
                url, _, token, hidden = run.prepare_post(client, pid, step)
                data = dict(form, csrf_token=token, **hidden)
                t1 = time.perf_counter()
                r = client.post(url, data=data)
                t2 = time.perf_counter()
                ok = r.status_code == 303
            except (SystemExit, Exception) as exc:   # noqa: BLE001 - every failure counts as an error
                with lock:
                    errors.append(f"{pid}: {exc}")
                continue
            with lock:
                if ok:
                    samples.append(((t2 - t0) * 1000.0, (t2 - t1) * 1000.0))
                else:
                    errors.append(f"{pid}: POST {r.status_code}")

    threads = [threading.Thread(target=work, args=(c,)) for c in sessions]
    for th in threads:
        th.start()
    start.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    return time.perf_counter() - t0, samples, errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    # One thread per worker and at most two connections each: the 4 clients' kept-alive connections spread evenly
    # (with -w 2 --threads 2 one worker served all four in 3 of 11 runs on 2026-12-02, and 94 % in a fourth).
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--completions", type=int, default=2000)
    parser.add_argument("--persons", type=int, default=10000)
    parser.add_argument("--gunicorn", default="--worker-connections=2", metavar="ARGS",
                        help="further gunicorn options, replacing the default (one string, split on spaces)")
    parser.add_argument("--profile", metavar="DIR", help="each gunicorn worker writes a cProfile of its requests "
                        "to DIR/worker-<pid>.pstats")
    args = parser.parse_args(argv)
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        os.environ["BENCH_PROFILE"] = os.path.abspath(args.profile)
    args.db = "postgresql"
    # A cluster as durable as production (fsync, synchronous_commit on): each completion's COMMIT waits for
    # its WAL flush, as it would there.
    os.environ.setdefault("PG_DURABLE", "1")
    db_url = run.database_url(args, argv)
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-throughput-")
    try:
        app = run.make_app(tmp, db_url)
        t0 = time.perf_counter()
        with app.app_context():
            ids, step, form, username, password, position = prepare(args)
        print(f"setup {time.perf_counter() - t0:.0f}s: {args.persons:,} persons + {len(ids):,} waiting at "
              f"{position}", flush=True)
        probe = machine_probe_ms()
        load_before = os.getloadavg()
        with run.Gunicorn(tmp, db_url, workers=args.workers, worker_class=args.worker_class,
                          threads=args.threads, extra=args.gunicorn.split()) as server:
            postmaster = postmaster_pid(db_url)
            # Every worker has loaded the app before the clients connect: a kept-alive connection stays on
            # the worker that accepted it, and a worker still starting accepts none.
            settle(server)
            sessions = connect(server.base, username, password, args.clients)
            # CPU counted from here: the workers' start (imports, create_app) and the logins are not completions.
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            split = run.process_cpu_seconds(server.proc.pid)
            database_cpu = run.tree_cpu_seconds(postmaster)
            seconds, samples, errors = drive(sessions, ids, step, form)
            server_cpu, client_cpu = server.cpu_seconds() - server_cpu, time.process_time() - client_cpu
            split = {pid: cpu - split.get(pid, 0.0) for pid, cpu in run.process_cpu_seconds(server.proc.pid).items()}
            # Before gunicorn stops: its connections' backends still exist, so their CPU time still counts.
            database_cpu = run.tree_cpu_seconds(postmaster) - database_cpu
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    whole = [s[0] for s in samples]
    posts = [s[1] for s in samples]
    rate = len(samples) / seconds
    print(f"\ngunicorn -w {args.workers} -k {args.worker_class} --threads {args.threads} {args.gunicorn}; "
          f"{args.clients} clients; "
          f"{len(samples):,} completions in {seconds:.1f}s; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f}; {os.cpu_count()} CPUs; machine probe {probe:.0f} ms "
          f"(best of 5 pure-Python loops before the run; lower is faster)")
    print(f"| completions/s | {rate:8.1f} | target >= {TARGET_RATE:.0f} | {'ok' if rate >= TARGET_RATE else 'MISSED'} |")
    if samples:
        p95 = run.percentile(whole, 0.95)
        print(f"| GET + POST ms, median / p95 | {statistics.median(whole):.1f} / {p95:.1f} | p95 < {TARGET_P95_MS:.0f} "
              f"| {'ok' if p95 < TARGET_P95_MS else 'MISSED'} |")
        print(f"| POST ms, median / p95 | {statistics.median(posts):.1f} / {run.percentile(posts, 0.95):.1f} | | |")
    print(f"| errors | {len(errors)} | 0 | {'ok' if not errors else 'MISSED'} |")
    n = max(len(samples), 1)
    print(f"CPU per completion: gunicorn workers {server_cpu / n * 1000:.1f} ms, PostgreSQL {database_cpu / n * 1000:.1f} ms "
          f"(postmaster and its children), this client {client_cpu / n * 1000:.1f} ms; "
          f"driver {db_url.split('://', 1)[0]}")
    busy = sum(split.values()) or 1.0
    print("CPU by gunicorn process (kept-alive connections stay on the worker that accepted them): "
          + ", ".join(f"{cpu / busy * 100:.0f} %" for cpu in sorted(split.values(), reverse=True)))
    for e in errors[:10]:
        print("  ", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark: how many instances per second the auditor's verification checks, on one core and on all.

    .venv/bin/python bench/verify_rate.py [--persons 2000] [--verify 1000] [--processes N] [--profile]

Seeds a fresh SQLite database exactly as bench/run.py does (its seeding code is imported): the demo tree
plus 200 branches, one template person walked through the real services to each of the 32 task
positions, and ``--persons`` copies spread over those positions (each copy with its own hash chain and
data). Then, in this one process (one core), ``app.audit.verify.verify_instances`` runs over the first
``--verify`` instances — the same function ``flask audit verify`` and the audit pages call: hash chains,
the diagram's checksum, the replay of every event through the runner's handlers compared with the stored
state, and the cited files' bytes — and the rate is printed. Then the same instances are verified again
as the 核验 job does, by ``--processes`` forked workers (default: the cores, as VERIFY_PROCESSES), and that
wall-clock rate is printed with the time a county of 100,000 persons would take at it. It fails (exit 1) if
any finding is reported, since the seeded data are sound, or if the two reports differ. Copies at a late
position carry up to about 40 events, at an early one a few; the spread over positions is even, as in run.py.
"""
import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run as seeding  # noqa: E402  (bench/run.py: the shared seeding code)

TARGET_PER_SECOND = 50.0
COUNTY = 100_000


def seed(tmp: str, persons: int):
    """A seeded app (bench/run.py's ``seed_world``); returns the app."""
    from app.extensions import db
    app = seeding.make_app(tmp)
    with app.app_context():
        seeding.seed_world(persons)
        db.session.remove()
    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--verify", type=int, default=1000, help="how many instances to verify")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="forked workers for the parallel run (VERIFY_PROCESSES)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing of the serial run")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="dangyuan-verify-")
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp) -> int:
    import sqlalchemy as sa
    from app.audit import verify
    from app.extensions import db
    from app.workflow.models import ProcessInstance

    t0 = time.perf_counter()
    app = seed(tmp, args.persons)
    print(f"seeded {args.persons} persons in {time.perf_counter() - t0:.1f}s", flush=True)
    with app.app_context():
        ids = list(db.session.scalars(sa.select(ProcessInstance.id).order_by(ProcessInstance.id)
                                      .limit(args.verify)))
        verify.verify_instances(ids[:20])          # warm-up: diagram parsed, code paths hot
        prof = cProfile.Profile() if args.profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if prof:
            prof.enable()
        report = verify.verify_instances(ids)
        if prof:
            prof.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        load_serial = os.getloadavg()
        wall0, children0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        parallel = verify.verify_instances(ids, processes=args.processes)
        wall_parallel = time.perf_counter() - wall0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, reaped when the pool closed
        cpu_parallel = (children.ru_utime + children.ru_stime) - (children0.ru_utime + children0.ru_stime)
        db.session.remove()
    load = os.getloadavg()
    print(f"verified {report.instances} instances, {report.events} events, {report.files} file citations")
    print(f"serial (one process): {wall:.2f}s wall, {cpu:.2f}s CPU: {report.instances / wall:.1f} instances/s "
          f"(wall), {report.instances / cpu:.1f} instances/s per CPU-second; target ≥ {TARGET_PER_SECOND:.0f}/s "
          f"per core; load average {load_serial[0]:.2f} {load_serial[1]:.2f}")
    rate = parallel.instances / wall_parallel
    print(f"parallel ({args.processes} processes, {os.cpu_count()} cores): {wall_parallel:.2f}s wall, "
          f"{cpu_parallel:.2f}s CPU in the workers: {rate:.1f} instances/s (wall), "
          f"{parallel.instances / max(cpu_parallel, 1e-9):.1f} per worker CPU-second; "
          f"load average {load[0]:.2f} {load[1]:.2f}")
    print(f"a county of {COUNTY:,} persons: {COUNTY / report.instances * wall / 60:.1f} min serial, "
          f"{COUNTY / rate / 60:.1f} min parallel (target < 30 min)")
    if parallel != report:
        print("the parallel report differs from the serial one: verification is wrong")
        return 1
    if prof:
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    if report.findings:
        for finding in report.findings[:20]:
            print(finding.line())
        print(f"{len(report.findings)} findings on sound data: verification is wrong")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark: the onboarding import (数据导入) of N persons already in the pipeline, dry run and import.

    .venv/bin/python bench/onboard.py [--rows 10000] [--db-url postgresql://…] [--profile] [--processes 2]

1. A fresh database (SQLite file in a temp dir, or --db-url): the bundled diagram and the demo tree plus 200
   branches (bench/run.py's ``build_world``).
2. N rows through the template (app/onboarding/samples.py: the forms' sample data in the template's columns),
   spread evenly over the steps after 递交入党申请书 and over the branches, each with its own name and ID number.
3. Times, in this process, ``checker.check`` (the dry run: read, step forms, the diagram in memory) and
   ``services.import_checked`` + commit (one ``import`` event per person through the runner), as the worker's
   job runs them; prints rows/s of each and of the whole, and the 1-minute load average before and after.
4. Checks a sample of the imported instances with the auditor's verification (replay = stored state).
"""
import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run as seeding  # noqa: E402  (bench/run.py: the shared seeding code)

TARGET_SECONDS_PER_10K = 60.0


def rows_for(version_id: int, count: int, branches) -> list[dict]:
    """``count`` filled rows: steps after the application in turn, branches in turn, unique identities."""
    from app.onboarding import samples
    from app.workflow.services import step_catalogue
    steps = [s.step for s in step_catalogue(version_id)][1:]
    rows = []
    for i in range(count):
        id_number, birth_date = seeding.identity(i)   # the birth date the ID number encodes (checked on import)
        branch = branches[i % len(branches)]
        rows.append(samples.sample_values(version_id, steps[i % len(steps)], str(branch.id),
                                          name=seeding.person_name(i), id_number=id_number,
                                          birth_date=birth_date))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="forked workers checking rows (the app's ONBOARDING_PROCESSES)")
    parser.add_argument("--verify", type=int, default=200, help="imported instances to verify afterwards")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-onboard-")
    try:
        app = seeding.make_app(tmp, args.db_url)
        with app.app_context():
            return run(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args) -> int:
    import sqlalchemy as sa
    from app.audit.verify import verify_instance
    from app.extensions import db
    from app.onboarding import checker, samples, services
    from app.people.models import Person
    from app.workflow.versions import DEVELOPMENT, active_version

    if args.db_url:
        db.drop_all()
    _, users, branches = seeding.build_world()
    actor = users["county:county_admin"]
    version = active_version(DEVELOPMENT)
    started = time.perf_counter()
    content = samples.filled_workbook(version.id, rows_for(version.id, args.rows, branches))
    made = time.perf_counter() - started
    print(f"file: {args.rows} rows, {len(content) / 1e6:.1f} MB, written in {made:.1f} s")
    profiler = cProfile.Profile() if args.profile else None
    load_before = os.getloadavg()[0]
    if profiler:
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    report = checker.check(actor, content, processes=args.processes)
    checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    if not report.ok:
        for problem in report.problems[:20]:
            print("problem:", problem)
        return 1
    started, cpu = time.perf_counter(), time.process_time()
    # As the import job does it: the whole check again (the file is never trusted) keeping each row's prepared
    # import event, then the write phase (the runner's batch path) and the commit.
    prepared = checker.check(actor, content, for_import=True, processes=args.processes)
    computed, computed_cpu = time.perf_counter() - started, time.process_time() - cpu
    services.import_checked(actor, prepared, content, "bench.xlsx")
    db.session.commit()
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    written, written_cpu = imported - computed, imported_cpu - computed_cpu
    if profiler:
        profiler.disable()
    load_after = os.getloadavg()[0]
    total = checked + imported
    print(f"database: {db.engine.dialect.name}")
    print(f"dry run : {checked:7.1f} s  {args.rows / checked:7.0f} rows/s  (CPU of this process {checked_cpu:.1f} s)")
    print(f"import  : {imported:7.1f} s  {args.rows / imported:7.0f} rows/s  (CPU of this process "
          f"{imported_cpu:.1f} s)")
    print(f"  check : {computed:7.1f} s  (CPU of this process {computed_cpu:.1f} s; forms and diagram in the workers)")
    print(f"  write : {written:7.1f} s  (CPU {written_cpu:.1f} s, {written_cpu / args.rows * 1000:.2f} ms/row; "
          f"the write lock is held this long)")
    print(f"total   : {total:7.1f} s  {args.rows / total:7.0f} rows/s  "
          f"(10,000 rows in {total * 10000 / args.rows:.0f} s; target {TARGET_SECONDS_PER_10K:.0f} s)")
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after; cores: {os.cpu_count()}")
    instances = db.session.scalars(sa.select(Person.instance_id).order_by(Person.id).limit(args.verify)).all()
    findings = [f for i in instances for f in verify_instance(i)[0]]
    print(f"verified {len(instances)} imported instances: {len(findings)} findings")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

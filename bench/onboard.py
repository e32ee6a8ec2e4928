#!/usr/bin/env python
"""Benchmark: the onboarding import (数据导入) of N persons already in the pipeline, dry run and import.

    .venv/bin/python bench/onboard.py [--rows 10000] [--db-url postgresql://…] [--profile] [--processes 2]

1. A fresh database (SQLite file in a temp dir, or --db-url): the bundled diagram and the demo tree plus 200
   branches (bench/run.py's ``build_world``).
2. N rows through the template (app/onboarding/samples.py: the forms' sample data in the template's columns),
   spread evenly over the steps after 递交入党申请书 and over the branches, each with its own name and ID number.
3. Times, in this process, as the jobs run them: the dry run of the file (``services.dry_run``: read, step
   forms, each row's ``import`` event prepared by the runner's handler in the forked workers, the plan kept),
   the import of that same file after it (``plan_or_check`` takes the plan, then the write phase
   ``services.import_checked`` → ``runner.run_prepared`` and the commit, the only part holding the write
   lock), and the import of a second file of N other persons without a dry run (the check, then the write
   phase). Prints wall time and CPU (this process and the workers) of each, CPU per row of each part (read,
   diagram, forms and the rest, writes), and the 1-minute load average before and after.
4. Checks a sample of the imported instances with the auditor's verification (replay = stored state).
"""
import argparse
import cProfile
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

TARGET_SECONDS_PER_10K = 60.0


def rows_for(version_id: int, count: int, branches, first: int = 0) -> list[dict]:
    """``count`` filled rows: steps after the application in turn, branches in turn, unique identities (from
    person ``first`` on)."""
    from app.onboarding import samples
    from app.workflow.services import step_catalogue
    steps = [s.step for s in step_catalogue(version_id)][1:]
    rows = []
    for i in range(first, first + count):
        id_number, birth_date = seeding.identity(i)   # the birth date the ID number encodes (checked on import)
        branch = branches[i % len(branches)]
        rows.append(samples.sample_values(version_id, steps[i % len(steps)], str(branch.id),
                                          name=seeding.person_name(i), id_number=id_number,
                                          birth_date=birth_date))
    return rows


class Phase:
    """Wall time and CPU time (this process, and the forked workers it waited for) of a block."""

    def __enter__(self):
        self.started, self.own_started = time.perf_counter(), time.process_time()
        self.children_started = _children_cpu()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.started
        self.own = time.process_time() - self.own_started
        self.children = _children_cpu() - self.children_started
        self.cpu = self.own + self.children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_parts(content: bytes, version, report, rows: int, sample: int = 300) -> dict:
    """CPU ms per row of each part of the check, in this process: reading the file, the step forms, the
    diagram (the runner's handler and the serialisation, on a sample of the prepared events)."""
    from app.onboarding import workbook
    from app.workflow import runner
    started = time.process_time()
    workbook.read(content, version.id)
    read = (time.process_time() - started) / rows * 1000
    # Rows come sheet by sheet (stage by stage): an even sample has every step, not only the first stage's.
    events = [p.prepared.event for p in report.planned[::max(1, len(report.planned) // sample)]]

    def load(_):
        return version.bpmn_xml, version.process_id

    started = time.process_time()
    for event in events:
        runner.prepare(event, load)
    diagram = (time.process_time() - started) / len(events) * 1000
    return {"read": read, "diagram": diagram}


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
    from app.onboarding import samples, services
    from app.people.models import Person
    from app.workflow.versions import DEVELOPMENT, active_version

    if args.db_url:
        db.drop_all()
    _, users, branches = seeding.build_world()
    actor = users["county:county_admin"]
    version = active_version(DEVELOPMENT)
    started = time.perf_counter()
    content = samples.filled_workbook(version.id, rows_for(version.id, args.rows, branches))
    other = samples.filled_workbook(version.id, rows_for(version.id, args.rows, branches, first=args.rows))
    made = time.perf_counter() - started
    print(f"files: 2 × {args.rows} rows, {len(content) / 1e6:.1f} MB each, written in {made:.1f} s")
    profiler = cProfile.Profile() if args.profile else None
    load_before = os.getloadavg()[0]
    if profiler:
        profiler.enable()
    with Phase() as dry:
        report = services.dry_run(actor, content, processes=args.processes)
    if not report.ok:
        for problem in report.problems[:20]:
            print("problem:", problem)
        return 1
    db.session.commit()  # the dry run's job ends (it wrote nothing but its plan, beside the jobs' files)
    with Phase() as plan:
        planned = services.plan_or_check(actor, content, processes=args.processes)
    with Phase() as write:
        services.import_checked(actor, planned, content, "bench.xlsx")
        db.session.commit()
    # Without a dry run (an API import, or a plan that no longer holds): the whole check, then the write.
    with Phase() as check:
        prepared = services.plan_or_check(actor, other, processes=args.processes)
    with Phase() as write_other:
        services.import_checked(actor, prepared, other, "bench-2.xlsx")
        db.session.commit()
    if profiler:
        profiler.disable()
    load_after = os.getloadavg()[0]
    if not planned.from_plan or prepared.from_plan:
        print("the import after the dry run did not use its plan, or the other one did")
        return 1
    parts = cpu_parts(content, version, prepared, args.rows)
    # The rest of the import's check: the step forms, handing rows to the workers and results back.
    parts["forms and the rest"] = check.cpu / args.rows * 1000 - parts["read"] - parts["diagram"]
    after_dry, without = plan.wall + write.wall, check.wall + write_other.wall
    print(f"database: {db.engine.dialect.name}; rows: {args.rows}; processes: {args.processes}")
    print(f"dry run              : {dry.wall:7.1f} s  (CPU {dry.cpu:.1f} s: this process {dry.own:.1f}, workers "
          f"{dry.children:.1f}); keeps the plan")
    print(f"import after dry run : {after_dry:7.1f} s  {args.rows / after_dry:6.0f} rows/s  (10,000 rows in "
          f"{after_dry * 10000 / args.rows:.0f} s; target {TARGET_SECONDS_PER_10K:.0f} s)")
    print(f"  plan  : {plan.wall:7.1f} s  (CPU {plan.cpu:.1f} s): the plan read, unsealed, its branches re-scoped")
    print(f"  write : {write.wall:7.1f} s  (CPU {write.cpu:.1f} s, {write.cpu / args.rows * 1000:.2f} ms/row); "
          "the write lock is held this long")
    print(f"import without a dry run: {without:7.1f} s  {args.rows / without:6.0f} rows/s")
    print(f"  check : {check.wall:7.1f} s  (CPU {check.cpu:.1f} s: this process {check.own:.1f}, workers "
          f"{check.children:.1f}); no write lock held")
    print(f"  write : {write_other.wall:7.1f} s  (CPU {write_other.cpu:.1f} s, "
          f"{write_other.cpu / args.rows * 1000:.2f} ms/row)")
    print("CPU per row: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in parts.items())
          + f", writes {write.cpu / args.rows * 1000:.1f} ms")
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after; cores: {os.cpu_count()}")
    instances = db.session.scalars(sa.select(Person.instance_id).order_by(Person.id).limit(args.verify)).all()
    findings = [f for i in instances for f in verify_instance(i)[0]]
    print(f"verified {len(instances)} imported instances: {len(findings)} findings")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

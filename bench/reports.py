#!/usr/bin/env python
"""Benchmark: one statistics view (数据统计) and the full logic-check run (逻辑校验) for a county.

    .venv/bin/python bench/reports.py [--persons 100000] [--repeat 20] [--keep] [--db postgresql]

Seeding is bench/run.py's (``run.seed_world``, imported, not copied): the same world (demo tree plus 200
branches under the county), the same template person walked through the real services to every task
position, the same bulk copies with their check_fact and person_field rows (varied values, see run.py).

Measured through the Flask test client, county admin logged in with the real form, no app context kept:
  - GET /stats/?view=all      全部人员: the count and six GROUP BY charts over every person in the county
  - GET /stats/?view=activist one stage view
  - GET /stats/?view=new&...  新发展党员 in a one-year range
  - GET /checks/              the whole catalogue: counts for the county and for each child organisation
  - GET /checks/R16           the first page of a check's person list
Medians and p90 in ms; targets (SQLite, this 2-core machine): statistics < 300 ms, logic checks < 2 s.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as base  # noqa: E402  (bench/run.py: world, template walk, bulk copies, HTTP helpers)

STATS_TARGET_MS = 300.0
CHECKS_TARGET_MS = 2000.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database) and print its path")
    base.add_database_options(parser)
    args = parser.parse_args(argv)
    db_url = base.database_url(args, argv)
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-reports-")
    try:
        return measure(args, tmp, db_url)
    finally:
        if args.keep:
            print(f"database kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(args, tmp, db_url=None) -> int:
    import sqlalchemy as sa

    from app.checks.models import CheckFact
    from app.extensions import db
    from app.people.models import Person
    from app.seed import DEMO_PASSWORD

    app = base.make_app(tmp, db_url)
    t0 = time.perf_counter()
    with app.app_context():
        world = base.seed_world(args.persons)
        county_admin = world.users["county:county_admin"].username
        branches = world.branches
        persons = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        fact_rows = db.session.scalar(sa.select(sa.func.count()).select_from(CheckFact))
        # 新发展党员 is measured for the year of the sample data's 党委审批 date (every copy past step 17).
        new_year = db.session.scalar(sa.select(sa.func.min(Person.probationary_date))).year
        db.session.remove()
    print(f"setup {time.perf_counter() - t0:.0f}s: {persons:,} persons, {fact_rows:,} check_fact rows, "
          f"{len(branches)} branches", flush=True)

    client = app.test_client()
    base.login(client, county_admin, DEMO_PASSWORD)
    pages = [
        ("GET /stats/?view=all (全部人员, 6 charts)", "/stats/?view=all", STATS_TARGET_MS),
        ("GET /stats/?view=activist (入党积极分子)", "/stats/?view=activist", STATS_TARGET_MS),
        ("GET /stats/?view=new (新发展党员, one year)", f"/stats/?view=new&start={new_year}-01-01&end={new_year}-12-31",
         STATS_TARGET_MS),
        ("GET /stats/export/age.xlsx?view=all", "/stats/export/age.xlsx?view=all", STATS_TARGET_MS),
        ("GET /checks/ (12 checks, county + 22 children)", "/checks/", CHECKS_TARGET_MS),
        ("GET /checks/R16 (person list, page 1)", "/checks/R16", None),
    ]
    load_before = os.getloadavg()[0]
    results = [(label, base.measure_get(client, url, args.repeat), target) for label, url, target in pages]
    load_after = os.getloadavg()[0]
    def counted(url):
        html = client.get(url).get_data(as_text=True)
        return int(base.re.search(r"共 <strong>(\d+)</strong> 人", html).group(1))
    shown = ", ".join(f"{name} {counted(url):,}" for name, (_, url, _) in zip(("全部人员", "入党积极分子", "新发展党员"),
                                                                              pages))
    print(f"\ncounty admin, {persons:,} persons (counted: {shown}), repeat {args.repeat}, "
          f"load average {load_before:.1f} before / {load_after:.1f} after the measurements\n")
    print(f"| {'what (ms)':<50} | {'median':>8} | {'p90':>8} | target |")
    print(f"|{'-' * 52}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    for label, times, target in results:
        med = statistics.median(times)
        verdict = "" if target is None else ("ok" if med < target else "MISSED")
        print(f"| {label:<50} | {med:8.1f} | {base.percentile(times, 0.9):8.1f} | {verdict:<6} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark: one statistics view (数据统计) and the full logic-check run (逻辑校验) for a county.

    .venv/bin/python bench/reports.py [--persons 100000] [--repeat 20] [--keep]

Seeding is bench/run.py's (imported, not copied): the same world (demo tree plus 200 branches under the
county), the same template person walked through the real services to every task position, the same bulk
copies. The one addition: the template's ``check_fact`` row is captured at each position too (by wrapping
run.capture) and copied for each person at that position, with the copy's own birth date, so the facts
match what the procedure would have written for the copy.

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


def capture_with_facts():
    """Wrap run.capture so each captured position also holds the template's check_fact row."""
    original = base.capture

    def capture(person, task):
        from app.extensions import db
        snap = original(person, task)
        rows = base._raw(db.session.connection(), "SELECT * FROM check_fact WHERE person_id = ?", person.id)
        snap["check_fact"] = rows[0] if rows else None
        return snap
    base.capture = capture


def seed_facts(snaps, order, start: int, count: int, first_id: int) -> int:
    """check_fact rows for the persons seed_persons wrote (same position and identity formulae)."""
    from app.extensions import db
    conn = db.session.connection()
    written = 0
    for chunk_start in range(0, count, base.CHUNK):
        rows = []
        for j in range(chunk_start, min(count, chunk_start + base.CHUNK)):
            i = start + j
            fact = snaps[order[i % len(order)]]["check_fact"]
            if fact is None:
                continue
            _, birth = base.identity(i)
            rows.append(dict(fact, person_id=first_id + j, id_birth_date=birth))
        if rows:
            names = list(rows[0])
            conn.exec_driver_sql(
                f"INSERT INTO check_fact ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [tuple(r[c] for c in names) for r in rows])
            written += len(rows)
        db.session.commit()
        conn = db.session.connection()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database) and print its path")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-reports-")
    try:
        return measure(args, tmp)
    finally:
        if args.keep:
            print(f"database kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(args, tmp) -> int:
    import sqlalchemy as sa

    from app.checks.models import CheckFact
    from app.extensions import db
    from app.people.models import Person
    from app.seed import DEMO_PASSWORD
    from app.timeutil import utcnow
    from app.workflow.models import ProcessInstance

    app = base.make_app(tmp)
    capture_with_facts()
    t0 = time.perf_counter()
    with app.app_context():
        orgs, users, branches = base.build_world()
        county_admin = users["county:county_admin"].username
        order, snaps, _ = base.walk_template(users, orgs["branch1"])
        tpl_person = snaps[order[0]]["person"]
        tpl = {"name": base.TEMPLATE_NAME, "id_number": tpl_person["id_number"],
               "birth_date": tpl_person["birth_date"], "org_id": tpl_person["org_id"], "person_id": tpl_person["id"]}
        templates = {name: base.PositionTemplate(snaps[name], tpl) for name in order}
        first = 1 + max(db.session.scalar(sa.select(sa.func.max(Person.id))) or 0,
                        db.session.scalar(sa.select(sa.func.max(ProcessInstance.id))) or 0)
        base.seed_persons(templates, order, branches, 0, args.persons, first, utcnow())
        facts = seed_facts(snaps, order, 0, args.persons, first)
        persons = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        fact_rows = db.session.scalar(sa.select(sa.func.count()).select_from(CheckFact))
        # 新发展党员 is measured for the year of the sample data's 党委审批 date (every copy past step 17).
        new_year = db.session.scalar(sa.select(sa.func.min(Person.probationary_date))).year
        if fact_rows != facts + 1:
            raise SystemExit(f"check_fact rows {fact_rows}, expected {facts + 1}")
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

#!/usr/bin/env python
"""Benchmark: 综合查询 (combined query) for a county admin over N persons.

    .venv/bin/python bench/query.py [--persons 100000] [--repeat 30] [--json out.json] [--keep] [--db postgresql]

Seeding is bench/run.py's (``run.seed_world``, imported, not copied): the template person walked through the
real services to every task position, copied N times with every row a person owns, person_field included
(the copy's own name, ID number and birth date; 性别 48 % 女, 民族 5 % 回族 + 5 % 满族, 学历 in turn, 申请入党日期
over 2015-2024, 工作岗位 spread, in the person row and in person_field alike). Cheap password hashes as in run.py.

Measured with the Flask test client (real login), the whole GET /query/ page: three conditions
(姓名 左匹配 "王", 性别 精准 "女", the application's 申请入党日期 时间区间 2018-2020), plus variants: a step field
(籍贯 模糊 of the step fixing the 入党积极分子), 多选 on a step field, sorted by name, page 50, and the .xlsx
export of a narrow query. Field keys are looked up in the active diagram (the steps' data keys), not written here.
Target of the brief: combined query with three conditions < 300 ms median on SQLite.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from urllib.parse import urlencode

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import run  # noqa: E402  (bench/run.py: seeding, login, timing helpers)

TARGET_MS = 300.0

def keys() -> tuple[str, str]:
    """Data keys of the application step and of the step fixing the 入党积极分子, in the active diagram."""
    from app.workflow.services import step_catalogue
    from app.workflow.versions import DEVELOPMENT, active_version
    from forms import APPLICATION_FORM, forms_feeding
    by_form = {s.form_key: s.data_key for s in step_catalogue(active_version(DEVELOPMENT).id)}
    return by_form[APPLICATION_FORM], by_form[forms_feeding("activist_date")[0]]


def queries(app_key: str, activist_key: str) -> dict:
    """label → query rows; ``app_key``/``activist_key`` prefix the step fields (see ``keys``)."""
    applied = (f"{app_key}.apply_date", "range", ("2018-01-01", "2020-12-31"))
    return {
        "three conditions: 姓名 左匹配 王 + 性别 精准 女 + 申请入党日期 2018-2020": [
            ("person.name", "prefix", "王"), ("person.sex", "exact", "女"), applied],
        "three conditions, sorted by 姓名": [
            ("person.name", "prefix", "王"), ("person.sex", "exact", "女"), applied, "sort=name"],
        "three conditions, page 50": [
            ("person.name", "prefix", "王"), ("person.sex", "exact", "女"), applied, "page=50"],
        "民族 多选 回族/满族 + 学历 多选 (申请) + 籍贯 模糊 (积极分子)": [
            ("person.ethnicity", "multi", ["03", "11"]), (f"{app_key}.education", "multi", ["大学本科", "大学专科"]),
            (f"{activist_key}.native_place", "fuzzy", "示例")],
        "姓名 模糊 明 + 身份证号 左匹配 3709 + 积极分子 完成日期 区间": [
            ("person.name", "fuzzy", "明"), ("person.id_number", "prefix", "3709"),
            (f"{activist_key}._date", "range", ("2000-01-01", "2100-01-01"))],
        "no condition (every person in the county), page 1": [],
    }


def params(rows) -> str:
    out = [("search", "1")]
    for i, row in enumerate(rows):
        if isinstance(row, str):
            out.append(tuple(row.split("=", 1)))
            continue
        field, mode, value = row
        out += [(f"c{i}_f", field), (f"c{i}_m", mode)]
        if isinstance(value, tuple):
            out += [(f"c{i}_v", value[0]), (f"c{i}_to", value[1])]
        else:
            out += [(f"c{i}_v", v) for v in (value if isinstance(value, list) else [value])]
    return urlencode(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database) and print its path")
    parser.add_argument("--reuse", help="measure again on a SQLite database kept by --keep (no seeding)")
    run.add_database_options(parser)
    args = parser.parse_args(argv)
    db_url = run.database_url(args, argv)
    if args.reuse:
        return measure(args, args.reuse)
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-query-")
    try:
        return measure(args, tmp, db_url)
    finally:
        if args.keep:
            print(f"database kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def seed(args) -> dict:
    """A fresh world with ``args.persons`` persons and their person_field rows (inside an app context)."""
    return {"seed_seconds": run.seed_world(args.persons).seed_seconds}


def sizes() -> dict:
    """Persons, person_field rows and the county admin's login (inside an app context)."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.extensions import db
    from app.orgs.models import Organisation
    from app.people.models import Person, PersonField
    county = db.session.scalar(sa.select(Organisation).where(Organisation.level == "county"))
    persons = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    return {"persons": persons,
            "person_field": db.session.scalar(sa.select(sa.func.count()).select_from(PersonField)),
            "in_county": db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
                Person.org_path.startswith(county.path))),
            "username": db.session.scalar(sa.select(User.username).where(User.role == "county_admin"))}


def measure(args, tmp, db_url=None) -> int:
    from app.extensions import db
    from app.seed import DEMO_PASSWORD

    app = run.make_app(tmp, db_url)
    t0 = time.perf_counter()
    with app.app_context():
        seeded = {"seed_seconds": 0.0} if args.reuse else seed(args)
        info = sizes()
        size = run.database_bytes(tmp)
        db.session.remove()
    persons, n_fields, in_county, username = (info["persons"], info["person_field"], info["in_county"],
                                              info["username"])
    per_person, t_seed = n_fields / max(persons, 1), seeded["seed_seconds"]
    t_setup = time.perf_counter() - t0
    print(f"setup {t_setup:.0f}s (seeding {t_seed:.0f}s); persons {persons:,} ({in_county:,} in the county); "
          f"person_field rows {n_fields:,} ({per_person:.0f} per person); database {size / 2**20:.0f} MiB", flush=True)

    client = app.test_client()
    run.login(client, username, DEMO_PASSWORD)
    results = {}
    print()
    print(f"| {'GET /query/ as county admin (ms)':<72} | {'median':>8} | {'p90':>8} | {'matches':>8} | target |")
    print(f"|{'-' * 74}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    with app.app_context():
        app_key, activist_key = keys()
    for label, rows in queries(app_key, activist_key).items():
        url = "/query/?" + params(rows)
        html = client.get(url).get_data(as_text=True)
        found = re.search(r"<p>共 (\d+\+?)", html)
        matches = found.group(1) if found else "?"
        times = run.measure_get(client, url, args.repeat)
        results[label] = {"times": times, "matches": matches}
        m = statistics.median(times)
        verdict = ("ok" if m < TARGET_MS else "MISSED") if label.startswith("three") else ""
        print(f"| {label:<72} | {m:8.1f} | {run.percentile(times, 0.9):8.1f} | {matches:>8} | {verdict:<6} |",
              flush=True)
    narrow = [("person.name", "prefix", "王"), ("person.sex", "exact", "女"),
              (f"{app_key}.apply_date", "range", ("2019-01-01", "2019-03-31"))]
    url = "/query/export.xlsx?" + params(narrow)
    times = []
    for _ in range(max(3, args.repeat // 5)):
        ms, response = run.timed(lambda: client.get(url))
        assert response.status_code == 200
        times.append(ms)
    results["xlsx export (three conditions, one quarter)"] = {"times": times, "bytes": len(response.data)}
    print(f"| {'GET /query/export.xlsx, three conditions, one quarter':<72} | {statistics.median(times):8.1f} | "
          f"{run.percentile(times, 0.9):8.1f} | {'':>8} |        |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"persons": persons, "person_field": n_fields, "results": results}, fh, ensure_ascii=False,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

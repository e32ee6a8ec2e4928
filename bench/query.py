#!/usr/bin/env python
"""Benchmark: 综合查询 (combined query) for a county admin over N persons.

    .venv/bin/python bench/query.py [--persons 100000] [--repeat 30] [--json out.json] [--keep]

Seeding is bench/run.py's (imported, not copied): the template person walked through the real services
to every task position, copied N times with executemany. run.py captures process_instance, person,
human_task and event rows; this script also captures the template's ``person_field`` rows at each
position and copies them to every copy at that position in one INSERT … SELECT (name, ID number and
birth date taken from the copy's person row).

The copies of one position share every other value, which would make any condition match all or none.
So, after seeding, four values are spread over the copies in SQL, in the person row and in person_field
alike (not in the engine state, which the query never reads): 性别 (48% 女, pseudo-random by id), 民族 (5% 回族, 5% 满族),
学历 (11 values in turn) and 申请入党日期 (spread over 2015-2024). Cheap password hashes as in run.py.

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


def capture_with_fields(original):
    """run.capture plus the template's person_field rows at that position."""
    def capture(person, task):
        from app.extensions import db
        snap = original(person, task)
        snap["fields"] = run._raw(db.session.connection(), "SELECT field, value_text, value_date FROM person_field "
                                  "WHERE person_id = ?", person.id)
        return snap
    return capture


def copy_fields(snaps, first_id: int) -> int:
    """person_field rows for every seeded copy, from its position's template rows, in SQL."""
    from app.extensions import db
    app_key = keys()[0]
    conn = db.session.connection()
    conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB for this connection while loading
    conn.exec_driver_sql("CREATE TEMP TABLE tpl_field (position TEXT, field TEXT, value_text TEXT, value_date DATE)")
    conn.exec_driver_sql("INSERT INTO tpl_field VALUES (?, ?, ?, ?)", [
        (position, f["field"], f["value_text"], f["value_date"]) for position, snap in snaps.items()
        for f in snap["fields"]])
    # Loading ~100 rows a person is far quicker with the secondary indexes built afterwards.
    indexes = [row[0] for row in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person_field' AND sql IS NOT NULL")]
    for name in [row[0] for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person_field' AND sql IS NOT NULL")]:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    conn.exec_driver_sql("""
        INSERT INTO person_field (person_id, field, value_text, value_date)
        SELECT p.id, t.field,
               CASE t.field WHEN ? THEN p.name WHEN ? THEN p.id_number ELSE t.value_text END,
               CASE t.field WHEN ? THEN p.birth_date ELSE t.value_date END
        FROM person p JOIN tpl_field t ON t.position = p.current_task
        WHERE p.id >= ? ORDER BY p.id, t.field""", (f"{app_key}.name", f"{app_key}.id_number",
                                                     f"{app_key}.birth_date", first_id))
    for sql in indexes:
        conn.exec_driver_sql(sql)
    n = conn.exec_driver_sql("SELECT count(*) FROM person_field").scalar()
    db.session.commit()
    return n


def spread_values(first_id: int) -> None:
    """Vary 性别, 民族, 学历 and 申请入党日期 over the copies, in person and person_field alike."""
    from app.extensions import db
    from forms.codes import EDUCATION
    app_key = keys()[0]
    conn = db.session.connection()
    education = "CASE p.id % 11 " + " ".join(f"WHEN {i} THEN '{v}'" for i, (v, _) in enumerate(EDUCATION)) + " END"
    values = {
        "sex": "CASE WHEN (p.id * 2654435761) % 1000 < 480 THEN '女' ELSE '男' END",
        "ethnicity": "CASE p.id % 20 WHEN 0 THEN '03' WHEN 1 THEN '11' ELSE '01' END",
        "education": education,
        "apply_date": "date('2015-01-01', '+' || ((p.id * 37) % 3650) || ' days')",
    }
    for column, expr in values.items():
        conn.exec_driver_sql(f"UPDATE person AS p SET {column} = {expr} WHERE p.id >= ?", (first_id,))
        target = "value_date" if column == "apply_date" else "value_text"
        conn.exec_driver_sql(
            f"UPDATE person_field SET {target} = (SELECT p.{column} FROM person p WHERE p.id = person_field.person_id) "
            "WHERE field = ? AND person_id >= ?", (f"{app_key}.{column}", first_id))
    conn.exec_driver_sql("ANALYZE")
    db.session.commit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database) and print its path")
    parser.add_argument("--reuse", help="measure again on a database kept by --keep (no seeding)")
    args = parser.parse_args(argv)
    if args.reuse:
        return measure(args, args.reuse)
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-query-")
    try:
        return measure(args, tmp)
    finally:
        if args.keep:
            print(f"database kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def seed(args) -> dict:
    """A fresh world with ``args.persons`` persons and their person_field rows (inside an app context)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.people.models import Person
    from app.timeutil import utcnow
    from app.workflow.models import ProcessInstance

    orgs, users, branches = run.build_world()
    order, snaps, sha = run.walk_template(users, orgs["branch1"])
    tpl_person = snaps[order[0]]["person"]
    tpl = {"name": run.TEMPLATE_NAME, "id_number": tpl_person["id_number"],
           "birth_date": tpl_person["birth_date"], "org_id": tpl_person["org_id"], "person_id": tpl_person["id"]}
    templates = {name: run.PositionTemplate(snaps[name], tpl) for name in order}
    run.grant_sample_file(sha, branches)
    first = max((db.session.scalar(sa.select(sa.func.max(Person.id))) or 0),
                (db.session.scalar(sa.select(sa.func.max(ProcessInstance.id))) or 0)) + 1
    t0 = time.perf_counter()
    run.seed_persons(templates, order, branches, 0, args.persons, first, utcnow())
    t_seed = time.perf_counter() - t0
    copy_fields(snaps, first)
    spread_values(first)
    run.verify_copies([first + k for k in range(min(args.persons, len(order)))])
    return {"seed_seconds": t_seed}


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


def measure(args, tmp) -> int:
    from app.extensions import db
    from app.seed import DEMO_PASSWORD

    run.capture = capture_with_fields(run.capture)
    app = run.make_app(tmp)
    t0 = time.perf_counter()
    with app.app_context():
        seeded = {"seed_seconds": 0.0} if args.reuse else seed(args)
        info = sizes()
        db.session.remove()
    persons, n_fields, in_county, username = (info["persons"], info["person_field"], info["in_county"],
                                              info["username"])
    per_person, t_seed = n_fields / max(persons, 1), seeded["seed_seconds"]
    t_setup = time.perf_counter() - t0
    size = os.path.getsize(os.path.join(tmp, "bench.sqlite3"))
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

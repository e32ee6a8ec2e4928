#!/usr/bin/env python
"""Benchmark: a province of 1,000,000 persons on PostgreSQL, loaded with COPY.

    .venv/bin/python bench/province.py [--persons 1000000] [--repeat 10] [--cities 16] [--counties 8]
                                       [--committees 10] [--branches 8] [--reuse]

Runs on a throwaway PostgreSQL cluster (scripts/pg_test.sh, as run.py --db postgresql does), or on
TEST_DATABASE_URL when set.

What is seeded:
- the world of bench/run.py (demo tree and accounts, 20 基层党委 x 10 党支部 more in 宁阳县委) plus a province
  around it: 16 市委 (the demo one included), 8 县委 each, 10 基层党委 x 8 党支部 per county (about 10,400
  branches), inserted with executemany;
- N persons written with COPY, spread over the 32 task positions of the template person (run.py's walk
  through the real services) and over every branch: per person its ``person`` row (own id, name, ID number,
  birth date, branch, arrival, and the varied 性别/民族/学历/申请入党日期/工作岗位 of run.variety), its
  ``human_task`` row(s) (own engine task UUIDs), its ``check_fact`` row, and a ``process_instance`` row whose
  ``state`` is an empty placeholder ``{}``: none of the measured pages reads the engine state, and 1,000,000
  real states (about 22 KiB each) would not fit this machine. A person's 发展流程 page does not work on this
  database. No ``event`` or ``task_ref`` rows.
- ``person_field`` holds only the fields the 综合查询 benchmark queries touch (bench/query.py ``queries``):
  姓名, 性别, 民族, 身份证号, 学历 and 申请入党日期 of the application step, 籍贯 and the completion day of the
  step fixing the 入党积极分子 (for the persons who reached it).
- Secondary indexes are dropped before the COPYs and built afterwards; sequences moved on; ANALYZE; then the
  worker's recount of the 数据统计 summary of the province and cities (app/reports/summary.py), timed.

Measured through the Flask test client after the real login: inbox (下级待办) and stage lists (page 1 and the
下一页 cursor page, page 50 by number) of the county, city and province admins, 人员信息, the 审计 person list and
历史库, 数据统计 全部人员 for the county (live) and the city and province (stored summary), 逻辑校验 for the county and
for the province, the 综合查询 benchmark queries as the province admin. Targets (issue 16): lists < 50 ms, 数据统计 < 500 ms, 逻辑校验 of a county < 2 s, 综合查询 < 300 ms.
"""
import argparse
import io
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import query  # noqa: E402  (bench/query.py: the 综合查询 benchmark queries)
import run  # noqa: E402  (bench/run.py: world, template walk, identities, variety, HTTP helpers)

LIST_MS, STATS_MS, COUNTY_CHECKS_MS, QUERY_MS = 50.0, 500.0, 2000.0, 300.0
SEEDED_TABLES = ("process_instance", "person", "human_task", "person_field", "check_fact")


def build_province(orgs, cities: int, counties: int, committees: int, branches: int) -> list:
    """Organisations around the demo tree; returns every branch as run.Branch."""
    import sqlalchemy as sa
    from app.extensions import db
    from app.orgs.models import Organisation

    next_id = (db.session.scalar(sa.select(sa.func.max(Organisation.id))) or 0) + 1
    rows = []

    def add(name, level, parent_id, parent_path):
        nonlocal next_id
        oid, next_id = next_id, next_id + 1
        path = f"{parent_path}{oid}/"
        rows.append({"id": oid, "name": name, "level": level, "parent_id": parent_id, "path": path,
                     "created_at": datetime(2020, 1, 1)})
        return oid, path

    province, city, county = orgs["province"], orgs["city"], orgs["county"]
    county_nodes = [(county.id, county.path, "宁阳县")]
    for c in range(cities):
        if c == 0:
            city_id, city_path = city.id, city.path
        else:
            city_id, city_path = add(f"中共第{c}市委员会", "city", province.id, province.path)
        for k in range(counties):
            if c == 0 and k == 0:
                continue   # the demo county
            county_nodes.append(add(f"中共第{c}市第{k}县委员会", "county", city_id, city_path) + (f"{c}市{k}县",))
    for county_id, county_path, label in county_nodes:
        for m in range(committees):
            committee_id, committee_path = add(f"{label}第{m}基层委员会", "committee", county_id, county_path)
            for b in range(branches):
                add(f"{label}第{m}基层委员会第{b}支部委员会", "branch", committee_id, committee_path)
    db.session.execute(sa.insert(Organisation), rows)
    db.session.commit()
    return [run.Branch(o.id, o.path, o.name) for o in db.session.scalars(
        sa.select(Organisation).where(Organisation.level == "branch").order_by(Organisation.id))]


def _cell(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Copier:
    """Rows of one table buffered as COPY text; ``flush`` sends them (the caller flushes the tables of a block
    of persons together, parents first, so foreign keys hold)."""

    def __init__(self, cursor, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.buffer, self.pending, self.written = io.StringIO(), 0, 0

    def add(self, row: dict) -> None:
        self.buffer.write("\t".join(_cell(row[c]) for c in self.columns))
        self.buffer.write("\n")
        self.pending += 1

    def flush(self) -> None:
        if self.pending:
            self.buffer.seek(0)
            self.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer)
            self.written += self.pending
            self.buffer, self.pending = io.StringIO(), 0


def secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of ``table`` that back no constraint."""
    return [tuple(r) for r in conn.exec_driver_sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", (table,))]


def seed(world, branches, persons: int) -> dict:
    """COPY ``persons`` persons; returns row counts. Inside an app context."""
    import sqlalchemy as sa
    from app.extensions import db
    from app.people.models import Person
    from app.timeutil import utcnow
    from app.workflow.models import ProcessInstance

    app_key, activist_key = query.keys()
    wanted = {f"{app_key}.{k}" for k in ("name", "sex", "ethnicity", "id_number", "education", "apply_date")} | {
        f"{activist_key}.native_place", f"{activist_key}._date"}
    own = {f"{app_key}.name": "name", f"{app_key}.id_number": "id_number"}
    varied = {f"{app_key}.{k}": k for k in ("sex", "ethnicity", "education", "apply_date")}
    order, templates = world.order, world.templates
    first = 1 + max(db.session.scalar(sa.select(sa.func.max(Person.id))) or 0,
                    db.session.scalar(sa.select(sa.func.max(ProcessInstance.id))) or 0)
    now = utcnow()
    conn = db.session.connection()
    raw = conn.connection.dbapi_connection
    dropped = {}
    for table in SEEDED_TABLES:
        dropped[table] = secondary_indexes(conn, table)
        for name, _ in dropped[table]:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    cursor = raw.cursor()
    sample = templates[order[0]]
    copiers = {
        "process_instance": Copier(cursor, "process_instance", list(sample.instance)),
        "person": Copier(cursor, "person", list(sample.person)),
        "human_task": Copier(cursor, "human_task", [c for c in sample.human_tasks[0] if c != "id"]),
        "person_field": Copier(cursor, "person_field", ["person_id", "field", "value_text", "value_date"]),
        "check_fact": Copier(cursor, "check_fact", list(next(t.check_fact for t in templates.values()
                                                                if t.check_fact))),
    }
    fields = {name: [f for f, _, _ in t.fields if f["field"] in wanted] for name, t in templates.items()}
    t0 = time.perf_counter()
    for i in range(persons):
        t = templates[order[i % len(order)]]
        branch = branches[(i // len(order)) % len(branches)]
        pid = first + i
        id_number, birth = run.identity(i)
        birth = date.fromisoformat(birth)
        name = run.person_name(i)
        vary = run.variety(i)
        arrived = now - timedelta(seconds=(i * 7919) % (365 * 86400))
        created = now - timedelta(days=400 + (i % 300))
        copiers["process_instance"].add(dict(t.instance, id=pid, state="{}", created_at=created, updated_at=arrived,
                                             last_seq=0, last_hash=""))  # no events are seeded
        copiers["person"].add(dict(t.person, id=pid, name=name, id_number=id_number, birth_date=birth,
                                   org_id=branch.id, org_path=branch.path, instance_id=pid, created_at=created,
                                   updated_at=arrived, **{k: vary[k] for k in t.varied_person}))
        for ht in t.human_tasks:
            copiers["human_task"].add(dict(ht, instance_id=pid, person_id=pid, org_path=branch.path,
                                           person_name=name, org_name=branch.name, arrived_at=arrived,
                                           task_id=run.copy_uuid(ht["task_id"], i)))
        for f in fields[t.task.name]:
            row = dict(f, person_id=pid)
            key = f["field"]
            if key in own:
                row["value_text"] = name if own[key] == "name" else id_number
            elif key == f"{app_key}.apply_date":
                row["value_date"] = vary["apply_date"]
            elif key in varied:
                row["value_text"] = vary[varied[key]]
            copiers["person_field"].add(row)
        if t.check_fact:
            fact = dict(t.check_fact, person_id=pid, id_birth_date=birth)
            if fact.get("training_hours") is not None:
                fact["training_hours"] += (i % 7) - 3
            copiers["check_fact"].add(fact)
        if (i + 1) % 50_000 == 0:
            for table in SEEDED_TABLES:   # parents first (foreign keys)
                copiers[table].flush()
            print(f"  {i + 1:,} persons ({time.perf_counter() - t0:.0f}s)", flush=True)
    for table in SEEDED_TABLES:   # parents first (foreign keys)
        copiers[table].flush()
    t_copy = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
    for table in SEEDED_TABLES:
        for _, create in dropped[table]:
            conn.exec_driver_sql(create)
    for table in ("person", "process_instance"):
        conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    db.session.commit()
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
        auto.exec_driver_sql("VACUUM ANALYZE")
    return {"copy_seconds": t_copy, "index_seconds": t_index, "analyze_seconds": time.perf_counter() - t0,
            **{table: copiers[table].written for table in SEEDED_TABLES}}


def seeded():
    """(counts, users, county, branches) of a province seeded by an earlier run (``--reuse``)."""
    import sqlalchemy as sa
    from app.auth.models import User
    from app.extensions import db
    from app.orgs.models import Organisation
    from app.seed import DEMO_ACCOUNTS

    counts = {"copy_seconds": 0.0, "index_seconds": 0.0, "analyze_seconds": 0.0}
    for table in SEEDED_TABLES:
        counts[table] = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    names = {u.username: u for u in db.session.scalars(sa.select(User))}
    users = {f"{key}:{role}": username for username, _, role, key in DEMO_ACCOUNTS if username in names}
    county = names[users["county:county_admin"]].org
    branches = db.session.scalars(sa.select(Organisation.id).where(Organisation.level == "branch")).all()
    return counts, users, county, branches


def refresh_summary() -> tuple[float, int]:
    """The worker's recount of the province's and cities' 数据统计 (app/reports/summary.py), timed."""
    from app.extensions import db
    from app.reports import summary

    db.create_all()   # --reuse on a database seeded before the summary table existed
    t0 = time.perf_counter()
    stored = summary.refresh()
    db.session.commit()
    return time.perf_counter() - t0, stored


def measure_pages(client, pages, repeat):
    results = {}
    for label, url, target in pages:
        times = run.measure_get(client, url, repeat, warmup=1)
        results[label] = times
        m = statistics.median(times)
        verdict = "" if target is None else ("ok" if m < target else "MISSED")
        print(f"| {label:<66} | {m:9.1f} | {run.percentile(times, 0.95):9.1f} | {verdict:<6} |", flush=True)
    return results


_NEXT = re.compile(r'href="([^"]*after=\d+[^"]*)">下一页')


def next_page_url(client, url) -> str:
    """The 下一页 link of a list page (keyset cursor)."""
    found = _NEXT.search(client.get(url).get_data(as_text=True))
    if not found:
        raise SystemExit(f"{url}: no 下一页 link")
    return found.group(1).replace("&amp;", "&")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--cities", type=int, default=16)
    parser.add_argument("--counties", type=int, default=8)
    parser.add_argument("--committees", type=int, default=10)
    parser.add_argument("--branches", type=int, default=8)
    parser.add_argument("--reuse", action="store_true",
                        help="TEST_DATABASE_URL already holds a seeded province (an earlier run on a cluster of "
                             "your own): skip the seeding and measure (new indexes: run the migration's "
                             "statements there first)")
    args = parser.parse_args(argv)
    args.db = "postgresql"
    db_url = run.database_url(args, argv)
    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-province-")
    try:
        return measure(args, tmp, db_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(args, tmp, db_url) -> int:
    import sqlalchemy as sa
    from app.extensions import db
    from app.people.models import Person
    from app.seed import DEMO_PASSWORD

    load_before = os.getloadavg()
    app = run.make_app(tmp, db_url)
    t0 = time.perf_counter()
    with app.app_context():
        if args.reuse:
            counts, users, county, branches = seeded()
        else:
            world = run.seed_world(0)
            branches = build_province(world.orgs, args.cities, args.counties, args.committees, args.branches)
            counts = seed(world, branches, args.persons)
            users = {k: u.username for k, u in world.users.items()}
            county = world.orgs["county"]
        counts["summary_seconds"], counts["summary_rows"] = refresh_summary()
        in_county = db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
            Person.org_path.startswith(county.path)))
        size = run.database_bytes(tmp)
        version = db.session.scalar(sa.text("SHOW server_version"))
        app_key, activist_key = query.keys()
        db.session.remove()
        db.engine.dispose()
    print(f"setup {time.perf_counter() - t0:.0f}s (COPY {counts['copy_seconds']:.0f}s, indexes "
          f"{counts['index_seconds']:.0f}s, VACUUM ANALYZE {counts['analyze_seconds']:.0f}s, 数据统计 summary of the "
          f"province and cities {counts['summary_seconds']:.1f}s, {counts['summary_rows']:,} rows); "
          f"PostgreSQL {version}; "
          f"{len(branches):,} branches; rows: " + ", ".join(f"{t} {counts[t]:,}" for t in SEEDED_TABLES) +
          f"; {in_county:,} persons in 宁阳县; database {size / 2**30:.1f} GiB", flush=True)

    clients = {}
    for key in ("county:county_admin", "city:city_admin", "province:province_admin"):
        clients[key] = app.test_client()
        run.login(clients[key], users[key], DEMO_PASSWORD)
    county_c, city_c, province_c = (clients["county:county_admin"], clients["city:city_admin"],
                                    clients["province:province_admin"])
    print()
    print(f"| {'what (ms)':<66} | {'median':>9} | {'p95':>9} | target |")
    print(f"|{'-' * 68}|{'-' * 11}|{'-' * 11}|{'-' * 8}|")
    results = {}
    lists = []
    for who, c in (("county", county_c), ("city", city_c), ("province", province_c)):
        lists += [(f"GET /inbox/?view=below, {who} admin", c, "/inbox/?view=below"),
                  (f"GET /people/?stage=3, {who} admin", c, "/people/?stage=3"),
                  (f"GET /people/?stage=3 下一页 (cursor), {who} admin", c,
                   next_page_url(c, "/people/?stage=3")),
                  (f"GET /people/?stage=3&page=50 (jump), {who} admin", c, "/people/?stage=3&page=50"),
                  (f"GET /people/info (人员信息), {who} admin", c, "/people/info"),
                  (f"GET /audit/ (审计 persons), {who} admin", c, "/audit/"),
                  (f"GET /archive/ (历史库 已取消), {who} admin", c, "/archive/")]
    for label, c, url in lists:
        results.update(measure_pages(c, [(label, url, LIST_MS)], args.repeat))
    results.update(measure_pages(county_c, [("GET /stats/?view=all (数据统计), county admin", "/stats/?view=all",
                                             STATS_MS)], args.repeat))
    results.update(measure_pages(city_c, [("GET /stats/?view=all (数据统计, stored), city admin",
                                           "/stats/?view=all", STATS_MS)], args.repeat))
    results.update(measure_pages(province_c, [("GET /stats/?view=all (数据统计, stored), province admin",
                                               "/stats/?view=all", STATS_MS)], args.repeat))
    results.update(measure_pages(county_c, [("GET /checks/ (逻辑校验), county admin", "/checks/", COUNTY_CHECKS_MS)],
                                 max(3, args.repeat // 2)))
    results.update(measure_pages(province_c, [("GET /checks/ (逻辑校验), province admin", "/checks/", None)],
                                 max(3, args.repeat // 3)))
    for label, rows in query.queries(app_key, activist_key).items():
        url = "/query/?" + query.params(rows)
        results.update(measure_pages(province_c, [(f"综合查询 {label[:40]}", url, QUERY_MS)], args.repeat))
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (5 min {load_after[1]:.2f}); "
          f"{os.cpu_count()} CPUs; {datetime.utcnow():%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main())

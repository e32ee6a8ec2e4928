#!/usr/bin/env python
"""Benchmark: inbox and stage-list pages, and task completion against the bare SpiffWorkflow cycle.

    .venv/bin/python bench/run.py [--persons 10000] [--repeat 50] [--json out.json] [--profile]
                                  [--keep] [--review-task TASK] [--edit-task TASK]
                                  [--db postgresql] [--http [--workers N] [--threads N] [--gunicorn ARGS]]

1. A fresh SQLite database in a temp dir (WAL, as the app sets it): tables, the bundled diagram, the
   demo tree plus 20 基层党委 x 10 党支部 under the county, the demo accounts.
2. One template person is driven through the real services (``simulate``) to every task position
   (edit steps 1-25 and the 7 review tasks, 32 positions); at each position the rows it owns are
   captured exactly as stored (process_instance, person, human_task, task_ref, event, person_field,
   check_fact) and copied for N persons with executemany, one transaction per chunk. Copies get their own id, name, ID number (GB 11643,
   varying birth date and region), branch, instance id and arrival time; names, ID numbers, birth
   dates, org and person ids are rewritten inside the engine state and the event data too, and each
   copy's event hash chain is recomputed. Each copy gets its own engine task UUIDs (``copy_uuid``: the
   template's with its last 48 bits XOR the copy number), in the state, the inbox and ``task_ref``, so
   the API's ``/api/v1/tasks/<id>`` resolves to exactly one instance; ``person_field`` (varied values)
   and ``check_fact`` are filled as the projections would.
3. Measures, through the Flask test client logged in with the real login form (captcha test hook):
   the county admin's inbox (view=below), the stage-3 list, a committee admin approving a review and
   a branch admin submitting an edit step (POST only, each on a fresh person at that position), and
   in the same process the bare SpiffWorkflow cycle for the same task (standard serializer with the
   spec embedded, standard PythonScriptEngine) and our engine module's cycle (spec by reference),
   one of each before every POST so that load from other processes hits all three alike.
   A sample of copies is verified first (state loads, inbox rows match, step-1 data, hash chain).

--profile prints cProfile listings of the four measured requests after the measurements.

Medians and p90 in milliseconds; exit status 0 unless a step fails (targets are reported, not enforced).
"""
import argparse
import cProfile
import hashlib
import http.client
import io
import json
import os
import pstats
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import namedtuple
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# Targets of issue 16: pages below 50 ms, the POST within 3x the app's own engine cycle, the whole user
# action (GET step page + POST + the page after the redirect) within 4x the bare SpiffWorkflow cycle.
PAGE_TARGET_MS = 50.0
OWN_ENGINE_FACTOR = 3.0
COMPLETION_FACTOR = 4.0

EXTRA_COMMITTEES = 20
BRANCHES_PER_COMMITTEE = 10
CHUNK = 2000
TEMPLATE_NAME = "模板甲"
TEMPLATE_REGION = "110101"   # copies use other regions, so no copy can take the template's ID number
REGIONS = ("370921", "370902", "370911", "370982")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
         "建国志文斌辉鹏宇浩凯健俊帆琳晨欣悦雪梅婷倩佳颖琪瑶睿哲")


# ---- helpers ------------------------------------------------------------------------------------

def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def person_name(i: int) -> str:
    n_s, n_g = len(SURNAMES), len(GIVEN)
    name = SURNAMES[i % n_s] + GIVEN[(i // n_s) % n_g] + GIVEN[(i // (n_s * n_g)) % n_g]
    block = i // (n_s * n_g * n_g)
    return name + (str(block) if block else "")


def identity(i: int):
    """(ID number, birth date ISO) of copy ``i``: unique for every i (500 per birth date and region)."""
    from app.workflow.simulate import make_id_number
    region = REGIONS[(i // 500) % len(REGIONS)]
    # Never later than the template's birth date (1991-01-01), so age rules hold as they did for it.
    birth = date(1991, 1, 1) - timedelta(days=i // (500 * len(REGIONS)))
    return make_id_number(i, birth.strftime("%Y%m%d"), region), birth.isoformat()


# Values of the template person inside JSON texts are swapped for sentinels, then filled per copy.
S_NAME, S_IDNO, S_BIRTH, S_ORG, S_PERSON, S_INSTANCE = (
    "@@NAME@@", "@@IDNO@@", "@@BIRTH@@", "@@ORG@@", "@@PERSON@@", "@@INSTANCE@@")


def _sentinelise(value, tpl):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "org_id" and v == tpl["org_id"]:
                out[k] = S_ORG
            elif k == "person_id" and v == tpl["person_id"]:
                out[k] = S_PERSON
            elif k == "birth_date" and v == tpl["birth_date"]:
                out[k] = S_BIRTH
            else:
                out[k] = _sentinelise(v, tpl)
        return out
    if isinstance(value, list):
        return [_sentinelise(v, tpl) for v in value]
    if value == tpl["name"]:
        return S_NAME
    if value == tpl["id_number"]:
        return S_IDNO
    return value


# A sentinel as a whole JSON string, or an engine task UUID (a key or a value) inside the text.
_PIECE = re.compile(r'"(@@[A-Z]+@@)"|(?<=")([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=")')


def copy_uuid(template_uuid: str, copy: int) -> str:
    """Copy ``copy``'s UUID for a template task: the last 48 bits XOR (copy + 1), so the ids of one copy
    stay distinct (XOR is a bijection), copies never share one, and none equals the template's own."""
    return f"{template_uuid[:24]}{int(template_uuid[24:], 16) ^ (copy + 1):012x}"


def copy_values(name, id_number, birth_date, org_id, person_id, instance_id, ensure_ascii=True) -> dict:
    """JSON text of each sentinel's value for one copy."""
    return {S_NAME: json.dumps(name, ensure_ascii=ensure_ascii), S_IDNO: json.dumps(id_number),
            S_BIRTH: json.dumps(birth_date), S_ORG: str(org_id), S_PERSON: str(person_id),
            S_INSTANCE: str(instance_id)}


class JsonTemplate:
    """A JSON text with the template person's values replaced by sentinels; ``fill`` makes a copy's text.

    The text is split once at the sentinels (and, with ``uuids``, at the engine's task UUIDs), so a copy is
    one join (most event texts have none)."""

    def __init__(self, obj, tpl, ensure_ascii=True, uuids=False, **dump_kwargs):
        self.ensure_ascii = ensure_ascii
        self.text = json.dumps(_sentinelise(obj, tpl), ensure_ascii=ensure_ascii, **dump_kwargs)
        # pieces alternate: literal text, then a (kind, key) hole, then literal text ...
        self.pieces, self.holes, last = [], [], 0
        for m in _PIECE.finditer(self.text):
            if m.group(1):
                self.pieces.append(self.text[last:m.start()])
                self.holes.append(("value", m.group(1)))
            elif uuids:
                self.pieces.append(self.text[last:m.start()])
                self.holes.append(("uuid", m.group(2)))
            else:
                continue
            last = m.end()
        self.pieces.append(self.text[last:])
        self.uuids = sorted({key for kind, key in self.holes if kind == "uuid"})

    def fill(self, values: dict, uuid_map: dict | None = None) -> str:
        """``values`` from copy_values() with the same ensure_ascii; ``uuid_map`` template → copy task id."""
        if not self.holes:
            return self.text
        out = [self.pieces[0]]
        for (kind, key), tail in zip(self.holes, self.pieces[1:]):
            out.append(values[key] if kind == "value" else uuid_map[key])
            out.append(tail)
        return "".join(out)


def stored_json_template(text, tpl, uuids=False) -> JsonTemplate:
    """A template of a JSON column as stored (json.dumps defaults); checks that the layout round-trips."""
    obj = json.loads(text)
    if json.dumps(obj) != text:
        raise SystemExit("stored JSON does not round-trip with json.dumps defaults; the bench must be adapted")
    return JsonTemplate(obj, tpl, uuids=uuids)


# ---- the app and the database -------------------------------------------------------------------

def make_app(tmp: str, db_url: str | None = None):
    """The app on a SQLite file in ``tmp`` or on ``db_url`` (PostgreSQL); uploads and keys under ``tmp``."""
    os.environ["INSTANCE_PATH"] = os.path.join(tmp, "instance")   # keep the secret key file out of the tree
    from app import create_app
    return create_app({
        "SECRET_KEY": "bench-secret",
        "SQLALCHEMY_DATABASE_URI": db_url or f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}",
        "UPLOAD_FOLDER": os.path.join(tmp, "uploads"),
        "CAPTCHA_TEST_HOOK": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
    })


def database_bytes(tmp: str) -> int:
    """Size of the bench database (SQLite file, or pg_database_size); inside an app context."""
    from app.extensions import db
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(sa_text("SELECT pg_database_size(current_database())"))
    return os.path.getsize(os.path.join(tmp, "bench.sqlite3"))


def sa_text(sql):
    import sqlalchemy as sa
    return sa.text(sql)


Branch = namedtuple("Branch", "id path name")


def build_world():
    """Tables, diagram, demo tree plus 200 more branches, demo accounts. Returns (orgs, users, branches)."""
    import sqlalchemy as sa
    from app.auth.services import create_user
    from app.extensions import db
    from app.orgs.models import Organisation
    from app.orgs.services import create_org
    from app.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, build_tree
    from app.workflow.versions import load_bundled_diagrams

    db.create_all()
    load_bundled_diagrams()
    db.session.commit()
    orgs = build_tree()
    for c in range(1, EXTRA_COMMITTEES + 1):
        committee = create_org(f"中共宁阳县第{c}基层委员会", "committee", orgs["county"])
        for b in range(1, BRANCHES_PER_COMMITTEE + 1):
            branch = create_org(f"中共宁阳县第{c}基层委员会第{b}支部委员会", "branch", committee)
            create_org("第一党小组", "group", branch)
    users = {}
    for i, (username, name, role, key) in enumerate(DEMO_ACCOUNTS):
        users[f"{key}:{role}"] = create_user(username=username, name=name, role=role, org=orgs[key],
                                             password=DEMO_PASSWORD, phone=f"1380000{i:04d}")
    db.session.commit()
    # Plain values, usable after the session is gone.
    branches = [Branch(o.id, o.path, o.name) for o in db.session.scalars(
        sa.select(Organisation).where(Organisation.level == "branch").order_by(Organisation.id))]
    return orgs, users, branches


def positions(version_id: int) -> list[str]:
    """Task positions in procedure order: each edit task, followed by its review if it has one."""
    from app.workflow.services import step_catalogue
    out = []
    for s in step_catalogue(version_id):
        out.append(s.name)
        if s.review_name:
            out.append(s.review_name)
    return out


# Tables a person owns, copied per seeded person. JSON columns are read and written as their stored text.
SEEDED = ("process_instance", "person", "human_task", "task_ref", "event", "person_field", "check_fact")


def raw_table(name):
    """The table with its JSON columns untyped, so stored JSON texts go in and out unchanged (untyped, not
    Text: psycopg 3 binds a Text parameter as ``::VARCHAR``, which PostgreSQL will not put in a json column)."""
    import sqlalchemy as sa
    from app.extensions import db
    cache = raw_table.__dict__.setdefault("cache", {})
    if name not in cache:
        source = db.metadata.tables[name]
        cache[name] = sa.Table(name, sa.MetaData(), *[
            sa.Column(c.name, sa.types.NullType() if isinstance(c.type, sa.JSON) else c.type, primary_key=c.primary_key)
            for c in source.columns])
    return cache[name]


def _rows(name, where_column, value, order=None):
    """Rows of ``name`` as stored (typed values, JSON as text)."""
    import sqlalchemy as sa
    from app.extensions import db
    table = raw_table(name)
    columns = [sa.cast(c, sa.Text).label(c.name) if isinstance(db.metadata.tables[name].c[c.name].type, sa.JSON)
               else c for c in table.columns]
    query = sa.select(*columns).where(table.c[where_column] == value)
    if order:
        query = query.order_by(table.c[order])
    return [dict(r) for r in db.session.execute(query).mappings()]


def walk_template(users, branch):
    """Drive one person through the real services, capturing its stored rows at every task position."""
    from app.extensions import db
    from app.people.models import Person
    from app.workflow import services, simulate
    from app.workflow.versions import DEVELOPMENT, active_version
    from forms import APPLICATION_FORM

    branch_admin, committee_admin = users["branch1:branch_admin"], users["committee1:committee_admin"]
    actors = {"branch_admin": branch_admin, "committee_admin": committee_admin,
              "county_admin": users["county:county_admin"]}
    sha = simulate.stored_sample_file(branch_admin)
    data = simulate.sample(APPLICATION_FORM, sha, org_id=branch.id, name=TEMPLATE_NAME,
                           id_number=simulate.make_id_number(1, region=TEMPLATE_REGION))
    # 保存 keeps step 1 open as a draft: the step-1 position. Then step 1 is submitted and the
    # person is advanced one position at a time.
    person = services.start_application(branch_admin, data, "save")
    db.session.commit()
    person_id = person.id
    order = positions(active_version(DEVELOPMENT).id)
    snaps = {}
    for k, name in enumerate(order):
        person = db.session.get(Person, person_id)
        if k == 1:
            ctx = services.load(person)
            services.act(branch_admin, ctx, ctx.ready[0].id, "submit", data)
            db.session.commit()
        if k >= 1:
            simulate.advance(person, actors, until_task=name)
        db.session.expire_all()
        person = db.session.get(Person, person_id)
        ready = sorted(services.load(person).ready, key=lambda t: (t.step, t.is_review))
        if not ready or ready[0].name != name:
            raise SystemExit(f"template walk: expected {name}, ready is {[t.name for t in ready]}")
        snaps[name] = capture(person, ready[0])
    return order, snaps, sha


def capture(person, task):
    """The rows the template person owns at this position, as stored."""
    iid, pid = person.instance_id, person.id
    return {
        "task": task,
        "instance": _rows("process_instance", "id", iid)[0],
        "person": _rows("person", "id", pid)[0],
        "human_tasks": _rows("human_task", "instance_id", iid, "id"),
        "task_refs": _rows("task_ref", "instance_id", iid, "task_id"),
        "events": _rows("event", "instance_id", iid, "seq"),
        "fields": _rows("person_field", "person_id", pid, "field"),
        "check_fact": (_rows("check_fact", "person_id", pid) or [None])[0],
    }


# Values spread over the copies, in the person row and in person_field alike, so that conditions and
# statistics select realistic fractions (the engine state, which no list or query reads, keeps the
# template's values): 性别 48 % 女, 民族 5 % 回族 + 5 % 满族, 学历 in turn over the code list, 申请入党日期
# over 2015-2024, 工作岗位 over a few values, and R11's training hours around the threshold.
JOBS = ("工人", "农牧渔民", "专业技术人员", "企业管理人员", "学生", "机关干部", "其他")


def variety(i: int) -> dict:
    from forms.codes import EDUCATION
    return {
        "sex": "女" if (i * 2654435761) % 1000 < 480 else "男",
        "ethnicity": {0: "03", 1: "11"}.get(i % 20, "01"),
        "education": EDUCATION[i % len(EDUCATION)][0],
        "apply_date": date(2015, 1, 1) + timedelta(days=(i * 37) % 3650),
        "job": JOBS[(i * 7) % len(JOBS)],
    }


class PositionTemplate:
    """Everything needed to write one more person at one task position."""

    def __init__(self, snap, tpl, app_key: str):
        from app.events.services import canonical, compute_hash
        self.task = snap["task"]
        self.instance = snap["instance"]
        self.person = snap["person"]
        self.human_tasks = snap["human_tasks"]
        self.task_refs = snap["task_refs"]
        self.check_fact = snap["check_fact"]
        self.state = stored_json_template(self.instance["state"], tpl, uuids=True)
        known = set(self.state.uuids)
        for row in self.human_tasks + self.task_refs:
            if row["task_id"] not in known:
                raise SystemExit(f"task id {row['task_id']} of an inbox row is not in the engine state")
        # person_field rows: the copy's own name, ID number and birth date; the varied values of variety().
        own = {f"{app_key}.name": "name", f"{app_key}.id_number": "id_number", f"{app_key}.birth_date": "birth"}
        varied = {f"{app_key}.{k}": k for k in ("sex", "ethnicity", "education", "apply_date", "job")}
        self.fields = [(f, own.get(f["field"]), varied.get(f["field"])) for f in snap["fields"]]
        self.varied_person = {k for k in ("sex", "ethnicity", "education", "apply_date", "job")
                              if self.person[k] not in (None, "")}
        self.events = []
        prev = ""
        for ev in snap["events"]:
            payload = {
                "instance_id": ev["instance_id"], "seq": ev["seq"], "actor_id": ev["actor_id"],
                "actor_name": ev["actor_name"], "role": ev["role"], "org_id": ev["org_id"],
                "action": ev["action"], "task_name": ev["task_name"], "task_pass": ev["task_pass"],
                "data": json.loads(ev["data"]), "attachments": json.loads(ev["attachments"]),
                "created_at": ev["created_at"].isoformat(timespec="microseconds"),
            }
            # The hash must be reproducible from the stored row before it can be recomputed for copies.
            if compute_hash(payload, prev) != ev["hash"]:
                raise SystemExit("event hash of the template does not reproduce; the bench must be adapted")
            if any(u in ev["data"] for u in known):
                raise SystemExit("an event names an engine task UUID; the bench must rewrite it")
            prev = ev["hash"]
            canon_obj = dict(payload, data=_sentinelise(payload["data"], tpl), instance_id=S_INSTANCE)
            nothing = {k: object() for k in ("name", "id_number", "org_id", "person_id", "birth_date")}
            canon = JsonTemplate(canon_obj, nothing, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                                 default=str)
            assert canonical(canon_obj) == canon.text
            # ``canon`` only has the instance id as a sentinel at top level; the data part was made
            # with the person's sentinels already, so fill() handles both.
            self.events.append((ev, stored_json_template(ev["data"], tpl), canon))


def seed_persons(templates, order, branches, start: int, count: int, first_id: int, now: datetime,
                 branch_override=None, only_position=None) -> list[int]:
    """Insert ``count`` persons spread over positions and branches, with every row a person owns
    (instance, person, inbox rows, task_ref, events, person_field, check_fact); returns their person ids."""
    from app.extensions import db

    ids = []
    phase = {"build": 0.0, "insert": 0.0, "commit": 0.0}
    for chunk_start in range(0, count, CHUNK):
        t_build = time.perf_counter()
        rows = {name: [] for name in SEEDED}
        for j in range(chunk_start, min(count, chunk_start + CHUNK)):
            i = start + j
            pos = only_position or order[i % len(order)]
            t = templates[pos]
            branch = branch_override or branches[(i // len(order)) % len(branches)]
            pid = iid = first_id + j
            id_number, birth = identity(i)
            name = person_name(i)
            v = copy_values(name, id_number, birth, branch.id, pid, iid)
            v_utf8 = copy_values(name, id_number, birth, branch.id, pid, iid, ensure_ascii=False)
            uuid_map = {u: copy_uuid(u, i) for u in t.state.uuids}
            vary = variety(i)
            # Arrival spread over the last year (deterministic), so the inbox order is realistic.
            arrived = now - timedelta(seconds=(i * 7919) % (365 * 86400))
            created = now - timedelta(days=400 + (i % 300))
            rows["process_instance"].append(dict(t.instance, id=iid, state=t.state.fill(v, uuid_map),
                                                 created_at=created, updated_at=arrived))
            rows["person"].append(dict(t.person, id=pid, name=name, id_number=id_number,
                                       birth_date=date.fromisoformat(birth), org_id=branch.id,
                                       org_path=branch.path, instance_id=iid, created_at=created,
                                       updated_at=arrived, **{k: vary[k] for k in t.varied_person}))
            for ht in t.human_tasks:
                row = dict(ht, instance_id=iid, person_id=pid, org_path=branch.path, person_name=name,
                           org_name=branch.name, arrived_at=arrived, task_id=uuid_map[ht["task_id"]])
                row.pop("id")
                rows["human_task"].append(row)
            for ref in t.task_refs:
                rows["task_ref"].append({"task_id": uuid_map[ref["task_id"]], "instance_id": iid})
            prev = ""
            for ev, data_tpl, canon in t.events:
                h = hashlib.sha256((prev + "\n" + canon.fill(v_utf8)).encode()).hexdigest()
                row = dict(ev, instance_id=iid, data=data_tpl.fill(v), prev_hash=prev, hash=h)
                row.pop("id")
                rows["event"].append(row)
                prev = h
            rows["process_instance"][-1]["last_hash"] = prev  # the copy's own chain end (its seq is the template's)
            own = {"name": name, "id_number": id_number, "birth": date.fromisoformat(birth)}
            for f, own_key, varied_key in t.fields:
                row = dict(f, person_id=pid)
                if own_key == "birth":
                    row["value_date"] = own["birth"]
                elif own_key:
                    row["value_text"] = own[own_key]
                elif varied_key == "apply_date":
                    row["value_date"] = vary["apply_date"]
                elif varied_key:
                    row["value_text"] = vary[varied_key]
                rows["person_field"].append(row)
            if t.check_fact:
                fact = dict(t.check_fact, person_id=pid, id_birth_date=own["birth"])
                if fact.get("training_hours") is not None:
                    fact["training_hours"] += (i % 7) - 3
                rows["check_fact"].append(fact)
            ids.append(pid)
        t_insert = time.perf_counter()
        for table in SEEDED:
            if rows[table]:
                db.session.execute(raw_table(table).insert(), rows[table])
        t_commit = time.perf_counter()
        db.session.commit()
        t_end = time.perf_counter()
        phase["build"] += t_insert - t_build
        phase["insert"] += t_commit - t_insert
        phase["commit"] += t_end - t_commit
    SEED_PHASES.update({k: SEED_PHASES.get(k, 0.0) + v for k, v in phase.items()})
    return ids


def after_seeding() -> None:
    """PostgreSQL: sequences past the explicit ids, and statistics for the planner."""
    from app.extensions import db
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("person", "process_instance"):
        db.session.execute(sa_text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa_text("ANALYZE"))


SEED_PHASES: dict[str, float] = {}


def verify_copies(person_ids) -> int:
    """Check copies as the app sees them: the state loads, its ready tasks are the person's inbox rows (and
    in task_ref, each id once in the whole table), step 1 data names the copy, the event hash chain
    verifies. Returns how many were checked."""
    import sqlalchemy as sa
    from app.events.models import Event
    from app.events.services import compute_hash, event_payload
    from app.extensions import db
    from app.inbox.models import HumanTask, TaskRef
    from app.people.models import Person
    from app.workflow import services

    for pid in person_ids:
        person = db.session.get(Person, pid)
        ctx = services.load(person)
        rows = db.session.scalars(sa.select(HumanTask).where(HumanTask.person_id == pid)).all()
        if sorted(t.id for t in ctx.ready) != sorted(r.task_id for r in rows) or \
                person.current_task not in {t.name for t in ctx.ready}:
            raise SystemExit(f"copy {pid}: ready tasks do not match its inbox rows")
        for r in rows:
            owners = db.session.scalars(sa.select(HumanTask.instance_id).where(HumanTask.task_id == r.task_id)).all()
            ref = db.session.scalar(sa.select(TaskRef.instance_id).where(TaskRef.task_id == r.task_id))
            if owners != [person.instance_id] or ref != person.instance_id:
                raise SystemExit(f"copy {pid}: task id {r.task_id} is not unique to its instance")
        key = application_key(ctx.instance.process_version_id)
        latest = next((t.data for t in services.engine.completed_tasks(ctx.wf) if key in t.data),
                      None) or services.engine.ready_tasks(ctx.wf, with_data=True)[0].data
        applied = latest[key]
        if (applied["name"], applied["id_number"], applied["org_id"], applied["birth_date"]) != (
                person.name, person.id_number, person.org_id, person.birth_date.isoformat()):
            raise SystemExit(f"copy {pid}: the application data in the engine state does not name the copy")
        prev = ""
        for ev in db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id)
                                     .order_by(Event.seq)):
            if ev.prev_hash != prev or compute_hash(event_payload(ev), prev) != ev.hash:
                raise SystemExit(f"copy {pid}: event chain broken at seq {ev.seq}")
            prev = ev.hash
    db.session.rollback()
    return len(person_ids)


def grant_sample_file(sha, branches):
    """The sample scan is visible to every branch, as if each had cited it (grant_to_org)."""
    import sqlalchemy as sa
    from app.attachments.models import Attachment
    from app.extensions import db
    source = db.session.scalar(sa.select(Attachment).where(Attachment.sha256 == sha).limit(1))
    have = set(db.session.scalars(sa.select(Attachment.org_path).where(Attachment.sha256 == sha)))
    for b in branches:
        if b.path not in have:
            db.session.add(Attachment(sha256=sha, filename=source.filename, mime=source.mime, size=source.size,
                                      org_path=b.path, uploaded_by=source.uploaded_by))
    db.session.commit()


# ---- HTTP -----------------------------------------------------------------------------------------

_META = re.compile(r'name="csrf-token" content="([^"]+)"')
_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _META.search(html) or _INPUT.search(html)
    if not match:
        raise SystemExit("no CSRF token on the page")
    return match.group(1)


def login(client, username, password):
    """The real login form, the captcha answered through the test hook (as tests/conftest.py does)."""
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    r = client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password,
                                         "captcha": answer})
    if r.status_code != 302:
        raise SystemExit(f"login of {username} failed: {r.status_code}")


_GRID = re.compile(r'<table class="grid[^"]*".*?</table>', re.S)


def grid(response) -> str:
    """The list table of a page (what a list shows, without the pager)."""
    match = _GRID.search(response.get_data(as_text=True))
    if response.status_code != 200 or not match:
        raise SystemExit(f"no list table: {response.status_code}")
    return match.group(0)


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000.0, result


def measure_get(client, url, repeat, warmup=3):
    for _ in range(warmup):
        client.get(url)
    times = []
    for _ in range(repeat):
        ms, r = timed(lambda: client.get(url))
        if r.status_code != 200:
            raise SystemExit(f"GET {url}: {r.status_code}")
        times.append(ms)
    return times


def prepare_post(client, person_id, step):
    url = f"/process/{person_id}/steps/{step}"
    ms, r = timed(lambda: client.get(url))
    html = r.get_data(as_text=True)
    if r.status_code != 200:
        raise SystemExit(f"GET {url}: {r.status_code}")
    return url, ms, csrf_from(html), dict(_HIDDEN.findall(html))


# *_cpu: this process's CPU time (time.process_time) in ms; in-process it is the app's own CPU, which other
# load on the machine does not inflate the way it inflates wall-clock times.
Action = namedtuple("Action", "post get follow whole post_cpu whole_cpu")


def post_completion(client, person_id, step, form) -> Action:
    """The user's whole action: GET the step page, POST the form, GET the page the redirect names.
    Returns the times in ms of the POST, of each GET and of the three together (wall clock)."""
    t0, c0 = time.perf_counter(), time.process_time()
    url, get_ms, token, hidden = prepare_post(client, person_id, step)
    if "version" not in hidden:
        raise SystemExit(f"{url}: no task form for this user")
    data = form.copy() if hasattr(form, "copy") else dict(form)
    data.update({"csrf_token": token, **hidden})
    c1 = time.process_time()
    ms, r = timed(lambda: client.post(url, data=data))
    post_cpu = (time.process_time() - c1) * 1000.0
    location = r.headers.get("Location", "")
    if r.status_code != 303 or not location.split("?", 1)[0].rstrip("/").endswith(f"/process/{person_id}"):
        body = r.get_data(as_text=True)
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)', body)[:5]
        raise SystemExit(f"POST {url}: {r.status_code} {location} {errors}")
    follow_ms, page = timed(lambda: client.get(location))
    if page.status_code != 200:
        raise SystemExit(f"GET {location} after the POST: {page.status_code}")
    return Action(ms, get_ms, follow_ms, (time.perf_counter() - t0) * 1000.0, post_cpu,
                  (time.process_time() - c0) * 1000.0)


class HttpResponse:
    """The parts of a test-client response the bench reads."""

    def __init__(self, status: int, headers, body: bytes):
        self.status_code, self.headers, self.data = status, headers, body

    def get_data(self, as_text=False):
        return self.data.decode("utf-8") if as_text else self.data

    def get_json(self):
        return json.loads(self.data)


class HttpClient:
    """A browser-like client over a real socket, kept cheap so that it takes little of the CPU it shares with
    the server: one keep-alive ``http.client`` connection (reopened when the server closes it, as gunicorn's
    sync workers do after each answer), the cookies the server sets, no redirects followed (the bench
    follows them itself, and times them)."""

    def __init__(self, base: str):
        host, _, port = base.removeprefix("http://").partition(":")
        self.base, self.conn, self.cookies = base, http.client.HTTPConnection(host, int(port)), {}

    def _request(self, method, url, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, url, body=body, headers=headers)
                r = self.conn.getresponse()
                body_bytes = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed the kept-alive connection between two requests: open a new one.
                self.conn.close()
                if attempt == 2:
                    raise
        for cookie in r.headers.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if r.headers.get("Connection", "").lower() == "close":
            self.conn.close()
        return HttpResponse(r.status, r.headers, body_bytes)

    def get(self, url):
        return self._request("GET", url)

    def post(self, url, data=None):
        return self._request("POST", url, urlencode(data or {}).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})


def process_cpu_seconds(pid: int) -> dict:
    """{pid: user + system CPU seconds} of process ``pid`` and each of its children (from /proc; a child that has
    exited no longer counts)."""
    tick, result = os.sysconf("SC_CLK_TCK"), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:   # fields[1]: the parent pid
            result[int(entry)] = (int(fields[11]) + int(fields[12])) / tick   # utime, stime
    return result


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by process ``pid`` and its children."""
    return sum(process_cpu_seconds(pid).values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving bench/wsgi_bench.py (the bench's app settings) on a free local port; a context
    manager that stops it (and only it) on exit."""

    def __init__(self, tmp: str, db_url: str | None, workers: int = 2, worker_class: str = "gthread",
                 threads: int = 2, extra: tuple = ()):
        self.tmp, self.db_url, self.workers = tmp, db_url, workers
        self.worker_class, self.threads, self.extra = worker_class, threads, tuple(extra)
        self.proc, self.port = None, None

    def __enter__(self):
        env = dict(os.environ, BENCH_TMP=self.tmp, BENCH_DB_URL=self.db_url or "")
        for attempt in range(3):
            self.port = free_port()
            cmd = [sys.executable, "-m", "gunicorn", "--chdir", os.path.dirname(os.path.abspath(__file__)),
                   "-w", str(self.workers), "-k", self.worker_class, "--threads", str(self.threads),
                   "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", *self.extra, "wsgi_bench:app"]
            self.proc = subprocess.Popen(cmd, env=env)
            deadline = time.time() + 60
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return self
                except OSError:
                    time.sleep(0.2)
            self.stop()
        raise SystemExit("gunicorn did not start")

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the gunicorn master and its workers (from /proc)."""
        return tree_cpu_seconds(self.proc.pid)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self.stop()


# ---- engine cycles ----------------------------------------------------------------------------------

def engine_cycles(state_text: str, task_id: str, payload: dict):
    """Bare SpiffWorkflow (embedded spec, standard serializer and script engine) and our engine module,
    each: load -> complete the task -> save. Returns the two cycle functions (each returns timings in
    ms: load, complete, save, cycle, and the saved size) and the sizes of the loaded texts."""
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from app.workflow import engine
    from app.workflow.expressions import HELPERS

    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    # The diagram calls span_days/add_years: the standard environment is given them as globals.
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment(dict(HELPERS)))
    embedded = serializer.serialize_json(engine.loads(state_text))
    tid = uuid.UUID(task_id)

    def bare():
        c0 = time.process_time()
        t0 = time.perf_counter()
        wf = serializer.deserialize_json(embedded)
        wf.script_engine = script_engine
        t1 = time.perf_counter()
        task = wf.get_task_from_id(tid)
        assert task.state == TaskState.READY and task.task_spec.manual
        task.data.update(json.loads(json.dumps(payload)))
        task.run()
        wf.do_engine_steps()
        t2 = time.perf_counter()
        out = serializer.serialize_json(wf)
        t3 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3, len(out), \
            (time.process_time() - c0) * 1e3

    def ours():
        c0 = time.process_time()
        t0 = time.perf_counter()
        wf = engine.loads(state_text)
        t1 = time.perf_counter()
        engine.complete(wf, task_id, json.loads(json.dumps(payload)))
        t2 = time.perf_counter()
        out = engine.dumps(wf)
        t3 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3, len(out), \
            (time.process_time() - c0) * 1e3

    return {"bare": bare, "ours": ours, "size_before": {"bare": len(embedded), "ours": len(state_text)}}


class CycleTimes:
    """Collects the (load, complete, save, cycle, size, cycle CPU) tuples of one kind of engine cycle."""

    def __init__(self, size_before):
        self.runs, self.size_before = [], size_before

    def summary(self):
        return {"load": [r[0] for r in self.runs], "complete": [r[1] for r in self.runs],
                "save": [r[2] for r in self.runs], "cycle": [r[3] for r in self.runs],
                "cycle_cpu": [r[5] for r in self.runs],
                "size_before": self.size_before, "size_after": self.runs[-1][4]}


# ---- profiling ----------------------------------------------------------------------------------------

class Profiler:
    """cProfile collected around chosen calls only (so a user action's three requests can be profiled apart,
    each in its real place in the sequence: cache state, session and flashed messages as a user has them)."""

    def __init__(self):
        self.prof, self.runs = cProfile.Profile(), 0

    def collect(self, fn):
        self.prof.enable()
        try:
            return fn()
        finally:
            self.prof.disable()
            self.runs += 1

    def report(self, label, top=30):
        out = io.StringIO()
        stats = pstats.Stats(self.prof, stream=out).strip_dirs().sort_stats("cumulative")
        stats.print_stats(top)
        stats.sort_stats("tottime").print_stats(top // 2)
        if os.environ.get("BENCH_PROFILE_DIR"):  # raw stats for pstats (callers, callees)
            self.prof.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], re.sub(r"\W+", "_", label) + ".prof"))
        print(f"\n===== profile: {label} ({self.runs} runs; by cumulative, then by own time) =====")
        print(out.getvalue())


def profile_call(label, fn, runs=20, top=30):
    profiler = Profiler()
    for _ in range(runs):
        profiler.collect(fn)
    profiler.report(label, top)


def sql_of(label, fn):
    """With BENCH_SQL_TRACE set: the statements ``fn`` runs, each with the app frames that issued it."""
    import traceback
    import sqlalchemy as sa
    seen = []

    def trace(conn, cursor, statement, parameters, context, executemany):
        frames = [f for f in traceback.extract_stack() if "/app/" in f.filename or "/forms/" in f.filename]
        where = " < ".join(f"{f.filename.rsplit('/app/', 1)[-1]}:{f.lineno}:{f.name}" for f in frames[-3:][::-1])
        seen.append(f"  {' '.join(statement.split())[:110]}\n      {where}")
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", trace)
    try:
        result = fn()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", trace)
    print(f"\n===== SQL of {label}: {len(seen)} statements =====")
    print("\n".join(seen))
    return result


# ---- main ------------------------------------------------------------------------------------------------

def add_database_options(parser):
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: a throwaway cluster started by scripts/pg_test.sh (or TEST_DATABASE_URL)")


def database_url(args, argv) -> str | None:
    """The PostgreSQL URL for --db postgresql. Without TEST_DATABASE_URL the script runs itself again under
    scripts/pg_test.sh, which starts a throwaway cluster, sets it, and drops the cluster afterwards."""
    if args.db == "sqlite":
        return None
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    script = os.path.join(ROOT, "scripts", "pg_test.sh")
    os.execvpe(script, [script, sys.executable, os.path.abspath(sys.argv[0]),
                        *(sys.argv[1:] if argv is None else argv)], dict(os.environ, STRICT="1"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=50)
    add_database_options(parser)
    parser.add_argument("--http", action="store_true",
                        help="requests over a socket to gunicorn started on a free port (else the test client)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers with --http")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class with --http (gthread keeps "
                        "the client's connection open; sync closes it after every answer)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker with --http")
    parser.add_argument("--gunicorn", default="", metavar="ARGS", help="other gunicorn options with --http "
                        "(e.g. --gunicorn=--worker-connections=2)")
    parser.add_argument("--review-task", help="review task approved in (c); default: the review of 集中培训")
    parser.add_argument("--edit-task", help="edit task submitted in (c); default: the 支部大会 step")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--profile", action="store_true", help="print cProfile of the measured requests "
                        "(in-process only)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (SQLite database) and print its path")
    args = parser.parse_args(argv)
    db_url = database_url(args, argv)

    tmp = tempfile.mkdtemp(prefix="dangyuan-bench-")
    try:
        return run(args, tmp, db_url)
    finally:
        if args.keep:
            print(f"database kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def application_key(version_id: int) -> str:
    """Where the application form's data lives in a version's task data."""
    from app.workflow.services import step_catalogue
    from forms import APPLICATION_FORM
    return next(s.data_key for s in step_catalogue(version_id) if s.form_key == APPLICATION_FORM)


def default_task(fact: str, review: bool = False) -> str:
    """The active diagram's task whose form feeds ``fact`` (or its review task): the measured positions are
    found by what the forms declare, so the benchmark follows a renumbered diagram."""
    from app.workflow.services import step_catalogue
    from app.workflow.versions import DEVELOPMENT, active_version
    from forms import feeds
    step = next(s for s in step_catalogue(active_version(DEVELOPMENT).id) if fact in feeds(s.form_key).values())
    return step.review_name if review else step.name


World = namedtuple("World", "orgs users branches order templates sha first seed_seconds walk_seconds checked")


def seed_world(persons: int) -> World:
    """Inside an app context on an empty database: the world, the template walk, ``persons`` copies spread
    over positions and branches, a sample of them verified. Shared by run.py, query.py, reports.py."""
    import sqlalchemy as sa
    from app.extensions import db
    from app.people.models import Person
    from app.timeutil import utcnow
    from app.workflow.models import ProcessInstance
    from app.workflow.versions import DEVELOPMENT, active_version

    orgs, users, branches = build_world()
    t0 = time.perf_counter()
    order, snaps, sha = walk_template(users, orgs["branch1"])
    t_walk = time.perf_counter() - t0
    tpl_person = snaps[order[0]]["person"]
    tpl = {"name": TEMPLATE_NAME, "id_number": tpl_person["id_number"],
           "birth_date": tpl_person["birth_date"].isoformat(), "org_id": tpl_person["org_id"],
           "person_id": tpl_person["id"]}
    app_key = application_key(active_version(DEVELOPMENT).id)
    templates = {name: PositionTemplate(snaps[name], tpl, app_key) for name in order}
    grant_sample_file(sha, branches)
    first = max(db.session.scalar(sa.select(sa.func.max(Person.id))) or 0,
                db.session.scalar(sa.select(sa.func.max(ProcessInstance.id))) or 0) + 1
    t0 = time.perf_counter()
    seed_persons(templates, order, branches, 0, persons, first, utcnow())
    t_seed = time.perf_counter() - t0
    after_seeding()
    checked = verify_copies([first + k for k in range(min(persons, 3 * len(order)))])
    return World(orgs, users, branches, order, templates, sha, first, t_seed, t_walk, checked)


def run(args, tmp, db_url=None) -> int:
    import sqlalchemy as sa

    from app.events.models import Event
    from app.extensions import db
    from app.inbox.models import HumanTask
    from app.people.models import Person, PersonField
    from app.checks.models import CheckFact
    from app.seed import DEMO_PASSWORD
    from app import server_gc
    from app.timeutil import utcnow
    from app.workflow import services, simulate
    from forms import get_form_class
    from forms.codec import to_formdata

    load_before = os.getloadavg()
    app = make_app(tmp, db_url)
    t_setup = time.perf_counter()
    with app.app_context():
        world = seed_world(args.persons)
        orgs, users, branches, order, templates, sha, first = world[:7]
        branch1 = next(b for b in branches if b.id == orgs["branch1"].id)
        usernames = {k: u.username for k, u in users.items()}
        args.review_task = args.review_task or default_task("training_sessions", review=True)
        args.edit_task = args.edit_task or default_task("admission_meeting_date")
        for name in (args.review_task, args.edit_task):
            if name not in templates:
                raise SystemExit(f"unknown task {name}; positions are {order}")
        now = utcnow()
        # Fresh persons for (c), in branch1 (committee1's scope), arriving most recently.
        spare = args.repeat + 3
        base = args.persons
        review_ids = seed_persons(templates, order, branches, base, spare, first + base, now,
                                  branch_override=branch1, only_position=args.review_task)
        edit_ids = seed_persons(templates, order, branches, base + spare, spare, first + base + spare, now,
                                branch_override=branch1, only_position=args.edit_task)
        after_seeding()

        def count(model, *where):
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
        sizes = {"persons": count(Person), "human_task": count(HumanTask), "events": count(Event),
                 "person_field": count(PersonField), "check_fact": count(CheckFact),
                 "branches": len(branches), "positions": len(order)}
        county_tasks = count(HumanTask, HumanTask.role.in_(["branch_admin", "committee_admin"]))
        stage3 = count(Person, Person.stage == 3, Person.status == "active")
        review_t, edit_t = templates[args.review_task], templates[args.edit_task]
        edit_form = to_formdata(get_form_class(edit_t.task.form_key), simulate.sample(edit_t.task.form_key, sha))
        edit_payload = {services.data_key(edit_t.task): simulate.sample(edit_t.task.form_key, sha),
                        "rule_errors": {}}
        review_payload = {"decision": "approve", "review_opinion": "同意"}
        from app.workflow.services import step_catalogue
        reviewed = {s.name for s in step_catalogue(review_t.instance["process_version_id"]) if s.review_name}
        db_bytes = database_bytes(tmp)
        db_version = db.session.scalar(sa_text(
            "SELECT version()" if db.engine.dialect.name == "postgresql" else "SELECT sqlite_version()"))
        db.session.remove()
        db.engine.dispose()
    t_setup = time.perf_counter() - t_setup
    print(f"setup: template walk {world.walk_seconds:.1f}s, bulk insert of {args.persons} persons "
          f"{world.seed_seconds:.1f}s, (python {SEED_PHASES['build']:.1f}s, insert {SEED_PHASES['insert']:.1f}s, "
          f"commit {SEED_PHASES['commit']:.1f}s), total {t_setup:.1f}s; database {db_bytes / 2**20:.0f} MiB; "
          f"{world.checked} copies verified (state loads, inbox rows, unique task ids, step-1 data, event chain)",
          flush=True)

    server = (Gunicorn(tmp, db_url, workers=args.workers, worker_class=args.worker_class, threads=args.threads,
                       extra=args.gunicorn.split()) if args.http else None)
    if server:
        server.__enter__()
    else:
        # This process serves the measured requests: its collector set as wsgi.py sets a server's
        # (GC_FREEZE=0 for CPython's defaults); the cycles measured beside the requests run under it too.
        server_gc.freeze_startup_objects(app.config["GC_FREEZE"])
    try:
        results, cycles = measure(args, app, server, usernames, DEMO_PASSWORD, review_ids, edit_ids,
                                  review_t, edit_t, review_payload, edit_payload, edit_form, reviewed)
    finally:
        if server:
            server.stop()
    load_after = os.getloadavg()

    with app.app_context():
        moved = db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(
            Person.id.in_(review_ids + edit_ids), Person.current_task.notin_([args.review_task, args.edit_task])))
        if moved != len(review_ids) + len(edit_ids):
            raise SystemExit(f"only {moved} of {len(review_ids) + len(edit_ids)} completions moved their person")
        db.session.remove()

    if args.profile and not server:
        profile_requests(args, app, usernames, DEMO_PASSWORD, templates, order, branches, branch1, first, spare,
                         review_t, edit_t, edit_form, reviewed)

    shape = " ".join(filter(None, [f"-w {args.workers} -k {args.worker_class} --threads {args.threads}", args.gunicorn]))
    transport = (f"HTTP, gunicorn {shape}, http.client"
                 if server else "in-process (Flask test client)")
    context = {"database": f"{args.db} {db_version.split(' on ')[0]}", "transport": transport,
               "load_before": load_before, "load_after": load_after,
               "cpus": os.cpu_count(), "date": utcnow().strftime("%Y-%m-%d %H:%M UTC")}
    report(args, sizes, county_tasks, stage3, results, cycles, review_t, edit_t, context)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"persons": args.persons, "repeat": args.repeat, "sizes": sizes, "county_tasks": county_tasks,
                       "stage3": stage3, "results": results, "cycles": cycles, "setup_seconds": t_setup,
                       "seed_seconds": world.seed_seconds, "db_bytes": db_bytes, "context": context}, fh,
                      ensure_ascii=False, indent=1)
    return 0


def measure(args, app, server, usernames, password, review_ids, edit_ids, review_t, edit_t, review_payload,
            edit_payload, edit_form, reviewed):
    """The pages and the completions, through the test client or over HTTP."""
    clients = {}
    for key in ("county:county_admin", "committee1:committee_admin", "branch1:branch_admin"):
        clients[key] = HttpClient(server.base) if server else app.test_client()
        login(clients[key], usernames[key], password)
    county, committee, branch = (clients["county:county_admin"], clients["committee1:committee_admin"],
                                 clients["branch1:branch_admin"])

    # What is measured must be a full page of real rows, not an error page or an empty list.
    for c, url in ((county, "/inbox/?view=below"), (county, "/people/?stage=3")):
        rows = grid(c.get(url)).count("<tr") - 1
        if rows != 20:
            raise SystemExit(f"{url} lists {rows} rows, expected a full page of 20")

    results = {}
    results["inbox_below"] = measure_get(county, "/inbox/?view=below", args.repeat)
    results["inbox_mine_committee"] = measure_get(committee, "/inbox/?view=mine", args.repeat)
    results["stage3_list"] = measure_get(county, "/people/?stage=3", args.repeat)
    results["stage3_list_page50"] = measure_get(county, "/people/?stage=3&page=50", args.repeat)
    results["inbox_mine_branch"] = measure_get(branch, "/inbox/?view=mine", args.repeat)
    results["stage3_list_branch"] = measure_get(branch, "/people/?stage=3", args.repeat)

    cycles = {}

    def complete_many(label, client, ids, t, form, payload):
        """Each action on a fresh person, interleaved with one bare and one engine.py cycle of the same
        task, so that load from other processes hits all three alike."""
        fns = engine_cycles(t.instance["state"], t.task.id, payload)
        times = {"bare": CycleTimes(fns["size_before"]["bare"]), "ours": CycleTimes(fns["size_before"]["ours"])}
        actions = []
        for k, pid in enumerate(ids):
            bare, ours = fns["bare"](), fns["ours"]()
            action = post_completion(client, pid, t.task.step, form)
            if k >= 3:    # the first three are warm-up
                times["bare"].runs.append(bare)
                times["ours"].runs.append(ours)
                actions.append(action)
        cycles[label] = {key: value.summary() for key, value in times.items()}
        for part in Action._fields:
            results[f"{label}_{part}"] = [getattr(a, part) for a in actions]

    complete_many("review", committee, review_ids, review_t, {"action": "approve", "opinion": "同意"}, review_payload)
    edit_form_data = edit_form.copy()
    edit_form_data["action"] = "report" if edit_t.task.name in reviewed else "submit"
    complete_many("edit", branch, edit_ids, edit_t, edit_form_data, edit_payload)
    return results, cycles


def profile_requests(args, app, usernames, password, templates, order, branches, branch1, first, spare,
                     review_t, edit_t, edit_form, reviewed):
    """cProfile listings of the measured requests, after the measurements (on fresh persons)."""
    from app.extensions import db
    from app.timeutil import utcnow
    clients = {}
    for key in ("county:county_admin", "committee1:committee_admin", "branch1:branch_admin"):
        clients[key] = app.test_client()
        login(clients[key], usernames[key], password)
    county, committee, branch = (clients["county:county_admin"], clients["committee1:committee_admin"],
                                 clients["branch1:branch_admin"])
    profile_call("GET /inbox/?view=below (county)", lambda: county.get("/inbox/?view=below"))
    profile_call("GET /people/?stage=3 (county)", lambda: county.get("/people/?stage=3"))
    edit_form_data = edit_form.copy()
    edit_form_data["action"] = "report" if edit_t.task.name in reviewed else "submit"
    n_prof = int(os.environ.get("BENCH_PROFILE_RUNS", "20"))  # persons (and runs) per profiled request
    base2 = args.persons + 2 * spare
    for k, (client, t, form) in enumerate((
            (committee, review_t, {"action": "approve", "opinion": "同意"}),
            (branch, edit_t, edit_form_data))):
        with app.app_context():
            ids = seed_persons(templates, order, branches, base2 + k * (n_prof + 1), n_prof + 1,
                               first + base2 + k * (n_prof + 1), utcnow(), branch_override=branch1,
                               only_position=t.task.name)
            after_seeding()
            db.session.remove()
        profilers = {"GET step page": Profiler(), "POST": Profiler(), "GET after the POST": Profiler()}
        for n, pid in enumerate(ids):
            if os.environ.get("BENCH_SQL_TRACE") and n == n_prof:
                # The last person's action under the SQL trace instead (not profiled).
                run = {what: (lambda fn, what=what: sql_of(f"{what} of {t.task.name}", fn)) for what in profilers}
            else:
                run = {what: profiler.collect for what, profiler in profilers.items()}
            url, _, token, hidden = run["GET step page"](lambda: prepare_post(client, pid, t.task.step))
            data = form.copy()
            data.update({"csrf_token": token, **hidden})
            r = run["POST"](lambda: client.post(url, data=data))
            assert r.status_code == 303
            assert run["GET after the POST"](lambda: client.get(r.headers["Location"])).status_code == 200
        for what, profiler in profilers.items():
            profiler.report(f"{what} of {t.task.name}", top=45 if what == "POST" else 30)


def report(args, sizes, county_tasks, stage3, results, cycles, review_t, edit_t, context):
    med = statistics.median

    def row(label, values, target=None):
        m, p = med(values), percentile(values, 0.95)
        verdict = "" if target is None else ("ok" if m < target else "MISSED")
        print(f"| {label:<62} | {m:8.2f} | {p:8.2f} | {verdict:<6} |")
        return m

    def ratio_row(label, value, target=None):
        verdict = "" if target is None else ("ok" if value <= target else "MISSED")
        print(f"| {label:<62} | {value:8.2f} | {'':>8} | {verdict:<6} |")

    print()
    print(f"{context['date']}; {context['database']}; {context['transport']}; {context['cpus']} CPUs; "
          f"load average before {context['load_before'][0]:.2f} / after {context['load_after'][0]:.2f} "
          f"(1 min; 5 min {context['load_after'][1]:.2f})")
    print(f"persons {sizes['persons']:,} (N={args.persons:,} spread over {sizes['positions']} task positions and "
          f"{sizes['branches']} branches, plus 2x{args.repeat + 3} for the completions) | "
          f"human_task rows {sizes['human_task']:,} | events {sizes['events']:,} | "
          f"person_field {sizes['person_field']:,} | check_fact {sizes['check_fact']:,} | "
          f"county inbox (below) {county_tasks:,} tasks | stage 3 {stage3:,} persons | repeat {args.repeat}")
    print()
    print(f"| {'what (ms)':<62} | {'median':>8} | {'p95':>8} | target |")
    print(f"|{'-' * 64}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    row("a. GET /inbox/?view=below, county admin", results["inbox_below"], PAGE_TARGET_MS)
    row("   GET /inbox/?view=mine, committee admin", results["inbox_mine_committee"], PAGE_TARGET_MS)
    row("b. GET /people/?stage=3, county admin", results["stage3_list"], PAGE_TARGET_MS)
    row("   GET /people/?stage=3&page=50, county admin", results["stage3_list_page50"], PAGE_TARGET_MS)
    row("   GET /inbox/?view=mine, branch admin (branch1)", results["inbox_mine_branch"], PAGE_TARGET_MS)
    row("   GET /people/?stage=3, branch admin (branch1)", results["stage3_list_branch"], PAGE_TARGET_MS)
    for label, t, cyc in (("review", review_t, cycles["review"]), ("edit", edit_t, cycles["edit"])):
        who = "committee admin approves" if label == "review" else "branch admin submits"
        post = row(f"c. POST {who} {t.task.name}", results[f"{label}_post"])
        row("   GET step page before the POST", results[f"{label}_get"])
        row("   GET the page the redirect names", results[f"{label}_follow"])
        whole = row("   whole user action: GET + POST + GET after the redirect", results[f"{label}_whole"])
        bare = row(f"d. bare Spiff load+complete+save ({cyc['bare']['size_before'] // 1024} KiB embedded)",
                   cyc["bare"]["cycle"])
        for part in ("load", "complete", "save"):
            row(f"     bare {part}", cyc["bare"][part])
        ours = row(f"   engine.py load+complete+save ({cyc['ours']['size_before'] // 1024} KiB by reference)",
                   cyc["ours"]["cycle"])
        for part in ("load", "complete", "save"):
            row(f"     engine.py {part}", cyc["ours"][part])
        ratio_row("e. ratio POST / engine.py cycle", post / ours, OWN_ENGINE_FACTOR)
        ratio_row("   ratio POST / bare cycle", post / bare)
        ratio_row("   ratio whole user action / bare cycle", whole / bare, COMPLETION_FACTOR)
        ratio_row("   ratio whole user action / engine.py cycle", whole / ours)
        if not args.http:  # in-process, this process's CPU is the app's: the same ratios in CPU time
            post_cpu, whole_cpu = med(results[f"{label}_post_cpu"]), med(results[f"{label}_whole_cpu"])
            ours_cpu, bare_cpu = med(cyc["ours"]["cycle_cpu"]), med(cyc["bare"]["cycle_cpu"])
            row("f. CPU time: POST", results[f"{label}_post_cpu"])
            row("   CPU time: whole user action", results[f"{label}_whole_cpu"])
            row("   CPU time: bare cycle", cyc["bare"]["cycle_cpu"])
            row("   CPU time: engine.py cycle", cyc["ours"]["cycle_cpu"])
            ratio_row("   CPU ratio POST / engine.py cycle", post_cpu / ours_cpu, OWN_ENGINE_FACTOR)
            ratio_row("   CPU ratio whole user action / bare cycle", whole_cpu / bare_cpu, COMPLETION_FACTOR)


if __name__ == "__main__":
    sys.exit(main())

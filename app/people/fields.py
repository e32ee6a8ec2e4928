"""The person-field projection: every scalar value of a person's step data as a row of ``person_field``.

The engine state is the record: each edit task keeps its form data in the task data under the key its
diagram declares (its ``dataKey`` property). So that 综合查询 can filter on
any field of any step, and statistics can group by any of them, each action also writes the values of the
step it touched into ``person_field`` (in the same transaction, from app/workflow/services.py), named
``<data key>.<field>``:

    field                          value_text            value_date
    <key>.ethnicity                '01' (the stored code) —
    <key>.native_place             '山东泰安'              —
    <key>.candidate_date           —                     2021-05-06
    <key>.introducers.name         '张三、李四'            —      (a repeating group's column, rows joined)
    <key>._date                    —                     2021-05-08   (the day the step was completed)

Select fields keep their stored value (民族 as its GB/T 3304 code, everything else the Chinese term).
Attachments are not projected. Field keys are never written in code: they come from the diagram's steps
(``step_field_defs``) and the forms' declarations.

Indexes: primary key (person_id, field); (field, value_text, person_id); (field, value_date, person_id) --
the last two answer "who has this value" from the index alone.
"""
import functools
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.db_setup import PIPELINED, upsert
from app.extensions import db
from app.people.models import PersonField

STEP_DATE = "_date"
TEXT_MAX = 500
GROUP_JOIN = "、"
_SCALAR_TYPES = {"string", "text", "select", "date", "integer", "decimal", "boolean"}


@dataclass(frozen=True)
class FieldDef:
    """One queryable field: ``key`` as stored in person_field, its label, type and choices.

    ``kind`` is text (free text), choice (a code list), date, number, or joined (a repeating group's
    column, several rows' values in one text).
    """
    key: str
    label: str
    group: str
    kind: str
    choices: tuple = ()
    step: int = 0


@functools.lru_cache(maxsize=None)
def _schema(form_key: str) -> tuple:
    from forms import get_form_class
    from forms.codec import schema
    return tuple(schema(get_form_class(form_key)))


def _kind(entry: dict) -> str | None:
    kind = entry["type"]
    if kind not in _SCALAR_TYPES or (kind == "select" and not entry.get("choices")):
        return None  # attachments, groups, and choices set at run time (org_id) are not fields of their own
    return {"string": "text", "text": "text", "select": "choice", "boolean": "choice", "date": "date",
            "integer": "number", "decimal": "number"}[kind]


def _text(value) -> str | None:
    if value in (None, "") or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)[:TEXT_MAX]


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def form_values(form_key: str, key: str, data: dict) -> dict[str, tuple[str | None, date | None]]:
    """field → (text, date) for the scalar values of one step's data (empty values left out)."""
    out: dict[str, tuple[str | None, date | None]] = {}
    for entry in _schema(form_key):
        name = entry["name"]
        if entry["type"] == "group":
            rows = data.get(name) if isinstance(data.get(name), list) else []
            for sub in entry.get("fields", ()):
                if sub["type"] not in _SCALAR_TYPES:
                    continue
                values = [_text(row.get(sub["name"])) for row in rows if isinstance(row, dict)]
                joined = GROUP_JOIN.join(v for v in values if v)
                if joined:
                    out[f"{key}.{name}.{sub['name']}"] = (joined[:TEXT_MAX], None)
            continue
        kind = _kind(entry)
        if kind is None:
            continue
        if kind == "date":
            day = _date(data.get(name))
            if day is not None:
                out[f"{key}.{name}"] = (None, day)
        else:
            text = _text(data.get(name))
            if text is not None:
                out[f"{key}.{name}"] = (text, None)
    return out


def _range(key: str):
    # Every field of a step sorts between "<key>." and "<key>/" ("/" follows "." in ASCII).
    field = PersonField.__table__.c.field
    return sa.and_(field >= key + ".", field < key + "/")


_FIELDS = PersonField.__table__.c
# One step's rows (between "<key>." and "<key>/"), with or without its done date: built once.
# Nobody reads their results (row counts included): PIPELINED (app/db_setup.py) lets the runner send them on
# without waiting for each reply.
_DELETE_STEP = sa.delete(PersonField.__table__).where(_FIELDS.person_id == sa.bindparam("person_id"),
                                                      _FIELDS.field >= sa.bindparam("lo"),
                                                      _FIELDS.field < sa.bindparam("hi")
                                                      ).execution_options(**PIPELINED)
_DELETE_STEP_KEEP_DATE = _DELETE_STEP.where(_FIELDS.field != sa.bindparam("done_field"))
# Built once too: a fresh ``insert()`` computes its cache key again on every execution.
_INSERT_FIELDS = sa.insert(PersonField.__table__).inline().execution_options(**PIPELINED)
_COLUMNS = tuple(_FIELDS.keys())   # person_id, field, value_text, value_date
_MARK_DONE = _COLUMNS, ("person_id", "field"), ("value_date",)
# PostgreSQL: the rows as one statement with an array per column. An executemany makes psycopg bind and execute
# each row (a 支部大会 step's rows cost 2.5 ms of client CPU that way, measured per statement); four arrays are
# dumped in one go. SQLite's executemany is a loop in C and stays.
_INSERT_FIELDS_ARRAYS = sa.text(
    f"INSERT INTO person_field ({', '.join(_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f':{name}' for name in _COLUMNS)})"
).bindparams(*(sa.bindparam(name, type_=sa.ARRAY(_FIELDS[name].type)) for name in _COLUMNS)
             ).execution_options(**PIPELINED)


def insert_field_rows(rows: list[dict]) -> None:
    """Write new person_field rows (dicts of person_id, field, value_text, value_date) in one statement."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" and len(rows) > 1:
        connection.execute(_INSERT_FIELDS_ARRAYS, {name: [row[name] for row in rows] for name in _COLUMNS})
    else:
        connection.execute(_INSERT_FIELDS, rows)


def project_step(person_id: int, key: str, form_key: str, data: dict, done: date | None = None, *,
                 replaces: bool = True) -> None:
    """Rewrite the projected values of one step (``key``: its data key) from its data: one DELETE and one
    INSERT of all its rows. Its done date stays, unless ``done`` gives a new one (a submit). ``replaces``
    False: the caller knows the step has no rows yet (its first visit), so there is nothing to delete."""
    # Core statements on the table, run on the session's connection: the ORM's bulk DML path and
    # Session.execute's dispatch cost more than the statements themselves (no autoflush applies to them).
    connection = db.session.connection()
    if replaces:
        connection.execute(_DELETE_STEP if done else _DELETE_STEP_KEEP_DATE,
                           {"person_id": person_id, "lo": key + ".", "hi": key + "/",
                            "done_field": f"{key}.{STEP_DATE}"})
    rows = [{"person_id": person_id, "field": field, "value_text": text, "value_date": day}
            for field, (text, day) in form_values(form_key, key, data or {}).items()]
    if done:
        rows.append({"person_id": person_id, "field": f"{key}.{STEP_DATE}", "value_text": None, "value_date": done})
    if rows:
        # Core, not the ORM's bulk insert: the ORM batches rows by which values are None, one statement
        # per run of text and date rows; Core sends them all in one statement.
        insert_field_rows(rows)


def project_imported_steps(person_id: int, steps: list[tuple[str, str, dict]], done: date) -> None:
    """The projected values of a new person's imported steps ((data key, form key, data) each), all done on
    ``done``: one INSERT for every step (nothing to delete, the person is new)."""
    rows = imported_step_rows(person_id, steps, done)
    if rows:
        insert_field_rows(rows)


def imported_step_rows(person_id: int, steps: list[tuple[str, str, dict]], done: date) -> list[dict]:
    """The person_field rows ``project_imported_steps`` writes (for a batch of imported persons)."""
    rows = [{"person_id": person_id, "field": field, "value_text": text, "value_date": day}
            for key, form_key, data in steps
            for field, (text, day) in form_values(form_key, key, data or {}).items()]
    rows += [{"person_id": person_id, "field": f"{key}.{STEP_DATE}", "value_text": None, "value_date": done}
             for key, _, _ in steps]
    return rows


def mark_step_done(person_id: int, key: str, day: date) -> None:
    """Record the day the step with data key ``key`` was completed (submitted, or approved where reviewed)."""
    db.session.connection().execute(upsert(PersonField.__table__, *_MARK_DONE),
                                    {"person_id": person_id, "field": f"{key}.{STEP_DATE}", "value_text": None,
                                     "value_date": day}, execution_options=PIPELINED)


def reopen_step(person_id: int, key: str, later_keys: list[str], *, held: bool = True) -> None:
    """The procedure was moved back to the step ``key``: the data of the steps after it (``later_keys``, in
    the diagram's order) left the engine, and the step is not done any more. Its own values stay while the
    reopened task still holds them (``held``); the engine's rewind gives the task the data it started with,
    without the step's own, and then they go too, so the rows mirror the task data as a rebuild would."""
    own = _range(key) if not held else PersonField.field == f"{key}.{STEP_DATE}"
    db.session.execute(sa.delete(PersonField).where(
        PersonField.person_id == person_id, sa.or_(own, *(_range(later) for later in later_keys))))


def step_field_defs(step_no: int, title: str, form_key: str, key: str, *, reviewed: bool = False) -> list[FieldDef]:
    """The queryable fields of one step (its form's scalar fields and group columns, then its done date);
    ``key`` is where the step keeps its data, the prefix of its fields."""
    group = f"{step_no}. {title}"
    out = []
    for entry in _schema(form_key):
        if entry["type"] == "group":
            for sub in entry.get("fields", ()):
                if sub["type"] in _SCALAR_TYPES:
                    out.append(FieldDef(f"{key}.{entry['name']}.{sub['name']}",
                                        f"{entry['label']}·{sub['label']}", group, "joined", step=step_no))
            continue
        kind = _kind(entry)
        if kind is None:
            continue
        choices = tuple((c["value"], c["label"]) for c in entry.get("choices", ()))
        if entry["type"] == "boolean":
            choices = (("是", "是"), ("否", "否"))
        out.append(FieldDef(f"{key}.{entry['name']}", entry["label"], group, kind, choices, step_no))
    out.append(FieldDef(f"{key}.{STEP_DATE}", "审核通过日期" if reviewed else "完成日期", group, "date",
                        step=step_no))
    return out

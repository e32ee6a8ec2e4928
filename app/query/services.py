"""综合查询: parse the conditions of the page, turn them into one SQL statement, page and sort the result.

Every value reaches the database as a bound parameter: field keys are looked up in the catalogue (never
put into SQL text), LIKE patterns are escaped (``autoescape``), and the sort is chosen from a fixed map.
Base fields are columns of ``person``; step fields and step dates are ``person_field`` rows. Each condition
on a person_field key is first read as ids on its (field, value) index, at most SMALL_SET + 1 of them: a
narrow condition becomes a list of ids (the lists intersected here); a broad one a filter on the person
row (the person column mirroring the field) or, without such a column, a probe of person_field per person.
The database then walks the persons and stops at COUNT_CAP + 1 matches, whatever the province's size: its
planner, which misjudges how many persons a (field, value) condition keeps, chooses no join order.
"""
import math
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.orgs.models import Organisation
from app.people.fields import FieldDef
from app.paging import COUNT_CAP, CallablePage
from app.people.models import Person, PersonField
from app.query import catalogue
from app.scope import path_prefix, select_in_scope

MAX_CONDITIONS = 30
MAX_VALUE_LENGTH = 100
PER_PAGE = 20
# A person_field condition matching at most this many rows is read as ids (see the module docstring).
SMALL_SET = 2000
SORTS = {
    "newest": ("最近添加", lambda: (Person.id.desc(),)),
    "name": ("姓名", lambda: (Person.name, Person.id)),
    "id_number": ("公民身份证号", lambda: (Person.id_number, Person.id)),
    "org": ("党组织", lambda: (Person.org_path, Person.id)),
    "apply_date": ("申请入党日期", lambda: (Person.apply_date, Person.id)),
    "category": ("人员类别", lambda: (Person.stage, Person.id)),
}


@dataclass
class Condition:
    """One row of the page: a field, a mode and the value(s); ``error`` is shown beside the row."""
    index: int
    key: str = ""
    mode: str = ""
    values: list[str] = field(default_factory=list)
    end: str = ""
    definition: FieldDef | None = None
    error: str = ""
    # Parsed values, set when the row is complete and valid.
    text: str = ""
    start_date: date | None = None
    end_date: date | None = None

    @property
    def active(self) -> bool:
        """True if the row filters anything (a valid field, mode and value)."""
        if self.error or self.definition is None:
            return False
        if self.mode == "multi":
            return bool(self.values)
        if self.mode == "range":
            return self.start_date is not None or self.end_date is not None
        if self.mode == "exact" and self.definition.kind == "date":
            return self.start_date is not None
        return bool(self.text)


def _parse_date(value: str) -> date | None:
    return date.fromisoformat(value.strip()) if value and value.strip() else None


def _check(cond: Condition) -> None:
    """Validate and parse one row in place (sets ``error`` with a Chinese message on bad input)."""
    definition = cond.definition
    if definition is None:
        if cond.key or any(v.strip() for v in cond.values):
            cond.error = "请选择查询条件"
        return
    if cond.mode not in catalogue.modes_for(definition):
        cond.error = f"“{definition.label}”不支持{catalogue.MODES.get(cond.mode, '该')}查询"
        return
    values = [v.strip() for v in cond.values if v.strip()]
    if any(len(v) > MAX_VALUE_LENGTH for v in values) or len(cond.end) > MAX_VALUE_LENGTH:
        cond.error = f"查询内容不能超过{MAX_VALUE_LENGTH}个字"
        return
    if definition.kind == "date":
        try:
            cond.start_date = _parse_date(values[0] if values else "")
            cond.end_date = _parse_date(cond.end) if cond.mode == "range" else None
        except ValueError:
            cond.error = "日期格式应为“年-月-日”，如 2020-01-02"
            return
        if cond.start_date and cond.end_date and cond.start_date > cond.end_date:
            cond.error = "开始日期不能晚于结束日期"
        return
    if definition.kind == "choice":
        allowed = {str(v) for v, _ in definition.choices}
        if any(v not in allowed for v in values):
            cond.error = "请从列表中选择"
            return
        if cond.mode == "exact":
            values = values[:1]
    cond.values = values
    cond.text = values[0] if values else ""
    if definition.key == "person.id_number":
        cond.text = cond.text.upper()


def parse_conditions(args) -> list[Condition]:
    """The rows posted by the page (``c<i>_f``, ``c<i>_m``, ``c<i>_v`` (several for 多选), ``c<i>_to``),
    each validated; the four base rows come first even when absent, so the page always shows them."""
    fields = catalogue.by_key()
    indexes = sorted({int(k[1:-2]) for k in args.keys()
                      if k.startswith("c") and k.endswith("_f") and k[1:-2].isdigit()})[:MAX_CONDITIONS]
    rows = []
    for i in indexes:
        key = (args.get(f"c{i}_f") or "").strip()
        definition = fields.get(key)
        mode = (args.get(f"c{i}_m") or "").strip()
        if definition is not None and not mode:
            mode = catalogue.modes_for(definition)[0]
        rows.append(Condition(index=i, key=key, mode=mode, values=args.getlist(f"c{i}_v"),
                              end=args.get(f"c{i}_to", ""), definition=definition))
    present = {c.key for c in rows}
    missing = [k for k in catalogue.BASE_KEYS if k not in present]
    next_index = max(indexes, default=-1) + 1
    for n, key in enumerate(missing):
        definition = fields[key]
        rows.insert(catalogue.BASE_KEYS.index(key), Condition(
            index=next_index + n, key=key, mode=catalogue.modes_for(definition)[0], definition=definition))
    for cond in rows:
        _check(cond)
    return rows


def _match(column, cond: Condition):
    """The SQL condition of one row on one column; every value a bound parameter."""
    if cond.mode == "fuzzy":
        return column.contains(cond.text, autoescape=True)
    if cond.mode == "prefix":
        return column.startswith(cond.text, autoescape=True)
    if cond.mode == "suffix":
        return column.endswith(cond.text, autoescape=True)
    if cond.mode == "multi":
        return column.in_(cond.values)
    if cond.mode == "range":
        parts = []
        if cond.start_date is not None:
            parts.append(column >= cond.start_date)
        if cond.end_date is not None:
            parts.append(column <= cond.end_date)
        return sa.and_(*parts)
    if cond.definition.kind == "date":
        return column == cond.start_date
    return column == cond.text


def _field_condition(key: str, cond: Condition):
    column = PersonField.value_date if cond.definition.kind == "date" else PersonField.value_text
    return sa.and_(PersonField.field == key, _match(column, cond))


def field_ids(cond: Condition) -> sa.Select | None:
    """SELECT person_id FROM person_field for one active row, or None for a person-only column."""
    # Base fields that one step alone feeds are also person_field rows: an index-only scan (see statement()).
    key = catalogue.copies().get(cond.definition.key, cond.definition.key)
    if key.startswith("person."):
        return None
    return sa.select(PersonField.person_id).where(_field_condition(key, cond))


def _person_column(cond: Condition):
    """The person column holding the row's field (a base field, or a step field mirrored on the person), or None."""
    key = cond.definition.key
    column = key.split(".", 1)[1] if key.startswith("person.") else catalogue.mirrors().get(key)
    return getattr(Person, column) if column else None


def _probe(cond: Condition):
    # OFFSET 0 keeps the EXISTS a per-person probe of person_field's primary key (person_id, field): the
    # planner may not turn it into a join over every person_field row of the field.
    key = catalogue.copies().get(cond.definition.key, cond.definition.key)
    return sa.exists(sa.select(sa.literal(1)).where(PersonField.person_id == Person.id,
                                                     _field_condition(key, cond)).offset(0))


def statement(user, conditions: list[Condition], org=None) -> sa.Select:
    """Persons in the user's scope (not cancelled nor closed) meeting every active condition; ``org`` (fetched
    through the scope helper, chosen in the tree) narrows them to its subtree.

    Each person_field condition is read first as at most SMALL_SET + 1 ids (an index-only range of (field,
    value)): the narrow ones are intersected here and bound the statement to those ids; the broad ones
    filter the person row (its mirroring column) or probe person_field per person. A condition on a
    person-only column (人员类别) filters the rows.
    """
    stmt = select_in_scope(Person, user).where(Person.status.not_in(("cancelled", "closed", "disqualified")))
    if org is not None:
        stmt = stmt.where(path_prefix(Person.org_path, org.path))
    narrow: set[int] | None = None
    for cond in conditions:
        if not cond.active:
            continue
        ids_select = field_ids(cond)
        column = _person_column(cond)
        if ids_select is None:
            stmt = stmt.where(_match(column, cond))
            continue
        ids = set(db.session.scalars(ids_select.limit(SMALL_SET + 1)))
        if len(ids) <= SMALL_SET:
            narrow = ids if narrow is None else narrow & ids
        elif column is not None:
            stmt = stmt.where(_match(column, cond))
        else:
            stmt = stmt.where(_probe(cond))
    if narrow is not None:
        stmt = stmt.where(Person.id.in_(sorted(narrow)))
    return stmt


def order_by(sort: str, descending: bool) -> tuple:
    """ORDER BY terms of a sort key from SORTS (unknown keys fall back to the newest first)."""
    terms = SORTS.get(sort, SORTS["newest"])[1]()
    if descending and sort in SORTS and sort != "newest":
        return tuple(t.desc() for t in terms)
    return terms


def capped_count(stmt: sa.Select, cap: int = COUNT_CAP) -> int:
    """How many rows ``stmt`` selects, counting no further than cap + 1."""
    inner = stmt.with_only_columns(Person.id).order_by(None).limit(cap + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(inner))


class ResultPage(CallablePage):
    """One page of results with each person's organisation chain (the branch first, then its ancestors).

    ``limited`` says the matches went past COUNT_CAP and only the first COUNT_CAP can be listed; the pager's
    own ``capped`` (page on while a page is full) does not apply, since the pages past the cap do not exist.
    """

    def __init__(self, *, rows: list, total: int, limited: bool, page: int, per_page: int):
        super().__init__(page=page, per_page=per_page, items=lambda offset, limit: rows, total=lambda: total)
        self.rows = rows
        self.limited = limited


def org_chains(persons) -> dict[int, list[str]]:
    """org id → names of the organisation and its ancestors, nearest first, in one query."""
    ids = {int(part) for p in persons for part in p.org_path.strip("/").split("/") if part}
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)
                                    .where(Organisation.id.in_(ids))).all()) if ids else {}
    return {p.org_id: [names.get(int(part), "") for part in reversed(p.org_path.strip("/").split("/"))]
            for p in persons}


def search(user, conditions: list[Condition], *, sort: str = "newest", descending: bool = False,
           page: int = 1, per_page: int = PER_PAGE, org=None) -> ResultPage:
    """One page of matching persons (under ``org`` if given), sorted, with the (capped) total."""
    stmt = statement(user, conditions, org)
    # The matching ids once (index-only where the conditions allow, at most COUNT_CAP + 1): their number is
    # the total, and below the cap the page is sorted from them instead of evaluating the conditions again.
    ids = list(db.session.scalars(stmt.with_only_columns(Person.id).order_by(None).limit(COUNT_CAP + 1)))
    capped = len(ids) > COUNT_CAP
    total = min(len(ids), COUNT_CAP)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    page_stmt = stmt if capped else select_in_scope(Person, user).where(Person.id.in_(ids))
    persons = list(db.session.scalars(page_stmt.options(selectinload(Person.org))
                                      .order_by(*order_by(sort, descending))
                                      .limit(per_page).offset((page - 1) * per_page))) if ids else []
    chains = org_chains(persons)
    return ResultPage(rows=[(p, chains.get(p.org_id, [])) for p in persons], total=total, limited=capped,
                      page=page, per_page=per_page)


def field_values(person_ids: list[int], keys: list[str]) -> dict[tuple[int, str], str]:
    """(person id, field key) → the value shown for it (choice labels, dates as ISO), in chunks."""
    definitions = catalogue.by_key()
    out: dict[tuple[int, str], str] = {}
    step_keys = [k for k in keys if not k.startswith("person.")]
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start:start + 500]
        if not chunk or not step_keys:
            continue
        for pid, key, text, day in db.session.execute(
                sa.select(PersonField.person_id, PersonField.field, PersonField.value_text, PersonField.value_date)
                .where(PersonField.person_id.in_(chunk), PersonField.field.in_(step_keys))):
            out[(pid, key)] = display(definitions.get(key), day.isoformat() if day else text)
    return out


def display(definition: FieldDef | None, value) -> str:
    """A stored value as the user reads it (a code list's label instead of its code)."""
    if value in (None, ""):
        return ""
    if definition is not None and definition.choices:
        return str(dict((str(v), label) for v, label in definition.choices).get(str(value), value))
    return str(value)

"""Due dates from the diagram: a user task may carry ``dueRule`` (R02 …), ``dueFrom`` (the date it counts
from: a person column or a check fact, e.g. ``apply_date``, ``admission_meeting_date``) and ``dueIn`` (``1M``,
``6M``, ``1Y``, ``30D``). A designer changes a deadline by editing these properties and deploying a version;
the code names no step.
"""
import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.checks.models import CheckFact
from app.extensions import db
from app.people.models import Person
from app.workflow import engine, expressions
from app.workflow.models import ProcessVersion

_DURATION = re.compile(r"^\s*(\d{1,3})\s*([YMD])\s*$", re.IGNORECASE)
# Days before the due date when a task counts as 即将到期 (and its reminder is sent).
SOON_DAYS = 7


@dataclass(frozen=True)
class Deadline:
    """One task's deadline as the diagram declares it."""
    rule: str
    base: str
    amount: int
    unit: str

    def due(self, start: date) -> date:
        """The due date counted from ``start``, in the diagram's own date arithmetic (``expressions``), so a
        deadline and a gateway never disagree about a month end."""
        if self.unit == "D":
            return date.fromisoformat(expressions.add_days(start, self.amount))
        months = self.amount * (12 if self.unit == "Y" else 1)
        return date.fromisoformat(expressions.add_months(start, months))


def parse(props: dict) -> Deadline | None:
    """The deadline a task's properties declare, or None (none, or not understood)."""
    match = _DURATION.match(props.get("dueIn") or "")
    base = (props.get("dueFrom") or "").strip()
    if not match or not base:
        return None
    return Deadline(rule=(props.get("dueRule") or "").strip(), base=base, amount=int(match.group(1)),
                    unit=match.group(2).upper())


def base_fields() -> list[str]:
    """The dates a deadline may count from: every date column of the person row and of its check facts."""
    return [column.name for model in (Person, CheckFact) for column in model.__table__.columns
            if isinstance(column.type, sa.Date)]


def property_problems(props: dict) -> list[str]:
    """What is wrong with a task's due-date properties, in Chinese ([] when none are set or all are right):
    a deadline the designer meant but ``parse`` would silently drop must be refused at activation."""
    given = {name: (props.get(name) or "").strip() for name in ("dueRule", "dueFrom", "dueIn")}
    if not any(given.values()):
        return []
    problems = []
    if not given["dueFrom"]:
        problems.append("设置了期限但缺少 dueFrom（期限从哪个日期算起）")
    elif given["dueFrom"] not in base_fields():
        problems.append(f"dueFrom“{given['dueFrom']}”不是人员或校验数据中的日期（可用：{'、'.join(base_fields())}）")
    if not given["dueIn"]:
        problems.append("设置了期限但缺少 dueIn（期限长度）")
    elif not _DURATION.match(given["dueIn"]):
        problems.append(f"dueIn“{given['dueIn']}”格式有误，应为数字加单位 Y/M/D，如 1M、6M、1Y、30D、0D")
    return problems


_CACHE: dict[int, dict[str, Deadline]] = {}


def deadlines(version_id: int) -> dict[str, Deadline]:
    """{task name: deadline} of a deployed version, cached by its id like the step catalogue: instances run on
    deployed versions, whose diagram never changes (an inbox row is written on nearly every action, so neither
    the version row nor its checksum is read again)."""
    if version_id not in _CACHE:
        version = db.session.get(ProcessVersion, version_id)
        specs = engine.user_task_specs(version.bpmn_xml, version.process_id)
        _CACHE[version_id] = {name: d for name, _, _, props in specs if (d := parse(props)) is not None}
    return _CACHE[version_id]


def due_bases() -> list[str]:
    """The names ``dueFrom`` may take: the person's date columns, then the check facts' (what ``base_date``
    reads), for the modeler's choice list."""
    names = []
    for model in (Person, CheckFact):
        names += [c.name for c in model.__table__.columns
                  if isinstance(c.type, sa.Date) and c.name not in names]
    return names


def base_date(person, name: str, facts: dict | None = None) -> date | None:
    """The date a deadline counts from: the person's column, else the person's check fact of that name
    (``facts``: the fact row's values when the caller holds them, a person not yet written)."""
    value = getattr(person, name, None)
    if value is None and hasattr(CheckFact, name):
        if facts is not None:
            value = facts.get(name)
        else:
            fact = db.session.get(CheckFact, person.id)
            value = getattr(fact, name, None) if fact is not None else None
    return value if isinstance(value, date) else None


def due_for(person, version_id: int, task_name: str, facts: dict | None = None) -> tuple[date | None, str]:
    """(due date, rule) of a ready task of the person, or (None, ''); ``facts`` as for ``base_date``."""
    deadline = deadlines(version_id).get(task_name)
    if deadline is None:
        return None, ""
    start = base_date(person, deadline.base, facts)
    return (deadline.due(start), deadline.rule) if start else (None, "")


def urgency(due: date | None, today: date) -> str:
    """'overdue', 'soon' (within SOON_DAYS) or '' — the colour of the 剩余天数 cell."""
    if due is None:
        return ""
    left = (due - today).days
    return "overdue" if left < 0 else ("soon" if left <= SOON_DAYS else "")

"""Keep ``check_fact`` in step with the step data, inside the transaction of each action.

``record_step`` is called by the person projection (``app.people.projection.apply_step_data``) with the
same form key and data, so every writer of step data (an action, a draft 保存, an edit of person data)
updates the facts just as it updates the person row. Which form field gives which fact is declared by the
forms (``feeds``); this module declares the facts it reads (``CHECK_FACTS``).
"""
from datetime import date, timedelta

from forms import feeds
from forms.validators import birth_date_from_id, id_number_error, sex_from_id

from app.checks.models import CheckFact
from app.db_setup import PIPELINED, upsert
from app.extensions import db

# Facts that are dates, copied into the check_fact column of the same name.
_DATE_FACTS = ("talk_date", "prereview_date", "admission_meeting_date", "oath_date", "conversion_meeting_date",
               "conversion_approval_date")
# Every fact the checks read from step data: the dates, the 转正 conclusion and extension, and the training
# sessions (summed into days and 学时).
CHECK_FACTS = (*_DATE_FACTS, "conversion_conclusion", "extension_months", "training_sessions")
# Person columns R17 compares with the ID number: a step feeding one of them recomputes the finding.
IDENTITY_COLUMNS = ("id_number", "birth_date", "sex")
_LONGEST_SESSION_DAYS = 366   # a typo in a year must not make a loop of millions of days


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def id_issue(id_number: str, birth_date: date | None, sex: str) -> str:
    """R17 on stored values: why the ID number is invalid or disagrees with birth date / sex, or ''."""
    error = id_number_error(id_number)
    if error:
        return "身份证号码无效"
    if birth_date is not None and birth_date_from_id(id_number) != birth_date:
        return "出生日期与身份证号码不一致"
    if sex and sex_from_id(id_number) != sex:
        return "性别与身份证号码不一致"
    return ""


def training_totals(sessions) -> tuple[int | None, int | None]:
    """(distinct days, total 学时) of 集中培训 sessions; (None, None) without sessions."""
    days: set[date] = set()
    hours = 0
    rows = [s for s in sessions or [] if isinstance(s, dict)]
    if not rows:
        return None, None
    for row in rows:
        start, end = _date(row.get("start_date")), _date(row.get("end_date"))
        if start and end and start <= end:
            span = min((end - start).days, _LONGEST_SESSION_DAYS)
            days.update(start + timedelta(days=k) for k in range(span + 1))
        try:
            hours += int(row.get("hours") or 0)
        except (TypeError, ValueError):
            pass
    return len(days), hours


def _months(value) -> int | None:
    return int(value) if isinstance(value, int) or str(value or "").isdigit() else None


def step_facts(person, form_key: str, data: dict) -> dict:
    """The fact values one step's data (a task with form ``form_key``) gives the person's fact row."""
    fed = feeds(form_key)
    values = {}
    if set(fed.values()) & set(IDENTITY_COLUMNS):
        values["id_birth_date"] = birth_date_from_id(person.id_number)
        values["id_issue"] = id_issue(person.id_number, person.birth_date, person.sex)
    for field, name in fed.items():
        if name in _DATE_FACTS:
            if field in data:
                values[name] = _date(data.get(field))
        elif name == "training_sessions":
            values["training_days"], values["training_hours"] = training_totals(data.get(field))
        elif name == "conversion_conclusion":
            values["conversion_conclusion"] = data.get(field) or ""
        elif name == "extension_months":
            values["extension_months"] = _months(data.get(field))
    return values


def record_step(person, form_key: str, data: dict) -> dict:
    """Copy what the logic checks need from one step's data (a task with form ``form_key``) into the
    person's fact row: one upsert of the facts the form feeds, nothing for a form that feeds none.
    Returns the facts written (their values are now the row's)."""
    values = step_facts(person, form_key, data)
    if not values:
        return values
    table = CheckFact.__table__
    row = {"person_id": person.id, "id_issue": "", **values}
    # On the session's connection: a Core statement needs none of Session.execute's ORM dispatch.
    db.session.connection().execute(upsert(table, tuple(row), ("person_id",), tuple(values)), row,
                                    execution_options=PIPELINED)
    return values

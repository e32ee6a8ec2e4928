"""Keep ``check_fact`` in step with the step data, inside the transaction of each action.

``record_step`` is called by the person projection (``app.people.projection.apply_step_data``) with the
same step key and data, so every writer of step data (an action, a draft 保存, an edit of person data)
updates the facts just as it updates the person row.
"""
from datetime import date, timedelta

from forms.validators import birth_date_from_id, id_number_error, sex_from_id

from app.checks.models import CheckFact
from app.extensions import db

# step data key → {form field: fact column} for plain date fields
_DATES = {
    "step02": {"talk_date": "talk_date"},
    "step13": {"review_date": "prereview_date"},
    "step15": {"meeting_date": "admission_meeting_date"},
    "step20": {"oath_date": "oath_date"},
    "step23": {"meeting_date": "conversion_meeting_date"},
}
_LONGEST_SESSION_DAYS = 366   # a typo in a year must not make a loop of millions of days


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def fact_for(person) -> CheckFact:
    """The person's fact row, created (and added to the session) on first use."""
    fact = db.session.get(CheckFact, person.id) if person.id else None
    if fact is None:
        fact = CheckFact(person_id=person.id, id_issue="")
        db.session.add(fact)
    return fact


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
    """(distinct days, total 学时) of step 11's training sessions; (None, None) without sessions."""
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


def record_step(person, key: str, data: dict) -> None:
    """Copy what the logic checks need from one step's data into the person's fact row."""
    fact = fact_for(person)
    if key == "step01":
        fact.id_birth_date = birth_date_from_id(person.id_number)
        fact.id_issue = id_issue(person.id_number, person.birth_date, person.sex)
    for field, column in _DATES.get(key, {}).items():
        if field in data:
            setattr(fact, column, _date(data.get(field)))
    if key == "step11":
        fact.training_days, fact.training_hours = training_totals(data.get("sessions"))
    if key == "step23":
        fact.conversion_conclusion = data.get("conclusion") or ""
        months = data.get("extension_months")
        fact.extension_months = int(months) if isinstance(months, int) or str(months or "").isdigit() else None

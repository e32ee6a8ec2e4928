"""The person row's mirror of step data, used by lists, queries and statistics.

Which form field feeds which column is declared by the forms (``feeds``); this module declares which
columns the person row mirrors, so a diagram is refused at activation when no task's form feeds one of them.
"""
from datetime import date

from forms import feeds

from app.people.models import Person

# The person columns copied from step data; a later step naming the same column (学历, 工作岗位) overwrites it.
# The membership dates of R31 (join_date, probation_end, full_member_date) are derived, not fed: see
# app/workflow/services.membership_dates.
PERSON_COLUMNS = ("name", "id_number", "sex", "ethnicity", "birth_date", "education", "phone", "apply_date",
                  "job", "activist_date", "candidate_date", "probationary_date")
_DATE_COLUMNS = {"birth_date", "apply_date", "activist_date", "candidate_date", "probationary_date"}


def apply_step_data(person: Person, form_key: str, data: dict) -> dict:
    """Copy the fields of one step's data (a task with form ``form_key``) that the person row mirrors, then
    the logic checks' facts; returns the facts written."""
    from app.checks.projection import record_step
    mirror_step_data(person, form_key, data)
    # Every writer of step data comes through here (actions, edits of person data), so the check facts
    # (app/checks) are kept in the same transaction as the person row, and see its new values (R17).
    return record_step(person, form_key, data)


def mirror_step_data(person: Person, form_key: str, data: dict) -> None:
    """Copy the fields of one step's data that the person row mirrors (no check facts: ``apply_step_data``
    adds them; the batch import collects them itself)."""
    for field, column in feeds(form_key).items():
        value = data.get(field)
        if column not in PERSON_COLUMNS or value in (None, ""):
            continue
        if column in _DATE_COLUMNS:
            value = date.fromisoformat(value) if isinstance(value, str) else value
        setattr(person, column, value)

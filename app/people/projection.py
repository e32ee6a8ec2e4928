"""Which step fields feed the person row used by lists, queries and statistics."""
from datetime import date

from app.people.models import Person

# step data key → {form field: person column}
STEP_FIELDS = {
    "step01": {"name": "name", "id_number": "id_number", "sex": "sex", "ethnicity": "ethnicity",
               "birth_date": "birth_date", "education": "education", "phone": "phone",
               "apply_date": "apply_date", "job": "job"},
    "step03": {"activist_date": "activist_date", "job": "job", "education": "education"},
    "step07": {"candidate_date": "candidate_date", "job": "job", "education": "education"},
    "step17": {"approval_date": "probationary_date", "job": "job", "education": "education"},
    "step24": {"approval_date": "full_member_date"},
}
_DATE_COLUMNS = {"birth_date", "apply_date", "activist_date", "candidate_date", "probationary_date",
                 "full_member_date"}


def apply_step_data(person: Person, key: str, data: dict) -> None:
    """Copy the fields of one step's data that the person row mirrors, and the logic checks' facts."""
    from app.checks.projection import record_step
    # Every writer of step data comes through here (actions, edits of person data), so the check facts
    # (app/checks) are kept in the same transaction as the person row.
    record_step(person, key, data)
    for field, column in STEP_FIELDS.get(key, {}).items():
        value = data.get(field)
        if value in (None, ""):
            continue
        if column in _DATE_COLUMNS:
            value = date.fromisoformat(value) if isinstance(value, str) else value
        setattr(person, column, value)

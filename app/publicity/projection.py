"""Keeps the 党务公开 notices in step with the development procedure (a projection of the runner)."""
from datetime import date

import sqlalchemy as sa
from forms import publicity_notice

from app.extensions import db
from app.publicity.models import PublicityNotice
from app.workflow import runner
from app.workflow.services import EDIT_ACTIONS, data_key, step_catalogue


@runner.projection("development")
def project_notice(change: runner.Change) -> None:
    """A step recording a publicity puts its notice on the board as soon as its dates are saved (manual:
    公示材料上传后系统会自动同步至 e 支部党务公开栏目); moving the person back takes later notices off."""
    action, task, person = change.event["action"], change.task, change.ctx.person
    if task is None or person is None:
        return
    if action in EDIT_ACTIONS and publicity_notice(task.form_key):
        key = data_key(task)
        _upsert(person, key, publicity_notice(task.form_key), change.event["data"].get(key) or {})
    elif action == "move_back":
        later = [s.data_key for s in step_catalogue(change.ctx.instance.process_version_id) if s.step > task.step]
        db.session.execute(sa.delete(PublicityNotice).where(PublicityNotice.person_id == person.id,
                                                            PublicityNotice.data_key.in_(later)))
    elif action == "transfer":
        db.session.execute(sa.update(PublicityNotice).where(PublicityNotice.person_id == person.id)
                           .values(org_id=person.org_id, org_path=person.org_path))


def _upsert(person, key: str, title: str, values: dict) -> None:
    start, end = values.get("publicity_start"), values.get("publicity_end")
    row = db.session.scalar(sa.select(PublicityNotice).where(PublicityNotice.person_id == person.id,
                                                             PublicityNotice.data_key == key))
    if not (start and end):
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = PublicityNotice(person_id=person.id, data_key=key)
        db.session.add(row)
    row.title, row.person_name = title, person.name
    row.org_id, row.org_path = person.org_id, person.org_path
    row.start_date, row.end_date = _as_date(start), _as_date(end)
    row.files = list(values.get("publicity_materials") or [])


def _as_date(value) -> date:
    # Step data holds dates as YYYY-MM-DD strings (forms/codec.py).
    return value if isinstance(value, date) else date.fromisoformat(value)

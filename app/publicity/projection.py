"""Keeps the 党务公开 notices in step with the development procedure (a projection of the runner), and tells
e支部 about every change the public would see (app/publicity/estation.py), in the same transaction."""
from datetime import date

import sqlalchemy as sa
from forms import publicity_notice

from app.db_setup import upsert
from app.extensions import db
from app.publicity import estation
from app.publicity.models import PublicityNotice
from app.timeutil import local_today, utcnow
from app.vocab import PersonStatus
from app.workflow import runner
from app.workflow.services import EDIT_ACTIONS, REVIEW_ACTIONS, data_key, step_catalogue

# Actions that may take the person out of the procedure (an outcome such as 停止发展 or 取消预备党员资格 rides on
# a submit or an approval; the last step completes it), and the ones that bring the person back.
_LEAVING = ("cancel", "suspend", *EDIT_ACTIONS, *REVIEW_ACTIONS)
_RETURNING = ("restore", "resume")


@runner.projection("development")
def project_notice(change: runner.Change) -> None:
    """A step recording a publicity puts its notice on the board as soon as its dates are saved (manual:
    公示材料上传后系统会自动同步至 e 支部党务公开栏目); moving the person back takes later notices off; a
    person leaving the procedure takes the notices off the board (the board lists active persons only)."""
    action, task, person = change.event["action"], change.task, change.ctx.person
    if person is None:
        return
    today = local_today()
    if task is not None and action in EDIT_ACTIONS and publicity_notice(task.form_key):
        key = data_key(task)
        _upsert(person, key, publicity_notice(task.form_key), change.event["data"].get(key) or {}, today)
    elif task is not None and action == "move_back":
        later = [s.data_key for s in step_catalogue(change.ctx.instance.process_version_id) if s.step > task.step]
        gone = _notices(person.id, PublicityNotice.data_key.in_(later))
        estation.withdraw(gone, today, "调整阶段")
        for notice in gone:
            db.session.delete(notice)
    elif action == "transfer":
        moved = _notices(person.id)
        for notice in moved:
            notice.org_id, notice.org_path = person.org_id, person.org_path
        estation.publish(moved, today)
    if person.status != PersonStatus.ACTIVE and action in _LEAVING:
        estation.withdraw(_notices(person.id), today, PersonStatus.label_of(person.status))
    elif person.status == PersonStatus.ACTIVE and action in _RETURNING:
        estation.publish(_notices(person.id), today)


def _notices(person_id: int, *where) -> list[PublicityNotice]:
    return list(db.session.scalars(sa.select(PublicityNotice).where(PublicityNotice.person_id == person_id, *where)
                                   .order_by(PublicityNotice.id)))


_WRITTEN = ("title", "person_name", "org_id", "org_path", "start_date", "end_date", "files")
# The notice of one step as one statement: inserted, or updated only where a value differs, and its id
# returned in either case (no row back: the notice was already as the step says).
_WRITE_NOTICE = upsert(PublicityNotice.__table__, ("person_id", "data_key", *_WRITTEN, "updated_at"),
                       ("person_id", "data_key"), (*_WRITTEN, "updated_at"), when_changed=_WRITTEN, returning="id")


def _upsert(person, key: str, title: str, values: dict, today: date) -> None:
    start, end = values.get("publicity_start"), values.get("publicity_end")
    if not (start and end):
        [row] = _notices(person.id, PublicityNotice.data_key == key) or [None]
        if row is not None:
            estation.withdraw([row], today, "公示信息已删除")
            db.session.delete(row)
        return
    fields = {"person_id": person.id, "data_key": key, "title": title, "person_name": person.name,
              "org_id": person.org_id, "org_path": person.org_path, "start_date": _as_date(start),
              "end_date": _as_date(end), "files": list(values.get("publicity_materials") or [])}
    written = db.session.execute(_WRITE_NOTICE, {**fields, "updated_at": utcnow()}).scalar()
    if written is None:
        return
    loaded = db.session.identity_map.get(sa.orm.util.identity_key(PublicityNotice, written))
    if loaded is not None:
        db.session.expire(loaded)  # read before in this session: the statement changed it underneath
    # A changed notice goes to e支部 again (the path alone changes only with the organisation's id).
    if person.status == PersonStatus.ACTIVE:
        estation.publish([loaded or PublicityNotice(id=written, **fields)], today)


def _as_date(value) -> date:
    # Step data holds dates as YYYY-MM-DD strings (forms/codec.py).
    return value if isinstance(value, date) else date.fromisoformat(value)

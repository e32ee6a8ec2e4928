"""Reading the record as it is stored, for verification and export.

Rows are read with Core selects into plain values, never through the ORM identity map, so that a
row altered behind the application's back (the very thing verification looks for) is seen as it is
in the database now.
"""
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa

from app.attachments.services import file_path as _attachment_path
from app.events.models import Event
from app.events.services import event_payload
from app.extensions import db
from app.people.models import Person
from app.realname.models import RealnameRequest
from app.movebacks.models import MoveBackRequest
from app.suspensions.models import ResumeRequest
from app.transfers.models import Transfer
from app.workflow import engine
from app.workflow.models import ProcessInstance, ProcessVersion

_EVENT_COLUMNS = ("id", "instance_id", "seq", "actor_id", "actor_name", "role", "org_id", "action", "task_name",
                  "task_pass", "data", "attachments", "created_at", "prev_hash", "hash")


def event_dicts(instance_id: int) -> list[dict]:
    """The instance's events as dicts, oldest first, exactly as stored."""
    table = Event.__table__
    rows = db.session.execute(sa.select(*(table.c[name] for name in _EVENT_COLUMNS))
                              .where(table.c.instance_id == instance_id).order_by(table.c.seq)).all()
    return [dict(row._mapping) for row in rows]


def event_payload_of(event: dict) -> dict:
    """The hashed fields of an event dict (the same function the event log uses when it writes)."""
    return event_payload(SimpleNamespace(**event))


def file_path(sha256: str) -> str:
    """Where an attachment's bytes are stored."""
    return _attachment_path(sha256)


@dataclass
class InstanceInfo:
    """The stored side of one instance, read fresh."""
    id: int
    state: str
    status: str
    process_version_id: int
    person_id: int | None
    person_name: str
    last_seq: int = 0       # the chain's end as the instance row holds it (the runner appends after it)
    last_hash: str = ""

    def version_problem(self, cache: dict) -> str:
        """A message if the instance's process version row no longer matches its own checksum."""
        try:
            version_source(self.process_version_id, cache)
        except LookupError as exc:
            return str(exc)
        return ""


def instance_row(instance_id: int) -> InstanceInfo:
    """The stored state, status and version of an instance, and whose it is."""
    table, people = ProcessInstance.__table__, Person.__table__
    row = db.session.execute(
        sa.select(table.c.id, table.c.state, table.c.status, table.c.process_version_id, table.c.last_seq,
                  table.c.last_hash, people.c.id.label("person_id"), people.c.name)
        .outerjoin(people, people.c.instance_id == table.c.id).where(table.c.id == instance_id)).one()
    return InstanceInfo(id=row.id, state=row.state, status=row.status, process_version_id=row.process_version_id,
                        person_id=row.person_id, person_name=row.name or "", last_seq=row.last_seq,
                        last_hash=row.last_hash)


def version_source(version_id: int, cache: dict) -> tuple[bytes, str]:
    """(diagram xml, process id) of a deployed version; LookupError if missing or altered."""
    if version_id not in cache:
        table = ProcessVersion.__table__
        row = db.session.execute(sa.select(table.c.bpmn_xml, table.c.process_id, table.c.checksum)
                                 .where(table.c.id == version_id)).first()
        if row is None:
            cache[version_id] = LookupError(f"流程版本 {version_id} 不存在")
        elif engine.checksum(row.bpmn_xml) != row.checksum:
            cache[version_id] = LookupError(f"流程版本 {version_id} 的定义与其校验值不符（定义被改动）")
        else:
            cache[version_id] = (bytes(row.bpmn_xml), row.process_id)
    value = cache[version_id]
    if isinstance(value, LookupError):
        raise value
    return value


def version_rows(version_ids) -> list[dict]:
    """Deployed versions as dicts (id, process id, version number, checksum, xml), for a bundle."""
    table = ProcessVersion.__table__
    rows = db.session.execute(sa.select(table.c.id, table.c.process_id, table.c.version, table.c.checksum,
                                        table.c.bpmn_xml).where(table.c.id.in_(list(version_ids)))
                              .order_by(table.c.id)).all()
    return [dict(row._mapping) for row in rows]


def instance_ids_under(org_path: str | None) -> list[int]:
    """Ids of the instances under ``org_path`` (every instance if None), in id order: each person's
    development instance, each 接续培养 request's own instance whose sending or receiving
    organisation lies under the path, and each 实名认证, 归国恢复 and 调整申请 request's instance under it."""
    from app.scope import path_prefix
    if not org_path:
        return list(db.session.scalars(sa.select(ProcessInstance.id).order_by(ProcessInstance.id)))
    people = sa.select(Person.instance_id).where(Person.instance_id.is_not(None),
                                                 path_prefix(Person.org_path, org_path))
    transfers = sa.select(Transfer.instance_id).where(Transfer.instance_id.is_not(None),
                                                      sa.or_(path_prefix(Transfer.from_org_path, org_path),
                                                             path_prefix(Transfer.to_org_path, org_path)))
    requests = sa.select(RealnameRequest.instance_id).where(RealnameRequest.instance_id.is_not(None),
                                                            path_prefix(RealnameRequest.org_path, org_path))
    resumes = sa.select(ResumeRequest.instance_id).where(path_prefix(ResumeRequest.org_path, org_path))
    movebacks = sa.select(MoveBackRequest.instance_id).where(path_prefix(MoveBackRequest.org_path, org_path))
    return sorted(set(db.session.scalars(people)) | set(db.session.scalars(transfers))
                  | set(db.session.scalars(requests)) | set(db.session.scalars(resumes))
                  | set(db.session.scalars(movebacks)))


def instance_ids_in_scope(user) -> list[int]:
    """Ids of the instances in ``user``'s scope, in id order (see ``instance_ids_under``)."""
    from app.scope import scope_path
    return instance_ids_under(scope_path(user))

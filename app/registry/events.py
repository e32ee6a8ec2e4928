"""The outbox's events: where they go, their kinds and labels, and the body the member registry receives (one
schema for OpenAPI and the simulator alike; e支部's notices are built in app/publicity/estation.py)."""
import uuid

from app.extensions import db
from app.jobs.queue import enqueue_after_commit
from app.orgs.models import Organisation
from app.people.models import Person
from app.registry.models import RegistryEvent
from app.timeutil import utcnow
from app.vocab.labelled import LabelledEnum


class Destination(LabelledEnum):
    """Where an outbox row is delivered; each has its URL and HMAC key in the config (delivery.ENDPOINTS)."""
    REGISTRY = ("registry", "党员信息管理系统")
    ESTATION = ("estation", "e支部")


class NoticeKind(LabelledEnum):
    """What e支部 is told about a 党务公开 notice (app/publicity/estation.py)."""
    PUBLISHED = ("notice.published", "公示发布")
    WITHDRAWN = ("notice.withdrawn", "公示撤下")


class EventKind(LabelledEnum):
    """What happened to a person, as the registry is told."""
    PROBATIONARY = ("probationary", "预备党员")
    FULL_MEMBER = ("full_member", "转正")
    PROBATION_REVOKED = ("probation_revoked", "取消预备党员资格")
    TRANSFER_OUT = ("transfer_out", "转出")
    TRANSFER_IN = ("transfer_in", "转入")


# R31 dates by the name the registry reads → the person column holding them (the development projection
# derives them: 入党日期 = the admitting 支部大会, 预备期满 = a year later plus any extension).
DATE_COLUMNS = {"join_date": "join_date", "probation_end_date": "probation_end", "full_member_date": "full_member_date"}

_ORG = {"type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                       "ancestors": {"type": "array", "items": {"type": "string"},
                                     "description": "上级党组织名称，由近及远"}}}
# The body of every outbound event.
EVENT_SCHEMA = {
    "type": "object",
    "required": ["event_id", "type", "occurred_at", "person", "organisation"],
    "properties": {
        "event_id": {"type": "string", "description": "幂等键，与请求头 Idempotency-Key 相同"},
        "type": {"type": "string", "enum": [k.value for k in EventKind],
                 "description": "; ".join(f"{k.value}={k.label}" for k in EventKind)},
        "occurred_at": {"type": "string", "format": "date-time", "description": "UTC"},
        "person": {"type": "object", "required": ["id", "id_number", "name"],
                   "properties": {"id": {"type": "integer"}, "id_number": {"type": "string"},
                                  "name": {"type": "string"}, "sex": {"type": "string"},
                                  "birth_date": {"type": "string", "format": "date", "nullable": True}}},
        "organisation": _ORG,
        "from_organisation": {**_ORG, "description": "转出/转入：原党组织"},
        "to_organisation": {**_ORG, "description": "转出/转入：接收党组织"},
        "dates": {"type": "object", "description": "R31 日期：入党日期、预备期满、转为正式党员日期",
                  "properties": {name: {"type": "string", "format": "date", "nullable": True}
                                 for name in DATE_COLUMNS}},
        "reason": {"type": "string"},
    },
}


def org_json(org: Organisation) -> dict:
    """An organisation as events carry it: id, name and the names of its parents, nearest first."""
    ancestors, parent = [], org.parent
    while parent is not None:
        ancestors.append(parent.name)
        parent = parent.parent
    return {"id": org.id, "name": org.name, "ancestors": ancestors}


def _dates(person: Person) -> dict:
    out = {}
    for name, column in DATE_COLUMNS.items():
        value = getattr(person, column)
        out[name] = value.isoformat() if value else None
    return out


def label_of(kind: str) -> str:
    """The Chinese name of any outbox kind (registry event or e支部 notice)."""
    return NoticeKind.label_of(kind) if kind.startswith("notice.") else EventKind.label_of(kind)


def add(kind: str, destination: str, payload: dict, *, person_id: int, person_name: str,
        org_path: str) -> RegistryEvent:
    """Add one outbox row (in the caller's transaction); ``payload`` must already carry its ``event_id``."""
    row = RegistryEvent(key=payload["event_id"], kind=kind, destination=destination, person_id=person_id,
                        person_name=person_name, org_path=org_path, payload=payload)
    db.session.add(row)
    return row


def envelope(kind: str) -> dict:
    """The fields every event body starts with: a fresh idempotency key, the type and the time."""
    return {"event_id": str(uuid.uuid4()), "type": kind,
            "occurred_at": utcnow().isoformat(timespec="seconds") + "Z"}


def deliver_after_commit(rows: list[RegistryEvent]) -> None:
    """Ask the worker to send ``rows`` once the transaction commits (those whose destination is configured)."""
    from app.registry.delivery import endpoint
    from app.registry.tasks import deliver_events
    sendable = [row for row in rows if endpoint(row.destination)]
    if sendable:
        db.session.flush()
        enqueue_after_commit(deliver_events, [row.id for row in sendable])


def record(kind: str, person: Person, org: Organisation, **extra) -> RegistryEvent:
    """Add one outbox row for ``person`` (in the caller's transaction); ``extra`` goes into the body."""
    payload = {**envelope(kind),
               "person": {"id": person.id, "id_number": person.id_number, "name": person.name, "sex": person.sex,
                          "birth_date": person.birth_date.isoformat() if person.birth_date else None},
               "organisation": org_json(org), "dates": _dates(person)}
    for name, value in extra.items():
        payload[name] = org_json(value) if isinstance(value, Organisation) else value
    return add(kind, Destination.REGISTRY.value, payload, person_id=person.id, person_name=person.name,
               org_path=org.path)

"""The events the member registry receives: their kinds, labels and body, one schema for OpenAPI and the
simulator alike."""
import uuid

from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.registry.models import RegistryEvent
from app.timeutil import utcnow
from app.vocab.labelled import LabelledEnum


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


def _org_json(org: Organisation) -> dict:
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


def record(kind: str, person: Person, org: Organisation, **extra) -> RegistryEvent:
    """Add one outbox row for ``person`` (in the caller's transaction); ``extra`` goes into the body."""
    key = str(uuid.uuid4())
    payload = {"event_id": key, "type": kind, "occurred_at": utcnow().isoformat(timespec="seconds") + "Z",
               "person": {"id": person.id, "id_number": person.id_number, "name": person.name, "sex": person.sex,
                          "birth_date": person.birth_date.isoformat() if person.birth_date else None},
               "organisation": _org_json(org), "dates": _dates(person)}
    for name, value in extra.items():
        payload[name] = _org_json(value) if isinstance(value, Organisation) else value
    row = RegistryEvent(key=key, kind=kind, person_id=person.id, person_name=person.name, org_path=org.path,
                        payload=payload)
    db.session.add(row)
    return row

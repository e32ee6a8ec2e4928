"""What the member registry asks of us (manual §2.12(2)(3)): 减少 and 组织关系转接, each idempotent.

Both are events of the person's own development process, recorded through the runner like every other
action (``workflow.services.run_on_person``): 减少 is a ``cancel`` (the person goes to the 历史库 under
停止发展 with the registry's reason), 转接 is a ``transfer`` (the person row, inbox rows and files follow to
the new branch; an approved transfer row gives the old branch its read-only record as of the move, as
after 接续培养). Their data carry ``registry_key``, so the outbox does not send them back.

Idempotency: the request's ``Idempotency-Key`` is claimed first of all, in the action's own transaction
(``INSERT … ON CONFLICT DO NOTHING``), and stored with the answer; the same key again gets the stored answer
(``replayed: true``) and changes nothing. The same key with another body is refused (422).

Concurrent repeats (the registry retrying while its first call still runs) act once and all get the first
call's answer: on PostgreSQL the second claim waits on the first's uncommitted key in the unique index, then
does nothing once the first commits and reads the stored answer (READ COMMITTED sees the committed row); if
the first was refused and rolled back, the second claims the key and acts. On SQLite the claim is preceded
by ``BEGIN IMMEDIATE``, so the second waits for the first's commit (busy timeout, 10 s) and then reads the
stored answer; only a first call still running after that answers 409 "正在处理中" (retry with the same key).
"""
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from app.db_setup import upsert
from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.registry.models import RegistryInbound
from app.scope import select_in_scope
from app.timeutil import utcnow
from app.transaction import begin_write
from app.transfers import services as transfers
from app.vocab import PersonStatus
from app.workflow import services as workflow
from forms.validators import normalize_id_number

REDUCTION, TRANSFER = "reduction", "transfer"


@dataclass
class Refused(Exception):
    """A request the registry must correct (the answer's status, message and per-field messages)."""
    status: int
    message: str
    fields: dict | None = None


def _request_hash(kind: str, body: dict) -> str:
    return hashlib.sha256(json.dumps([kind, body], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def handle(actor, kind: str, key: str, body: dict) -> tuple[dict, int]:
    """Answer one request of ``kind`` under idempotency ``key``: (JSON body, status)."""
    digest = _request_hash(kind, body)
    if not _claim(actor, kind, key, digest):
        seen = db.session.scalar(sa.select(RegistryInbound).where(RegistryInbound.key == key)
                                 .execution_options(populate_existing=True))
        if seen.request_hash != digest:
            raise Refused(422, "该幂等键已用于另一个请求", {"Idempotency-Key": "请为新的请求使用新的幂等键"})
        return dict(seen.response, replayed=True), seen.status_code
    response = ACTIONS[kind](actor, key, body)
    db.session.execute(sa.update(RegistryInbound).where(RegistryInbound.key == key).values(response=response))
    log_operation(actor, "registry.inbound", target=f"person:{response['person_id']}",
                  detail={"kind": kind, "key": key})
    return dict(response, replayed=False), 200


def _claim(actor, kind: str, key: str, digest: str) -> bool:
    """Insert the key's row unless it exists (waiting for a concurrent claim of the same key to finish);
    True when this request claimed it and must act."""
    try:
        begin_write()
    except OperationalError as exc:  # SQLite: another writer held the lock past the busy timeout
        if "locked" not in str(exc).lower():
            raise
        raise Refused(409, "该请求正在处理中，请稍后使用同一幂等键重试") from exc
    claim = upsert(RegistryInbound.__table__,
                   ("key", "kind", "request_hash", "status_code", "response", "user_id", "created_at"), ("key",))
    row = {"key": key, "kind": kind, "request_hash": digest, "status_code": 200, "response": {},
           "user_id": actor.id, "created_at": utcnow()}
    return db.session.execute(claim, row).rowcount == 1


def _person(actor, body: dict) -> Person:
    id_number = normalize_id_number(body.get("id_number"))
    if not id_number or not isinstance(id_number, str):
        raise Refused(422, "提交的数据有误", {"id_number": "请提供公民身份证号"})
    person = db.session.scalar(select_in_scope(Person, actor).where(
        Person.id_number == id_number, Person.status != PersonStatus.CLOSED).order_by(Person.id.desc()))
    if person is None:
        raise Refused(404, "未找到该人员，或不在本系统账号的管理范围内")
    if person.status != PersonStatus.ACTIVE:
        raise Refused(409, f"该人员当前为“{PersonStatus.label_of(person.status)}”，不在发展流程中")
    return person


def _reason(body: dict) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise Refused(422, "提交的数据有误", {"reason": "请填写减少原因"})
    return reason.strip()[:200]


def reduce(actor, key: str, body: dict) -> dict:
    """减少: the person leaves the procedure for the 历史库 (停止发展) with the registry's reason."""
    reason = _reason(body)
    person = _person(actor, body)
    workflow.run_on_person(actor, person, "cancel", {"reason": f"党员信息系统减少：{reason}", "registry_key": key})
    return {"person_id": person.id, "status": person.status, "status_label": PersonStatus.label_of(person.status)}


def transfer(actor, key: str, body: dict) -> dict:
    """组织关系转接: the record follows the person to the receiving branch."""
    to_org_id = body.get("to_org_id")
    if not isinstance(to_org_id, int) or isinstance(to_org_id, bool):
        raise Refused(422, "提交的数据有误", {"to_org_id": "请提供接收党支部的组织编号"})
    person = _person(actor, body)
    to_org = db.session.scalar(select_in_scope(Organisation, actor).where(Organisation.id == to_org_id))
    if to_org is None or to_org.level != "branch":
        raise Refused(422, "提交的数据有误", {"to_org_id": "接收组织须为本系统账号管理范围内的党支部"})
    if to_org.id == person.org_id:
        raise Refused(422, "提交的数据有误", {"to_org_id": "该人员已在此党支部"})
    from app.orgs.services import lock_tree
    lock_tree(shared=True)
    transfers.record_registry_transfer(actor, person, to_org, key)
    return {"person_id": person.id, "organisation": {"id": to_org.id, "name": to_org.name}}


ACTIONS = {REDUCTION: reduce, TRANSFER: transfer}

"""历史库 (manual §2.11): the lists of persons out of development within the user's scope, and the actions on them.

停止发展 lists cancelled persons with the reason, date and files of their last 取消发展 or 停止发展 event
(停止发展 is the diagram's decision: 公示未通过, 政审不合格…); 取消预备党员资格 the records the diagram ended that way
(R29/R30); 转出 the approved 接续培养 sent from the user's scope (opened as the record stood at the transfer);
恢复发展 every 恢复发展 and 归国恢复 event (when, by whom, why); 暂停发展 the 暂停发展-出国(境) rows
(app/suspensions); 已重新发展 records closed by 重新发展 (kept read-only); 已归档 completed records. The actions
themselves are the procedure's (app.workflow.services.restore / redevelop), so they are instance events like
every other step of the record.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.access.policy import allows
from app.events.models import Event
from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.paging import CallablePage, CappedPage
from app.scope import path_prefix, scope_condition, select_in_scope
from app.suspensions import services as suspensions
from app.transfers import services as transfers
from app.workflow import services as workflow

# Tab key -> (person status for lists of persons, tab label), in the manual's order.
KINDS = {
    "cancelled": ("cancelled", "停止发展"),
    "transferred": ("", "转出"),
    "restored": ("", "恢复发展"),
    "suspended": ("", "暂停发展"),
    "closed": ("closed", "已重新发展"),
    "completed": ("completed", "已归档"),
    "disqualified": ("disqualified", "取消预备党员资格"),
}
# The events that put a person back into development, listed under 恢复发展.
RESTORE_ACTIONS = ("restore", "resume")
# The events that put a person in each list, whose reason, date and files the list shows: 停止发展 is a
# 取消发展 by the branch or a 停止发展 the diagram decided (公示未通过, 政审不合格).
_REASON_EVENT = {"cancelled": ("cancel", "stop"), "closed": ("redevelop",), "disqualified": ("disqualify",)}


@dataclass
class ArchiveRow:
    person: Person
    reason: str = ""
    at: datetime | None = None
    attachments: tuple[str, ...] = ()


def may_act(actor) -> bool:
    """恢复发展 and 重新发展 are for county admins and above (manual §2.11.1, §2.11.2)."""
    return allows(actor, "archive", "restore")


def archive_page(actor, kind: str, page: int, name: str = "", org: Organisation | None = None):
    """One page of a 历史库 list (most recently changed first), with each row's reason, date and files;
    ``org`` (fetched through the scope helper) narrows it to that organisation's subtree."""
    per_page = current_app.config.get("PAGE_SIZE", 20)
    lists = {"transferred": transfers.sent_page, "suspended": suspensions.suspension_page, "restored": restored_page}
    if kind in lists:
        result = lists[kind](actor, name=name, org=org, page=page, per_page=per_page)
        result.rows = result.items
        return result
    status = KINDS[kind][0]
    stmt = select_in_scope(Person, actor).where(Person.status == status)
    if name.strip():
        stmt = stmt.where(Person.name.contains(name.strip(), autoescape=True))
    if org is not None:
        stmt = stmt.where(path_prefix(Person.org_path, org.path))
    stmt = stmt.order_by(Person.updated_at.desc(), Person.id.desc())
    result = CappedPage(stmt, page=page, per_page=per_page)
    result.rows = _rows(result.items, _REASON_EVENT.get(kind))
    return result


@dataclass
class RestoredRow:
    """One return to development: the person, how (恢复发展 or 归国恢复), when, by whom, why, with which files."""
    person: Person
    action: str
    at: datetime
    actor_name: str
    reason: str
    attachments: tuple[str, ...]


def restored_page(actor, *, name: str = "", org: Organisation | None = None, page: int = 1,
                  per_page: int = 20) -> CallablePage:
    """One page of 恢复发展: every 恢复发展 and 归国恢复 event of persons in scope, newest first."""
    base = (sa.select(Event, Person).join(Person, Person.instance_id == Event.instance_id)
            .where(Event.action.in_(RESTORE_ACTIONS), scope_condition(Person, actor)))
    if name.strip():
        base = base.where(Person.name.contains(name.strip(), autoescape=True))
    if org is not None:
        base = base.where(path_prefix(Person.org_path, org.path))

    def items(offset: int, limit: int) -> list[RestoredRow]:
        rows = db.session.execute(base.order_by(Event.created_at.desc(), Event.id.desc()).offset(offset).limit(limit))
        return [RestoredRow(person=p, action=e.action, at=e.created_at, actor_name=e.actor_name,
                            reason=(e.data or {}).get("reason", ""), attachments=tuple(e.attachments or ()))
                for e, p in rows]

    def total() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))

    return CallablePage(page=page, per_page=per_page, items=items, total=total)


def _rows(persons: list[Person], actions: tuple[str, ...] | None) -> list[ArchiveRow]:
    if not actions or not persons:
        return [ArchiveRow(person=p, at=p.updated_at if p.status == "completed" else None) for p in persons]
    instance_ids = [p.instance_id for p in persons]
    last = (sa.select(Event.instance_id, sa.func.max(Event.seq).label("seq"))
            .where(Event.instance_id.in_(instance_ids), Event.action.in_(actions))
            .group_by(Event.instance_id).subquery())
    events = db.session.scalars(sa.select(Event).join(
        last, sa.and_(Event.instance_id == last.c.instance_id, Event.seq == last.c.seq)))
    by_instance = {e.instance_id: e for e in events}
    rows = []
    for p in persons:
        event = by_instance.get(p.instance_id)
        rows.append(ArchiveRow(person=p, reason=(event.data or {}).get("reason", "") if event else "",
                               at=event.created_at if event else None,
                               attachments=tuple(event.attachments or ()) if event else ()))
    return rows


def restore(actor, person: Person, reason: str, attachments: list[str]) -> None:
    """恢复发展: the person returns to the state they had when stopped (an instance event)."""
    workflow.restore(actor, workflow.load(person), reason, attachments)


def redevelop(actor, person: Person, reason: str, attachments: list[str]) -> None:
    """重新发展: the record is closed and the ID number freed for a new application (an instance event)."""
    workflow.redevelop(actor, workflow.load(person), reason, attachments)

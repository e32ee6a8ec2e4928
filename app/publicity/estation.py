"""The e支部 feed of the 党务公开 board: each notice the board shows (or stops showing before its period ends)
becomes an outbox row for e支部, written in the transaction of the action that changed it and delivered by
the registry's worker (signed, retried, listed on the county's 推送记录 page).

The body is what the public board shows and nothing else: the name, the 拟 stage, the period, the
organisation and where to give feedback, and the material as links to the board's own public file URLs
(served only while the notice is listed). No ID number, phone, birth date or file name ever goes out.

e支部 keys a notice by ``notice.id``: ``notice.published`` creates or replaces it (again after a change of
dates, material or organisation, or when the person comes back to the procedure), ``notice.withdrawn``
takes it down early (dates cleared, 调整, 取消发展, 停止发展, 暂停发展 …). A notice that simply reaches the end of
its period is not withdrawn: e支部 shows it until ``period.end`` like the board does.
"""
from datetime import date

from flask import current_app

from app.extensions import db
from app.orgs.models import Organisation
from app.publicity.models import PublicityNotice
from app.publicity.services import FEEDBACK_TEXT
from app.registry import events
from app.registry.events import Destination, NoticeKind
from app.registry.models import RegistryEvent

_ORG = {"type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                       "ancestors": {"type": "array", "items": {"type": "string"},
                                     "description": "上级党组织名称，由近及远"}}}
# The body of every event sent to ESTATION_URL (OpenAPI component EstationNotice).
NOTICE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["event_id", "type", "occurred_at", "notice"],
    "properties": {
        "event_id": {"type": "string", "description": "幂等键，与请求头 Idempotency-Key 相同"},
        "type": {"type": "string", "enum": [k.value for k in NoticeKind],
                 "description": "notice.published=发布或更新（按 notice.id 覆盖）；notice.withdrawn=公示期内撤下"},
        "occurred_at": {"type": "string", "format": "date-time", "description": "UTC"},
        "reason": {"type": "string", "description": "notice.withdrawn：撤下原因"},
        "notice": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "name", "title", "period", "organisation", "feedback", "materials", "board_url"],
            "properties": {
                "id": {"type": "integer", "description": "公示编号（e支部据此更新或撤下）"},
                "name": {"type": "string", "description": "公示对象姓名"},
                "title": {"type": "string", "description": "公示事项（拟发展阶段）"},
                "period": {"type": "object", "required": ["start", "end"],
                           "properties": {"start": {"type": "string", "format": "date"},
                                          "end": {"type": "string", "format": "date",
                                                  "description": "公示期最后一天（北京时间），之后不再显示"}}},
                "organisation": _ORG,
                "feedback": {"type": "object", "required": ["text", "organisation"],
                             "properties": {"text": {"type": "string"},
                                            "organisation": {"type": "string", "description": "所在党支部"},
                                            "parent": {"type": "string", "nullable": True,
                                                       "description": "上级党组织"}}},
                "materials": {"type": "array", "description": "公示材料：党务公开栏目的公开链接（公示期内可访问）",
                              "items": {"type": "object", "required": ["url"],
                                        "properties": {"url": {"type": "string"}}}},
                "board_url": {"type": "string", "description": "所在党支部的党务公开栏目"},
            },
        },
    },
}


def _public_url(endpoint: str, **values) -> str:
    # Built from the URL map, not the request: the projection also runs in CLI commands and jobs.
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config.get("PUBLIC_BASE_URL", "") + path


def notice_json(notice: PublicityNotice) -> dict:
    """A notice exactly as the board shows it."""
    org = db.session.get(Organisation, notice.org_id)
    return {"id": notice.id, "name": notice.person_name, "title": notice.title,
            "period": {"start": notice.start_date.isoformat(), "end": notice.end_date.isoformat()},
            "organisation": events.org_json(org),
            "feedback": {"text": FEEDBACK_TEXT, "organisation": org.name,
                         "parent": org.parent.name if org.parent is not None else None},
            "materials": [{"url": _public_url("publicity.notice_file", notice_id=notice.id, number=number)}
                          for number in range(1, len(notice.files or []) + 1)],
            "board_url": _public_url("publicity.board", board_id=org.id)}


def visible_fields(notice: PublicityNotice) -> tuple:
    """What e支部 would show of a notice: a change of any of these is published again."""
    return (notice.title, notice.person_name, notice.org_id, notice.start_date, notice.end_date,
            tuple(notice.files or []))


def _send(kind: str, notice: PublicityNotice, today: date, reason: str = "") -> RegistryEvent | None:
    if notice.end_date < today:  # over: neither the board nor e支部 shows it any more
        return None
    db.session.flush()  # a new notice needs its id
    payload = {**events.envelope(kind), "notice": notice_json(notice)}
    if reason:
        payload["reason"] = reason
    return events.add(kind, Destination.ESTATION.value, payload, person_id=notice.person_id,
                      person_name=notice.person_name, org_path=notice.org_path)


def publish(notices: list[PublicityNotice], today: date) -> None:
    """Send ``notice.published`` for each notice not yet over (after the caller's transaction commits)."""
    events.deliver_after_commit([row for n in notices if (row := _send(NoticeKind.PUBLISHED.value, n, today))])


def withdraw(notices: list[PublicityNotice], today: date, reason: str) -> None:
    """Send ``notice.withdrawn`` for each notice not yet over (call before deleting the rows)."""
    events.deliver_after_commit([row for n in notices
                                 if (row := _send(NoticeKind.WITHDRAWN.value, n, today, reason))])

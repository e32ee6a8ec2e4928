"""The shapes every endpoint of /api/v1 answers with: one organisation, one person, one page of a list, one
file — and the query parameters every list reads (``page``, ``per_page``, bounded text).

One function per shape, used by every endpoint module, so a person or an organisation looks the same
wherever it appears; the OpenAPI schemas of the same names are registered here beside them.
"""
from datetime import date, datetime

from flask import request

from app.api.errors import api_error
from app.api.openapi import ref, register_schema
from app.vocab import PersonStatus

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_TEXT = 100
# The procedure's dates, with R31's 入党日期 (join_date), 预备期满 (probation_end) and 转为正式党员日期 (full_member_date).
PERSON_DATES = ("apply_date", "activist_date", "candidate_date", "probationary_date", "join_date", "probation_end",
                "full_member_date")


def iso_utc(value: datetime | None) -> str | None:
    """A stored naive-UTC timestamp as ISO 8601 with ``Z``."""
    return value.isoformat(timespec="seconds") + "Z" if value else None


def iso_date(value: date | None) -> str | None:
    """A date as ``YYYY-MM-DD`` (None stays None)."""
    return value.isoformat() if value else None


def organisation_json(org) -> dict:
    """THE organisation shape."""
    return {"id": org.id, "name": org.name, "level": org.level, "level_label": org.level_label,
            "path": org.path, "parent_id": org.parent_id}


def person_json(person) -> dict:
    """THE person shape (lists, the full record, action results, transfers)."""
    return {
        "id": person.id, "name": person.name, "id_number": person.id_number, "sex": person.sex,
        "category": person.category, "stage": person.stage, "stage_label": person.stage_label,
        "current_step": person.current_step, "current_task": person.current_task,
        "review_status": person.review_status, "status": person.status,
        "status_label": PersonStatus.label_of(person.status),
        "organisation": organisation_json(person.org),
        "dates": {name: iso_date(getattr(person, name)) for name in PERSON_DATES},
        "updated_at": iso_utc(person.updated_at),
    }


def file_json(row) -> dict:
    """A stored file as a record cites it; ``url`` downloads it with the same token."""
    return {"sha256": row.sha256, "filename": row.filename, "mime": row.mime, "size": row.size,
            "url": f"/api/v1/attachments/{row.sha256}"}


def page_args() -> tuple[int, int]:
    """``page`` (≥ 1) and ``per_page`` (1…100) of a list request; absent or unreadable → 1 and 20, like the pages."""
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", DEFAULT_PER_PAGE, type=int)
    if page < 1:
        api_error(422, fields={"page": "page 须为正整数"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        api_error(422, fields={"per_page": f"per_page 须在1到{MAX_PER_PAGE}之间"})
    return page, per_page


def text_arg(name: str, default: str = "", max_length: int = MAX_TEXT) -> str:
    """A free-text query parameter, stripped; longer than ``max_length`` → 422 (NUL is refused before)."""
    value = request.args.get(name, default).strip()
    if len(value) > max_length:
        api_error(422, fields={name: f"{name} 不能超过{max_length}个字符"})
    return value


def page_json(page, items: list) -> dict:
    """One page of a list: ``items`` already shaped, with the paging fields every list carries."""
    return {"items": items, "page": page.page, "per_page": page.per_page, "pages": page.pages,
            "total": page.total or 0, "total_is_lower_bound": bool(getattr(page, "capped", False))}


def page_schema(item: dict) -> dict:
    """The OpenAPI schema of a page of ``item``."""
    return {"type": "object", "required": ["items", "page", "per_page", "total", "total_is_lower_bound"],
            "properties": {"items": {"type": "array", "items": item}, "page": {"type": "integer"},
                           "per_page": {"type": "integer"}, "pages": {"type": "integer"},
                           "total": {"type": "integer"},
                           "total_is_lower_bound": {"type": "boolean",
                                                    "description": "true：计数在上限处停止，total 为下限"}}}


PAGE_PARAMS = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
               {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": MAX_PER_PAGE}}]


def query_param(name: str, description: str = "", schema: dict | None = None) -> dict:
    """An optional query parameter for the OpenAPI document (free text unless ``schema`` says otherwise)."""
    return {"name": name, "in": "query", "description": description,
            "schema": schema or {"type": "string", "maxLength": MAX_TEXT}}


_NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}
register_schema("Organisation", {
    "type": "object", "required": ["id", "name", "level", "path"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "level": {"type": "string",
                             "enum": ["province", "city", "county", "committee", "branch", "group"]},
                   "level_label": {"type": "string"},
                   "path": {"type": "string", "description": "自根向下的组织id路径，如 /1/5/12/"},
                   "parent_id": {"type": "integer", "nullable": True}},
})
register_schema("Person", {"type": "object", "required": ["id", "name", "status", "organisation"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "id_number": {"type": "string"},
    "sex": {"type": "string"}, "category": {"type": "string"}, "stage": {"type": "integer"},
    "stage_label": {"type": "string"}, "current_step": {"type": "integer"}, "current_task": {"type": "string"},
    "review_status": {"type": "string"}, "status": {"type": "string", "enum": sorted(PersonStatus.values())},
    "status_label": {"type": "string", "description": "状态的中文名"},
    "organisation": ref("Organisation"),
    "dates": {"type": "object", "properties": {name: _NULLABLE_DATE for name in PERSON_DATES}},
    "updated_at": {"type": "string", "format": "date-time", "nullable": True}}})
register_schema("File", {"type": "object", "required": ["sha256", "url"], "properties": {
    "sha256": {"type": "string"}, "filename": {"type": "string"}, "mime": {"type": "string"},
    "size": {"type": "integer"}, "url": {"type": "string", "description": "带同一令牌 GET 下载"}}})


_HASH_TEXT = "0123456789abcdef"


def body_text(body: dict, name: str, max_length: int = 500, required: bool = False) -> str:
    """A text field of a JSON body, stripped: not a string → 422, longer than ``max_length`` → 422; a required
    one left empty is the service's business (it knows the message, e.g. 请填写停止发展原因)."""
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        api_error(422, fields={name: f"{name} 须为字符串"})
    if len(value) > max_length:
        api_error(422, fields={name: f"{name} 不能超过{max_length}个字符"})
    if required and not value.strip():
        api_error(422, fields={name: f"请填写{name}"})
    return value.strip()


def body_hashes(body: dict, name: str = "attachments") -> list[str]:
    """A list of uploaded files' sha256 (from ``POST /attachments``); anything else → 422."""
    value = body.get(name) or []
    if not isinstance(value, list) or len(value) > 20 or not all(
            isinstance(h, str) and len(h) == 64 and set(h) <= set(_HASH_TEXT) for h in value):
        api_error(422, fields={name: f"{name} 须为至多20个文件 sha256 的列表"})
    return value


def body_version(body: dict) -> int | None:
    """The optional ``version`` the caller read (a mismatch is a 409)."""
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        api_error(422, fields={"version": "version 须为整数"})
    return version


REASON_BODY = {"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": 500},
    "attachments": {"type": "array", "maxItems": 20, "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "description": "POST /attachments 返回的 sha256"}}}

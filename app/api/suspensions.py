"""暂停发展-出国(境), 归国恢复 and the 接续培养 sender's side over the API: the same services as the pages.

Role first (the access policy, 403), then scope (404): a suspension, a 归国恢复申请 or a sent transfer outside
the caller's organisation is answered as if it did not exist.
"""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body
from app.api.openapi import json_request, path_param, ref, register_path, register_schema, responses
from app.orgs.models import Organisation
from app.people.models import Person
from app.scope import get_in_scope
from app.suspensions import services
from app.suspensions.models import ResumeRequest, Suspension
from app.transaction import CONFLICT_MESSAGE
from app.transfers import services as transfers
from app.vocab import ResumeStatus, SuspensionStatus
from app.workflow.errors import Conflict, WorkflowError

_TAGS = ["暂停发展与归国恢复"]


def iso_utc(value) -> str | None:
    # Stored times are naive UTC (app.api.views is not imported here: it imports this module).
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _refuse(exc: WorkflowError):
    if isinstance(exc, Conflict):
        api_error(409, CONFLICT_MESSAGE)
    api_error(exc.status, exc.message, exc.fields or None)


def _request_json(row: ResumeRequest) -> dict:
    return {"id": row.id, "suspension_id": row.suspension_id, "status": row.status,
            "status_label": ResumeStatus.label_of(row.status), "opinion": row.opinion,
            "reported_at": iso_utc(row.reported_at),
            "committee": {"decision": row.committee_decision, "opinion": row.committee_opinion,
                          "at": iso_utc(row.committee_at)},
            "county": {"decision": row.county_decision, "opinion": row.county_opinion, "at": iso_utc(row.county_at)},
            "version": services.instance_version(row)}


def _suspension_json(row: Suspension, latest: ResumeRequest | None = None) -> dict:
    return {"id": row.id, "person_id": row.person_id, "person_name": row.person_name,
            "organisation": {"id": row.org_id, "name": row.org.name if row.org else ""},
            "reason": row.reason, "destination": row.destination,
            "expected_from": row.expected_from.isoformat() if row.expected_from else None,
            "expected_to": row.expected_to.isoformat() if row.expected_to else None,
            "attachments": list(row.attachments or []), "status": row.status,
            "status_label": SuspensionStatus.label_of(row.status), "suspended_at": iso_utc(row.suspended_at),
            "resumed_at": iso_utc(row.resumed_at),
            "resume_status_label": services.resume_status_label(latest),
            "latest_request": _request_json(latest) if latest is not None else None}


def _version(body: dict, required: bool = False) -> int | None:
    version = body.get("version")
    if version is None and required:
        api_error(422, fields={"version": "请提供 version（查看时得到的版本号）"})
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        api_error(422, fields={"version": "version 须为整数"})
    return version


def _text(body: dict, name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        api_error(422, fields={name: f"{name} 须为字符串"})
    return value


@bp.get("/suspensions")
def suspension_list():
    """历史库 → 暂停发展: suspensions in scope, newest first; ``name`` and ``org_id`` filter."""
    user = api_user()
    org_id = request.args.get("org_id", type=int)
    org = get_in_scope(Organisation, org_id, user) if org_id else None
    per_page = max(1, min(request.args.get("per_page", 20, type=int), 100))
    page = services.suspension_page(user, name=request.args.get("name", ""), org=org,
                                    page=max(1, request.args.get("page", 1, type=int)), per_page=per_page)
    return jsonify(items=[_suspension_json(s, r) for s, r in page.items], page=page.page, per_page=per_page,
                   total=page.total, total_is_lower_bound=False)


@bp.get("/suspensions/<int:suspension_id>")
def suspension_get(suspension_id: int):
    """One suspension with every 归国恢复申请 (oldest first)."""
    row = services.get_suspension(api_user(), suspension_id)
    requests = services.requests_of(row)
    latest = requests[-1] if requests else None
    return jsonify(suspension=_suspension_json(row, latest), requests=[_request_json(r) for r in requests])


@bp.post("/people/<int:person_id>/suspension")
def suspension_create(person_id: int):
    """暂停发展-出国(境): reason, destination, expected period (ISO dates), attachment hashes."""
    user = api_user()
    person = get_in_scope(Person, person_id, user)
    body = json_body()
    hashes = body.get("attachments") or []
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        api_error(422, fields={"attachments": "attachments 须为附件 sha256 的列表"})
    fields = {name: _text(body, name) for name in ("reason", "destination", "expected_from", "expected_to")}
    try:
        row = services.suspend(user, person, attachments=hashes, **fields)
    except WorkflowError as exc:
        _refuse(exc)
    return jsonify(suspension=_suspension_json(row)), 201


@bp.post("/suspensions/<int:suspension_id>/resume-requests")
def resume_request_create(suspension_id: int):
    """【归国恢复申请】 with the branch's opinion: waits for 基层党委审核."""
    user = api_user()
    row = services.get_suspension(user, suspension_id)
    opinion = _text(json_body(), "opinion")
    try:
        created = services.apply_resume(user, row, opinion)
    except WorkflowError as exc:
        _refuse(exc)
    return jsonify(request=_request_json(created)), 201


@bp.post("/resume-requests/<int:resume_id>/decision")
def resume_request_decide(resume_id: int):
    """基层党委审核 or 县级审核 (whichever the request waits at): approve / reject, opinion required."""
    user = api_user()
    row = get_in_scope(ResumeRequest, resume_id, user)
    body = json_body()
    decision, opinion, version = _text(body, "decision"), _text(body, "opinion"), _version(body)
    if decision not in ("approve", "reject"):
        api_error(422, fields={"decision": "decision 须为 approve 或 reject"})
    try:
        services.decide(user, row, decision, opinion, expected_version=version)
    except WorkflowError as exc:
        _refuse(exc)
    return jsonify(request=_request_json(row))


@bp.post("/transfers/<int:transfer_id>/withdraw")
def transfer_withdraw(transfer_id: int):
    """撤回 a pending 接续培养 (the requesting side), with the transfer's ``version`` as read."""
    user = api_user()
    transfer = transfers.get_transfer(user, transfer_id)
    version = _version(json_body(), required=True)
    try:
        transfers.withdraw(user, transfer, expected_version=version)
    except WorkflowError as exc:
        _refuse(exc)
    return jsonify(id=transfer.id, status=transfer.status)


@bp.get("/transfers/<int:sent_transfer_id>/record")
def transfer_sent_record(sent_transfer_id: int):
    """The sending side's read-only record: each step's state and data as of the transfer."""
    user = api_user()
    transfer = transfers.get_sent(user, sent_transfer_id)
    view, _, _ = transfers.sent_record(user, transfer)
    if view.error is not None:
        api_error(409, f"记录无法重放：{view.error}")
    steps = [{"step": s.step.step, "name": s.step.name, "title": s.step.title, "status": s.status,
              "review": s.review, "data": s.data} for s in view.steps]
    return jsonify(transfer={"id": transfer.id, "person_name": transfer.person_name, "id_number": transfer.id_number,
                             "from_organisation": transfer.from_org.name, "to_organisation": transfer.to_org.name,
                             "transferred_at": iso_utc(transfer.decided_at), "as_of_event": transfer.person_seq},
                   steps=steps)


# ---- OpenAPI ------------------------------------------------------------------------------------
_DECISION = {"type": "object", "properties": {"decision": {"type": "string"}, "opinion": {"type": "string"},
                                              "at": {"type": "string", "format": "date-time", "nullable": True}}}
register_schema("ResumeRequest", {"type": "object", "properties": {
    "id": {"type": "integer"}, "suspension_id": {"type": "integer"},
    "status": {"type": "string", "enum": sorted(ResumeStatus.values())}, "status_label": {"type": "string"},
    "opinion": {"type": "string", "description": "党支部上报原因（支部意见）"},
    "reported_at": {"type": "string", "format": "date-time"}, "committee": _DECISION, "county": _DECISION,
    "version": {"type": "integer", "description": "审核时回传，用于发现他人已处理"}}})
register_schema("Suspension", {"type": "object", "properties": {
    "id": {"type": "integer"}, "person_id": {"type": "integer"}, "person_name": {"type": "string"},
    "organisation": {"type": "object"}, "reason": {"type": "string"}, "destination": {"type": "string"},
    "expected_from": {"type": "string", "format": "date", "nullable": True},
    "expected_to": {"type": "string", "format": "date", "nullable": True},
    "attachments": {"type": "array", "items": {"type": "string"}},
    "status": {"type": "string", "enum": sorted(SuspensionStatus.values())}, "status_label": {"type": "string"},
    "suspended_at": {"type": "string", "format": "date-time"},
    "resumed_at": {"type": "string", "format": "date-time", "nullable": True},
    "resume_status_label": {"type": "string", "description": "恢复发展状态"},
    "latest_request": {"allOf": [ref("ResumeRequest")], "nullable": True}}})
register_path("/suspensions", "get", {
    "summary": "历史库：暂停发展-出国(境)人员", "tags": _TAGS,
    "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}},
                   {"name": "org_id", "in": "query", "schema": {"type": "integer"}},
                   {"name": "page", "in": "query", "schema": {"type": "integer"}},
                   {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
    "responses": responses(200, {"type": "object", "properties": {
        "items": {"type": "array", "items": ref("Suspension")}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "total": {"type": "integer"},
        "total_is_lower_bound": {"type": "boolean"}}}, errors=(403, 404))})
register_path("/suspensions/{suspension_id}", "get", {
    "summary": "暂停发展记录及其归国恢复申请", "tags": _TAGS,
    "parameters": [path_param("suspension_id", "暂停发展记录ID")],
    "responses": responses(200, {"type": "object", "properties": {
        "suspension": ref("Suspension"), "requests": {"type": "array", "items": ref("ResumeRequest")}}},
        errors=(403, 404))})
register_path("/people/{person_id}/suspension", "post", {
    "summary": "暂停发展-出国(境)", "tags": _TAGS,
    "description": "该人员停在当前步骤，数据全部保留，离开发展流程列表和待办事项。",
    "parameters": [path_param("person_id", "人员ID")],
    "requestBody": json_request({"type": "object", "required": ["reason", "expected_from", "expected_to"],
                                 "properties": {
                                     "reason": {"type": "string", "maxLength": 500},
                                     "destination": {"type": "string", "maxLength": 100},
                                     "expected_from": {"type": "string", "format": "date"},
                                     "expected_to": {"type": "string", "format": "date"},
                                     "attachments": {"type": "array", "items": {"type": "string"}}}}),
    "responses": responses(201, {"type": "object", "properties": {"suspension": ref("Suspension")}},
                           errors=(403, 404, 409, 422))})
register_path("/suspensions/{suspension_id}/resume-requests", "post", {
    "summary": "归国恢复申请（填写支部意见）", "tags": _TAGS,
    "parameters": [path_param("suspension_id", "暂停发展记录ID")],
    "requestBody": json_request({"type": "object", "required": ["opinion"],
                                 "properties": {"opinion": {"type": "string", "maxLength": 500}}}),
    "responses": responses(201, {"type": "object", "properties": {"request": ref("ResumeRequest")}},
                           errors=(403, 404, 409, 422))})
register_path("/resume-requests/{resume_id}/decision", "post", {
    "summary": "归国恢复审核（基层党委审核 / 县级审核）", "tags": _TAGS,
    "description": "按申请当前所在的审核任务办理；通过、不通过都须填写审核意见。同一账号不能两级都审核。",
    "parameters": [path_param("resume_id", "归国恢复申请ID")],
    "requestBody": json_request({"type": "object", "required": ["decision", "opinion"], "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]}, "opinion": {"type": "string"},
        "version": {"type": "integer"}}}),
    "responses": responses(200, {"type": "object", "properties": {"request": ref("ResumeRequest")}},
                           errors=(403, 404, 409, 422))})
register_path("/transfers/{transfer_id}/withdraw", "post", {
    "summary": "撤回接续培养申请（申请方）", "tags": ["接续培养"],
    "parameters": [path_param("transfer_id", "接续培养申请ID")],
    "requestBody": json_request({"type": "object", "required": ["version"],
                                 "properties": {"version": {"type": "integer"}}}),
    "responses": responses(200, {"type": "object", "properties": {"id": {"type": "integer"},
                                                                 "status": {"type": "string"}}},
                           errors=(403, 404, 409, 422))})
register_path("/transfers/{sent_transfer_id}/record", "get", {
    "summary": "转出人员：转出时的发展纪实（只读，转出方）", "tags": ["接续培养"],
    "parameters": [path_param("sent_transfer_id", "已完成的接续培养ID")],
    "responses": responses(200, {"type": "object", "properties": {
        "transfer": {"type": "object"}, "steps": {"type": "array", "items": {"type": "object"}}}},
        errors=(403, 404, 409))})

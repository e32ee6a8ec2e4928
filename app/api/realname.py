"""实名认证 over the API: the list, enter (保存 / 上报) and correct a request, 上报, and the county's 备案认证 or
不通过 — the services of the 实名校验 pages (``app.realname.services``: the request's realname.bpmn on the
runner; 备案认证 starts the person's development record in the same transaction).
"""
from flask import jsonify, request

from forms.codec import flat_errors, schema, to_data

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, refuse
from app.api.openapi import json_request, path_param, ref, register_path, register_schema, responses
from app.api.shapes import (PAGE_PARAMS, body_text, iso_utc, organisation_json, page_args, page_json,
                            page_schema, person_json, query_param, text_arg)
from app.realname import services as realname
from app.realname.forms import RealnameForm
from app.realname.models import RealnameRequest
from app.scope import get_in_scope
from app.workflow.binding import bind_form
from app.workflow.errors import WorkflowError

_FILTERS = ("name", "id_number", "phone", "org_name")


def realname_json(row) -> dict:
    """A 实名认证 request with its entered data and proof files."""
    return {"id": row.id, "status": row.status, "name": row.name, "id_number": row.id_number,
            "organisation": organisation_json(row.org), "data": row.data, "proof_scans": row.proof_scans,
            "reported_at": iso_utc(row.reported_at), "decided_at": iso_utc(row.decided_at),
            "reason": row.reason, "person_id": row.person_id}


@bp.get("/realname")
def list_realname():
    """Requests in scope by ``status`` (default 待认证; empty: all), organisation and the page's search fields."""
    user = api_user()
    page, per_page = page_args()
    status = request.args.get("status", realname.PENDING)
    if status and status not in realname.STATUSES:
        api_error(422, fields={"status": "status 须为 " + "、".join(realname.STATUSES) + " 或空"})
    org_id = request.args.get("org_id", type=int)
    filters = {key: text_arg(key, max_length=60) for key in _FILTERS}
    result = realname.request_page(user, page=page, per_page=per_page, status=status, org_id=org_id, **filters)
    return jsonify(page_json(result, [realname_json(row) for row in result.items]))


def _save(row: RealnameRequest | None):
    user = api_user()
    body = json_body()
    action = body.get("action", "save")
    if action not in ("save", "report"):
        api_error(422, fields={"action": "action 须为 save 或 report"})
    data = body.get("data")
    if not isinstance(data, dict):
        api_error(422, fields={"data": "data 须为对象（字段见 GET /realname/schema）"})
    form = bind_form(RealnameForm, user, payload=data)
    if not form.validate():
        api_error(422, fields=flat_errors(form), rule=form.context.get("refused_by"))
    try:
        row = realname.save(user, to_data(form), row, report=action == "report")
    except WorkflowError as exc:
        refuse(exc)
    return row


@bp.post("/realname")
def create_realname():
    """录入 a request (``action`` save, or report to 上报 at once); ``data`` as the schema says."""
    return jsonify(realname_json(_save(None))), 201


@bp.get("/realname/schema")
def realname_schema():
    """The fields of a request (the step-1 form plus 实名认证证明材料)."""
    return jsonify(form="realname", schema=schema(RealnameForm))


@bp.get("/realname/<int:request_id>")
def get_realname(request_id: int):
    """One request in scope."""
    return jsonify(realname_json(get_in_scope(RealnameRequest, request_id, api_user())))


@bp.post("/realname/<int:request_id>")
def update_realname(request_id: int):
    """Correct a draft or a refused request (``action`` save or report)."""
    row = get_in_scope(RealnameRequest, request_id, api_user())
    return jsonify(realname_json(_save(row)))


def _act(request_id: int, action):
    user = api_user()
    row = get_in_scope(RealnameRequest, request_id, user)
    body = json_body()
    try:
        result = action(user, row, body)
    except WorkflowError as exc:
        refuse(exc)
    return row, result


@bp.post("/realname/<int:request_id>/report")
def report_realname(request_id: int):
    """上报 a saved draft to the county."""
    row, _ = _act(request_id, lambda user, row, body: realname.report_request(user, row))
    return jsonify(realname_json(row))


@bp.post("/realname/<int:request_id>/confirm")
def confirm_realname(request_id: int):
    """备案认证: the request is 已认证 and the person's record starts (answered with the person)."""
    row, person = _act(request_id, lambda user, row, body: realname.confirm(user, row))
    return jsonify(request=realname_json(row), person=person_json(person))


@bp.post("/realname/<int:request_id>/reject")
def reject_realname(request_id: int):
    """不通过 with a ``reason``: the branch corrects the request and reports it again."""
    row, _ = _act(request_id, lambda user, row, body: realname.reject(user, row, body_text(body, "reason")))
    return jsonify(realname_json(row))


register_schema("RealnameRequest", {"type": "object", "properties": {
    "id": {"type": "integer"}, "status": {"type": "string", "enum": list(realname.STATUSES)},
    "name": {"type": "string"}, "id_number": {"type": "string"}, "organisation": ref("Organisation"),
    "data": {"type": "object"}, "proof_scans": {"type": "array", "items": {"type": "string"}},
    "reported_at": {"type": "string", "nullable": True}, "decided_at": {"type": "string", "nullable": True},
    "reason": {"type": "string"}, "person_id": {"type": "integer", "nullable": True}}})
_TAGS = ["实名认证"]
_SAVE_BODY = json_request({"type": "object", "required": ["data"], "properties": {
    "action": {"type": "string", "enum": ["save", "report"]},
    "data": {"type": "object", "description": "字段见 GET /realname/schema；proof_scans 为 POST /attachments 返回的 sha256"}}})
_ID = [path_param("request_id", "申请ID")]
register_path("/realname", "get", {
    "summary": "实名认证申请列表", "tags": _TAGS,
    "parameters": [query_param("status", "草稿、待认证、已认证、不通过；空为全部",
                               {"type": "string", "enum": ["", *realname.STATUSES]}),
                   query_param("org_id", "组织ID（含下级）", {"type": "integer"}),
                   *(query_param(k, "", {"type": "string", "maxLength": 60}) for k in _FILTERS), *PAGE_PARAMS],
    "responses": responses(200, page_schema(ref("RealnameRequest")), errors=(403, 422))})
register_path("/realname", "post", {
    "summary": "录入实名认证申请（保存或上报）", "tags": _TAGS, "requestBody": _SAVE_BODY,
    "responses": responses(201, ref("RealnameRequest"), errors=(403, 409, 422))})
register_path("/realname/schema", "get", {
    "summary": "实名认证申请的字段", "tags": _TAGS,
    "responses": responses(200, {"type": "object", "properties": {
        "form": {"type": "string"}, "schema": {"type": "array", "items": {"type": "object"}}}}, errors=(403,))})
register_path("/realname/{request_id}", "get", {
    "summary": "查看一条实名认证申请", "tags": _TAGS, "parameters": _ID,
    "responses": responses(200, ref("RealnameRequest"), errors=(403, 404))})
register_path("/realname/{request_id}", "post", {
    "summary": "修改草稿或不通过的申请（保存或上报）", "tags": _TAGS, "parameters": _ID, "requestBody": _SAVE_BODY,
    "responses": responses(200, ref("RealnameRequest"), errors=(403, 404, 409, 422))})
register_path("/realname/{request_id}/report", "post", {
    "summary": "上报县级组织部门", "tags": _TAGS, "parameters": _ID,
    "requestBody": json_request({"type": "object"}),
    "responses": responses(200, ref("RealnameRequest"), errors=(403, 404, 409, 422))})
register_path("/realname/{request_id}/confirm", "post", {
    "summary": "备案认证（县级）：人员进入发展流程", "tags": _TAGS, "parameters": _ID,
    "requestBody": json_request({"type": "object"}),
    "responses": responses(200, {"type": "object", "properties": {
        "request": ref("RealnameRequest"), "person": ref("Person")}}, errors=(403, 404, 409, 422))})
register_path("/realname/{request_id}/reject", "post", {
    "summary": "不通过（县级，须填写原因）", "tags": _TAGS, "parameters": _ID,
    "requestBody": json_request({"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "maxLength": 500}}}),
    "responses": responses(200, ref("RealnameRequest"), errors=(403, 404, 409, 422))})

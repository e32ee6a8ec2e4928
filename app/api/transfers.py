"""接续培养 over the API: the 省内转入 / 省内转出 lists, a request, one transfer, the sending side's decision.

The services are the pages' (``app.transfers.services``): R20 and the other checks, the transfer's own
diagram on the runner, the person's move on approval. A decision that lost a race is 409 已被他人处理.
"""
from flask import jsonify, request

from forms.validators import normalize_id_number

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, refuse
from app.api.openapi import json_request, path_param, ref, register_path, register_schema, responses
from app.api.shapes import (PAGE_PARAMS, body_text, body_version, iso_utc, organisation_json, page_args,
                            page_json, page_schema, query_param, text_arg)
from app.transfers import services as transfers
from app.workflow.errors import WorkflowError


def transfer_json(user, row) -> dict:
    """A transfer as both sides see it (before approval the receiving side sees the copied name and ID only)."""
    return {"id": row.id, "person_id": row.person_id if transfers.person_in_scope(user, row) else None,
            "person_name": row.person_name, "id_number": row.id_number, "status": row.status,
            "from_organisation": organisation_json(row.from_org), "to_organisation": organisation_json(row.to_org),
            "requested_at": iso_utc(row.requested_at), "decided_at": iso_utc(row.decided_at),
            "opinion": row.opinion, "version": row.version,
            "may_decide": transfers.can_review(user, row)}


@bp.get("/transfers")
def list_transfers():
    """省内转入 (``tab=in``, default) or 省内转出 (``tab=out``), filtered like the page."""
    user = api_user()
    tab = request.args.get("tab", "in")
    if tab not in transfers.TABS:
        api_error(422, fields={"tab": "tab 须为 in 或 out"})
    page, per_page = page_args()
    filters = {key: text_arg(key, max_length=60) for key in ("name", "id_number", "to_org")}
    result = transfers.transfer_page(user, tab, page=page, per_page=per_page, **filters)
    return jsonify(page_json(result, [transfer_json(user, row) for row in result.items]))


@bp.post("/transfers")
def request_transfer():
    """发起接续培养: ``name`` and ``id_number`` of a person in the province, ``to_org_id`` a branch in scope."""
    user = api_user()
    body = json_body()
    name = body_text(body, "name", 60)
    id_number = normalize_id_number(body_text(body, "id_number", 30))
    to_org_id = body.get("to_org_id")
    fields = {}
    if not name:
        fields["name"] = "请输入姓名"
    if not id_number:
        fields["id_number"] = "请输入公民身份证号"
    if not isinstance(to_org_id, int) or isinstance(to_org_id, bool):
        fields["to_org_id"] = "请选择接受党组织"
    if fields:
        api_error(422, fields=fields)
    try:
        row = transfers.request_transfer(user, name, id_number, to_org_id)
    except WorkflowError as exc:
        refuse(exc)
    return jsonify(transfer_json(user, row)), 201


@bp.get("/transfers/<int:transfer_id>")
def get_transfer(transfer_id: int):
    """One transfer of the caller's sending or receiving side."""
    user = api_user()
    return jsonify(transfer_json(user, transfers.get_transfer(user, transfer_id)))


@bp.post("/transfers/<int:transfer_id>/decision")
def decide_transfer(transfer_id: int):
    """转出审核: ``decision`` approve (the person moves) or reject, with ``opinion`` and the ``version`` read."""
    user = api_user()
    row = transfers.get_transfer(user, transfer_id)
    body = json_body()
    decision = body.get("decision")
    if decision not in ("approve", "reject"):
        api_error(422, fields={"decision": "decision 须为 approve 或 reject"})
    opinion = body_text(body, "opinion", 500)
    try:
        transfers.decide(user, row, decision, opinion, expected_version=body_version(body))
    except WorkflowError as exc:
        refuse(exc)
    return jsonify(transfer_json(user, row))


register_schema("Transfer", {"type": "object", "properties": {
    "id": {"type": "integer"}, "person_id": {"type": "integer", "nullable": True,
                                             "description": "调用者可查看该人员记录时给出"},
    "person_name": {"type": "string"}, "id_number": {"type": "string"},
    "status": {"type": "string"}, "from_organisation": ref("Organisation"), "to_organisation": ref("Organisation"),
    "requested_at": {"type": "string", "nullable": True}, "decided_at": {"type": "string", "nullable": True},
    "opinion": {"type": "string"}, "version": {"type": "integer"}, "may_decide": {"type": "boolean"}}})
_TAGS = ["接续培养"]
register_path("/transfers", "get", {
    "summary": "接续培养列表：省内转入（tab=in）或省内转出（tab=out）", "tags": _TAGS,
    "parameters": [query_param("tab", "", {"type": "string", "enum": ["in", "out"]}),
                   query_param("name", "姓名包含", {"type": "string", "maxLength": 60}),
                   query_param("id_number", "身份证号", {"type": "string", "maxLength": 60}),
                   query_param("to_org", "接受党组织名称包含", {"type": "string", "maxLength": 60}), *PAGE_PARAMS],
    "responses": responses(200, page_schema(ref("Transfer")), errors=(403, 422))})
register_path("/transfers", "post", {
    "summary": "发起接续培养（仅入党申请人、入党积极分子，R20）", "tags": _TAGS,
    "requestBody": json_request({"type": "object", "required": ["name", "id_number", "to_org_id"], "properties": {
        "name": {"type": "string", "maxLength": 60}, "id_number": {"type": "string", "maxLength": 30},
        "to_org_id": {"type": "integer"}}}),
    "responses": responses(201, ref("Transfer"), errors=(403, 409, 422))})
register_path("/transfers/{transfer_id}", "get", {
    "summary": "查看一条接续培养申请", "tags": _TAGS, "parameters": [path_param("transfer_id", "申请ID")],
    "responses": responses(200, ref("Transfer"), errors=(403, 404))})
register_path("/transfers/{transfer_id}/decision", "post", {
    "summary": "转出审核：通过（人员转入接受党组织）或不通过", "tags": _TAGS,
    "parameters": [path_param("transfer_id", "申请ID")],
    "requestBody": json_request({"type": "object", "required": ["decision"], "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]}, "opinion": {"type": "string", "maxLength": 500},
        "version": {"type": "integer", "description": "读取时的 version；不一致则 409"}}}),
    "responses": responses(200, ref("Transfer"), errors=(403, 404, 409, 422))})

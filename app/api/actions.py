"""Actions on a person's record over the API: 取消发展, 调整阶段 (move back), 恢复发展 and 重新发展, and the 历史库
lists they lead to (``archive.services.archive_page``, whose kinds the list follows).

Each calls the procedure's service the page calls (``workflow.services.cancel`` / ``move_back``,
``archive.services.restore`` / ``redevelop``), which checks the rights and the input and hands the action to the
runner, so each is an instance event like every step. Files are cited by the sha256 that ``POST /attachments``
returned. Body: ``{"reason": "...", "attachments": ["<sha256>", ...]}`` (move back: ``"target"``; into a
stage R32 sealed: reason and file required, else 422 with ``"rule": "R32"``; a county admin corrects at once,
anyone else files a 调整申请: 202 with ``move_back_request``, decided by the county through ``/tasks/{id}``). Answers:
200 with the person (the one person shape); 404 outside scope; 403 without the right; 422 with ``fields`` (and
``rule`` when a rule refused); 409 ``已被他人处理`` when the record moved on meanwhile (e.g. already cancelled).

The same shape serves the 暂停发展 / 归国恢复 endpoints of ``app/api/suspensions.py``:
``POST /people/{id}/suspend`` with the reason body, ``POST /suspensions/{id}/decision`` with
``{"decision": "approve"|"reject", "opinion": "...", "version": n}`` like ``POST /transfers/{id}/decision``.
"""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, refuse
from app.api.openapi import json_request, path_param, ref, register_path, responses
from app.api.shapes import (PAGE_PARAMS, REASON_BODY, body_hashes, body_text, iso_utc, page_args, page_json,
                            page_schema, person_json, query_param, text_arg)
from app.archive import services as archive
from app.movebacks import services as movebacks
from app.orgs.models import Organisation
from app.people.models import Person
from app.scope import get_in_scope
from app.vocab import MoveBackStatus
from app.workflow import services as workflow


def _run(person_id: int, action):
    user = api_user()
    person = get_in_scope(Person, person_id, user)
    body = json_body()
    reason = body_text(body, "reason")
    hashes = body_hashes(body)
    try:
        action(user, person, body, reason, hashes)
    except workflow.WorkflowError as exc:
        refuse(exc)
    return jsonify(person=person_json(person))


@bp.post("/people/<int:person_id>/cancel")
def cancel_person(person_id: int):
    """取消发展 with a reason (and files): the person goes to the 历史库."""
    return _run(person_id, lambda user, person, body, reason, hashes:
                workflow.cancel(user, workflow.load(person), reason, hashes))


@bp.post("/people/<int:person_id>/move-back")
def move_back_person(person_id: int):
    """调整为入党申请人 (``target`` applicant) or 调整为积极分子 (``target`` activist)."""
    def run(user, person, body, reason, hashes):
        target = body.get("target")
        if target not in workflow.MOVE_BACK:
            api_error(422, fields={"target": "target 须为 " + " 或 ".join(workflow.MOVE_BACK)})
        filed.append(movebacks.adjust(user, workflow.load(person), target, reason, hashes))
    filed = []
    answer = _run(person_id, run)
    if filed and filed[0] is not None:
        # Into a sealed stage the branch's 调整 is a request: accepted, decided later by the county.
        return jsonify(person=answer.get_json()["person"], move_back_request=move_back_request_json(filed[0])), 202
    return answer


def move_back_request_json(row) -> dict:
    """A 调整申请 as the API shows it."""
    return {"id": row.id, "person_id": row.person_id, "target": row.target, "reason": row.reason,
            "attachments": list(row.attachments), "status": row.status,
            "status_label": MoveBackStatus.label_of(row.status), "opinion": row.opinion,
            "requested_at": iso_utc(row.requested_at), "decided_at": iso_utc(row.decided_at)}


@bp.post("/people/<int:person_id>/restore")
def restore_person(person_id: int):
    """恢复发展 (县级): a cancelled person returns to the step they were stopped at."""
    return _run(person_id, lambda user, person, body, reason, hashes:
                archive.restore(user, person, reason, hashes))


@bp.post("/people/<int:person_id>/redevelop")
def redevelop_person(person_id: int):
    """重新发展 (县级): the cancelled record is closed and kept; its ID number may start a new record."""
    return _run(person_id, lambda user, person, body, reason, hashes:
                archive.redevelop(user, person, reason, hashes))


@bp.get("/archive")
def list_archive():
    """历史库: one list (``kind``, default cancelled) with each row's reason, date and files, like the page."""
    user = api_user()
    kind = request.args.get("kind", "cancelled")
    if kind not in archive.KINDS:
        api_error(422, fields={"kind": "kind 须为 " + "、".join(archive.KINDS)})
    page, _ = page_args()
    org_id = request.args.get("org_id", type=int)
    org = get_in_scope(Organisation, org_id, user) if org_id else None
    result = archive.archive_page(user, kind, page, text_arg("name", max_length=60), org)
    return jsonify(page_json(result, [{"person": person_json(row.person), "reason": row.reason,
                                       "at": iso_utc(row.at), "attachments": list(row.attachments)}
                                      for row in result.rows]))


register_path("/archive", "get", {
    "summary": "历史库列表（kind：" + "、".join(f"{k}={v[1]}" for k, v in archive.KINDS.items()) + "；每页20条）",
    "tags": ["人员操作"],
    "parameters": [query_param("kind", "", {"type": "string", "enum": list(archive.KINDS)}),
                   query_param("name", "姓名包含", {"type": "string", "maxLength": 60}),
                   query_param("org_id", "组织ID（含下级）", {"type": "integer"}), PAGE_PARAMS[0]],
    "responses": responses(200, page_schema({"type": "object", "properties": {
        "person": ref("Person"), "reason": {"type": "string"}, "at": {"type": "string", "nullable": True},
        "attachments": {"type": "array", "items": {"type": "string"}}}}), errors=(403, 404, 422))})
_TAGS = ["人员操作"]
_RESULT = {"type": "object", "properties": {"person": ref("Person")}}
for _path, _summary, _extra in (
        ("cancel", "取消发展（停止发展原因必填，可附文件）", {}),
        ("restore", "恢复发展（县级组织部门；恢复到停止发展时的步骤）", {}),
        ("redevelop", "重新发展（县级组织部门；关闭原记录并保留，身份证号可重新录入）", {})):
    _body = {**REASON_BODY, "properties": {**REASON_BODY["properties"], **_extra}}
    register_path(f"/people/{{person_id}}/{_path}", "post", {
        "summary": _summary, "tags": _TAGS, "parameters": [path_param("person_id", "人员ID")],
        "requestBody": json_request(_body),
        "responses": responses(200, _RESULT, errors=(403, 404, 409, 422))})
register_path("/people/{person_id}/move-back", "post", {
    "summary": "调整阶段：调整为入党申请人（target=applicant）或调整为积极分子（target=activist）；目标阶段已封存（R32）时，"
               "县级及以上直接更正，党支部/基层党委提交调整申请（原因、依据材料必填，202），待县级审核（POST /tasks/{task_id}）",
    "tags": _TAGS, "parameters": [path_param("person_id", "人员ID")],
    "requestBody": json_request({**REASON_BODY, "properties": {
        **REASON_BODY["properties"], "target": {"type": "string", "enum": sorted(workflow.MOVE_BACK)}}}),
    "responses": {**responses(200, _RESULT, errors=(403, 404, 409, 422)),
                  "202": {"description": "已提交调整申请，待县级审核", "content": {"application/json": {"schema": {
                      "type": "object", "properties": {"person": ref("Person"),
                                                       "move_back_request": {"type": "object"}}}}}}}})

"""审计 over the API (审计员 and county admins and above, read only): a person's timeline of events, the offline
bundle (the page's export, ``app.audit.bundle.build``), and verification of one person or of the caller's
whole scope (``app.audit.services.verify_person`` / ``verify_scope``: chains, replay against stored state,
file bytes). Each export and verification is logged in the operations log, as on the pages."""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.openapi import path_param, register_path, register_schema, ref, responses
from app.api.shapes import iso_utc, person_json
from app.audit import bundle, services as audit
from app.vocab import Action


def event_json(row) -> dict:
    """One event of a person's timeline."""
    event = row.event
    return {"seq": event.seq, "action": event.action, "action_label": Action.label_of(event.action),
            "task_name": event.task_name, "task_pass": event.task_pass,
            "step": row.step.step if row.step else None, "step_title": row.step.title if row.step else None,
            "is_review": row.is_review, "actor_name": event.actor_name, "role": event.role,
            "role_label": row.role_label, "organisation": row.org_name, "created_at": iso_utc(event.created_at),
            "data": event.data, "attachments": event.attachments, "hash": event.hash,
            "prev_hash": event.prev_hash}


def report_json(report) -> dict:
    """A verification report: what was checked and each finding."""
    return {"clean": report.clean, "instances": report.instances, "events": report.events, "files": report.files,
            "findings": [{"kind": f.kind, "kind_label": f.kind_label, "message": f.message,
                          "instance_id": f.instance_id, "seq": f.seq, "person_id": f.person_id,
                          "person_name": f.person_name} for f in report.findings]}


@bp.get("/audit/people/<int:person_id>/timeline")
def audit_timeline(person_id: int):
    """Every event of the person's record, oldest first; ``action``, ``actor``, ``from``, ``to`` narrow it."""
    person = audit.audited_person(api_user(), person_id)
    filters = audit.TimelineFilter.from_args(request.args)
    return jsonify(person=person_json(person), events=[event_json(row) for row in audit.timeline(person, filters)])


@bp.get("/audit/people/<int:person_id>/bundle")
def audit_bundle(person_id: int):
    """The offline bundle: events, diagram versions and file list, checkable with ``flask audit check-bundle``."""
    user = api_user()
    person = audit.audited_person(user, person_id)
    return jsonify(bundle.build(person, user))


@bp.get("/audit/people/<int:person_id>/verify")
def audit_verify_person(person_id: int):
    """Verify one person's record."""
    user = api_user()
    return jsonify(report_json(audit.verify_person(user, audit.audited_person(user, person_id))))


@bp.get("/audit/verify")
def audit_verify_scope():
    """Verify every record in the caller's scope and the operations log's chain."""
    return jsonify(report_json(audit.verify_scope(api_user())))


register_schema("VerifyReport", {"type": "object", "properties": {
    "clean": {"type": "boolean"}, "instances": {"type": "integer"}, "events": {"type": "integer"},
    "files": {"type": "integer"}, "findings": {"type": "array", "items": {"type": "object"}}}})
_TAGS = ["审计"]
_ID = [path_param("person_id", "人员ID")]
_FILTERS = [{"name": n, "in": "query", "schema": s} for n, s in (
    ("action", {"type": "string", "maxLength": 40}), ("actor", {"type": "string", "maxLength": 60}),
    ("from", {"type": "string", "format": "date"}), ("to", {"type": "string", "format": "date"}))]
register_path("/audit/people/{person_id}/timeline", "get", {
    "summary": "一名人员的事件时间线", "tags": _TAGS, "parameters": _ID + _FILTERS,
    "responses": responses(200, {"type": "object", "properties": {
        "person": ref("Person"), "events": {"type": "array", "items": {"type": "object"}}}}, errors=(403, 404))})
register_path("/audit/people/{person_id}/bundle", "get", {
    "summary": "导出审计包（可离线校验）", "tags": _TAGS, "parameters": _ID,
    "responses": responses(200, {"type": "object"}, errors=(403, 404))})
register_path("/audit/people/{person_id}/verify", "get", {
    "summary": "校验一名人员的记录（哈希链、回放与存储状态、附件）", "tags": _TAGS, "parameters": _ID,
    "responses": responses(200, ref("VerifyReport"), errors=(403, 404))})
register_path("/audit/verify", "get", {
    "summary": "校验管理范围内全部记录及操作日志", "tags": _TAGS,
    "responses": responses(200, ref("VerifyReport"), errors=(403,))})

"""流程设计 over the API (流程设计员 only; no personal data): processes and versions, a version's BPMN, upload
a draft, validate a diagram, activate a version, preview and run the migration of running instances — the
designer's services (``app.designer.services``, ``validation``, ``migration``), as the pages call them.

A refusal is 422 ``{"error": ..., "fields": {"problems": ["元素（id）：原因", ...]}}``. Migration answers name
persons by id only (the designer reads no personal data)."""
from flask import Response, jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body
from app.api.openapi import json_request, path_param, register_path, register_schema, ref, responses
from app.api.shapes import body_text, iso_utc
from app.designer import migration, services as designer
from app.designer.services import DesignerError
from app.designer.validation import validate
from app.workflow.versions import get_version


def version_json(version, running: dict[int, int]) -> dict:
    """A diagram version (without its XML: GET …/bpmn)."""
    return {"id": version.id, "process_id": version.process_id, "version": version.version, "name": version.name,
            "state": version.state, "state_label": designer.STATE_LABELS.get(version.state, version.state),
            "checksum": version.checksum, "comment": version.comment, "created_at": iso_utc(version.created_at),
            "activated_at": iso_utc(version.activated_at), "running": running.get(version.id, 0)}


def _refused(exc: DesignerError):
    api_error(422, exc.message, {"problems": [str(p) for p in exc.problems]} if exc.problems else None)


@bp.get("/designer/processes")
def designer_processes():
    """Every process with its versions, newest first."""
    counts = designer.running_counts()
    return jsonify(items=[{"process_id": s.process_id, "name": s.name,
                           "versions": [version_json(v, counts) for v in s.versions]} for s in designer.processes()])


@bp.get("/designer/versions/<int:version_id>")
def designer_version(version_id: int):
    """One version with its validation problems ([] when it may be activated)."""
    version = get_version(version_id)
    return jsonify(version=version_json(version, designer.running_counts()),
                   problems=[str(p) for p in designer.check(version)])


@bp.get("/designer/versions/<int:version_id>/bpmn")
def designer_version_bpmn(version_id: int):
    """The version's BPMN XML."""
    version = get_version(version_id)
    return Response(version.bpmn_xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{version.process_id}-v{version.version}.bpmn"'})


@bp.post("/designer/versions")
def designer_upload():
    """Upload a ``.bpmn`` file (multipart ``file``, optional ``comment`` and ``process_id``) as a new draft."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        api_error(422, fields={"file": "请选择 .bpmn 文件"})
    try:
        version = designer.upload(api_user(), upload.filename, upload.read(designer.MAX_DIAGRAM_BYTES + 1),
                                  (request.form.get("comment") or "")[:2000], (request.form.get("process_id") or "")[:80])
    except DesignerError as exc:
        _refused(exc)
    return jsonify(version=version_json(version, {}), problems=[str(p) for p in designer.check(version)]), 201


@bp.post("/designer/validate")
def designer_validate():
    """The problems of a diagram (``xml``) for ``process_id``; nothing is stored."""
    body = json_body()
    xml = body_text(body, "xml", designer.MAX_DIAGRAM_BYTES, required=True)
    process_id = body_text(body, "process_id", 80)
    return jsonify(problems=[str(p) for p in validate(xml.encode("utf-8"), process_id)])


@bp.post("/designer/versions/<int:version_id>/activate")
def designer_activate(version_id: int):
    """Activate a version: new records start on it; refused with the problems when it is not valid."""
    version = get_version(version_id)
    try:
        designer.activate(api_user(), version)
    except DesignerError as exc:
        _refused(exc)
    return jsonify(version=version_json(version, designer.running_counts()))


def _source():
    source_id = request.args.get("from", type=int) if request.method == "GET" else json_body().get("from")
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        api_error(422, fields={"from": "请给出源版本 from（版本ID）"})
    return get_version(source_id)


def _candidate_json(candidate) -> dict:
    return {"person_id": candidate.person.id, "ok": candidate.ok, "reason": candidate.reason}


@bp.get("/designer/versions/<int:version_id>/migration")
def designer_migration_preview(version_id: int):
    """Running instances on version ``from`` and whether each can move to this version (at most 500)."""
    target, source = get_version(version_id), _source()
    try:
        candidates = migration.preview(api_user(), source, target)
    except DesignerError as exc:
        _refused(exc)
    return jsonify(limit=migration.PREVIEW_LIMIT, items=[_candidate_json(c) for c in candidates])


@bp.post("/designer/versions/<int:version_id>/migration")
def designer_migrate(version_id: int):
    """Move the running instances of version ``from`` (``person_ids``, or all when absent) that can move."""
    target, source = get_version(version_id), _source()
    ids = json_body().get("person_ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
        api_error(422, fields={"person_ids": "person_ids 须为人员ID的列表"})
    if ids == []:
        api_error(422, fields={"person_ids": "请选择要迁移的人员"})
    try:
        outcomes = migration.migrate(api_user(), source, target, ids)
    except DesignerError as exc:
        _refused(exc)
    return jsonify(moved=sum(1 for c in outcomes if c.ok), items=[_candidate_json(c) for c in outcomes])


register_schema("ProcessVersion", {"type": "object", "properties": {
    "id": {"type": "integer"}, "process_id": {"type": "string"}, "version": {"type": "integer"},
    "name": {"type": "string"}, "state": {"type": "string", "enum": ["draft", "active", "retired"]},
    "state_label": {"type": "string"}, "checksum": {"type": "string"}, "comment": {"type": "string"},
    "created_at": {"type": "string", "nullable": True}, "activated_at": {"type": "string", "nullable": True},
    "running": {"type": "integer", "description": "运行中的实例数"}}})
_TAGS = ["流程设计"]
_ID = [path_param("version_id", "版本ID")]
_PROBLEMS = {"type": "array", "items": {"type": "string"}}
_VERSION = {"type": "object", "properties": {"version": ref("ProcessVersion"), "problems": _PROBLEMS}}
_CANDIDATES = {"type": "array", "items": {"type": "object", "properties": {
    "person_id": {"type": "integer"}, "ok": {"type": "boolean"}, "reason": {"type": "string"}}}}
register_path("/designer/processes", "get", {
    "summary": "全部流程及其版本", "tags": _TAGS,
    "responses": responses(200, {"type": "object", "properties": {"items": {"type": "array", "items": {
        "type": "object", "properties": {"process_id": {"type": "string"}, "name": {"type": "string"},
                                         "versions": {"type": "array", "items": ref("ProcessVersion")}}}}}},
        errors=(403,))})
register_path("/designer/versions/{version_id}", "get", {
    "summary": "一个版本及其校验问题", "tags": _TAGS, "parameters": _ID,
    "responses": responses(200, _VERSION, errors=(403, 404))})
register_path("/designer/versions/{version_id}/bpmn", "get", {
    "summary": "下载版本的 BPMN", "tags": _TAGS, "parameters": _ID,
    "responses": {"200": {"description": "BPMN XML", "content": {"application/xml": {"schema": {"type": "string"}}}},
                  "403": {"$ref": "#/components/responses/Forbidden"},
                  "404": {"$ref": "#/components/responses/NotFound"}}})
register_path("/designer/versions", "post", {
    "summary": "上传 .bpmn 为新草稿", "tags": _TAGS,
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "comment": {"type": "string"},
        "process_id": {"type": "string"}}}}}},
    "responses": responses(201, _VERSION, errors=(403, 413, 422))})
register_path("/designer/validate", "post", {
    "summary": "校验流程图（不保存）", "tags": _TAGS,
    "requestBody": json_request({"type": "object", "required": ["xml"], "properties": {
        "xml": {"type": "string"}, "process_id": {"type": "string", "maxLength": 80}}}),
    "responses": responses(200, {"type": "object", "properties": {"problems": _PROBLEMS}}, errors=(403, 413, 422))})
register_path("/designer/versions/{version_id}/activate", "post", {
    "summary": "启用版本（校验不通过时 422 并列出问题）", "tags": _TAGS, "parameters": _ID,
    "responses": responses(200, {"type": "object", "properties": {"version": ref("ProcessVersion")}},
                           errors=(403, 404, 409, 422))})
register_path("/designer/versions/{version_id}/migration", "get", {
    "summary": "迁移预览：源版本（from）上运行中的实例能否迁移到本版本", "tags": _TAGS,
    "parameters": _ID + [{"name": "from", "in": "query", "required": True, "schema": {"type": "integer"}}],
    "responses": responses(200, {"type": "object", "properties": {"limit": {"type": "integer"},
                                                                   "items": _CANDIDATES}}, errors=(403, 404, 422))})
register_path("/designer/versions/{version_id}/migration", "post", {
    "summary": "执行迁移（person_ids 缺省为全部可迁移的）", "tags": _TAGS, "parameters": _ID,
    "requestBody": json_request({"type": "object", "required": ["from"], "properties": {
        "from": {"type": "integer"}, "person_ids": {"type": "array", "items": {"type": "integer"}}}}),
    "responses": responses(200, {"type": "object", "properties": {"moved": {"type": "integer"},
                                                                   "items": _CANDIDATES}}, errors=(403, 404, 409, 422))})

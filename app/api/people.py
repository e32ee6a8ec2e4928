"""Organisations, persons and their files over the API: the organisation tree and its children, the person
lists (人员信息 search and the 发展流程 stage lists, paged), one person's full record (each step's state, data
and files, and what the caller may do with the record), and a file's download with the token.

Every answer comes from the services the pages call (``orgs.services``, ``people.profile.search``,
``people.services.stage_page``, ``workflow.services.step_rows`` / ``step_view``, ``attachments.download``);
scope is ``app.scope`` (another subtree's id is 404), the role the access policy (``app/access/routes.py``).
"""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, refuse
from app.api.openapi import json_request, path_param, ref, register_path, register_schema, responses
from app.api.shapes import (PAGE_PARAMS, file_json, iso_utc, organisation_json, page_args, page_json,
                            page_schema, person_json, query_param, text_arg)
from app.archive import services as archive
from app.attachments import services as attachments
from app.attachments.download import send_visible
from app.movebacks import services as movebacks
from app.orgs import services as orgs
from app.orgs.models import Organisation
from app.people import profile, services as people
from app.people.models import STAGES, Person
from app.scope import get_in_scope
from app.workflow import services as workflow
from app.workflow.errors import WorkflowError
from forms.codec import flat_errors


def _node(row) -> dict:
    return {"organisation": organisation_json(row.org), "depth": row.depth, "child_count": row.child_count}


def _org_arg(name: str = "org_id") -> Organisation | None:
    org_id = request.args.get(name, type=int)
    return get_in_scope(Organisation, org_id, api_user()) if org_id else None


@bp.get("/organisations")
def list_organisations():
    """The caller's organisation and its subtree (``depth`` levels, 1…3), or a name search (``q``); both as nodes
    (an organisation, its depth below the caller's own, its number of children)."""
    user = api_user()
    text = text_arg("q", max_length=50)
    if text:
        found = orgs.search_in_scope(text, user)
        counts = orgs.child_counts(found, user)
        return jsonify(items=[{"organisation": organisation_json(o), "depth": o.depth - user.org.depth,
                               "child_count": counts.get(o.id, 0)} for o in found])
    depth = request.args.get("depth", orgs.TREE_DEPTH, type=int)
    if not 1 <= depth <= orgs.TREE_DEPTH:
        api_error(422, fields={"depth": f"depth 须在1到{orgs.TREE_DEPTH}之间"})
    return jsonify(items=[_node(row) for row in orgs.subtree_rows(user.org, user, depth)])


@bp.get("/organisations/<int:org_id>")
def get_organisation(org_id: int):
    """One organisation with its ancestors in scope and its children."""
    user = api_user()
    org = get_in_scope(Organisation, org_id, user)
    rows = orgs.subtree_rows(org, user, 1)
    return jsonify(organisation=organisation_json(org),
                   ancestors=[organisation_json(a) for a in orgs.ancestors_in_scope(org, user)],
                   children=[_node(row) for row in rows if row.depth == 1])


@bp.get("/organisations/<int:org_id>/children")
def organisation_children(org_id: int):
    """The direct children of an organisation, each with its number of children."""
    user = api_user()
    org = get_in_scope(Organisation, org_id, user)
    return jsonify(items=[_node(row) for row in orgs.subtree_rows(org, user, 1) if row.depth == 1])


@bp.get("/people")
def list_people():
    """人员信息 search (every status; ``q`` = name or ID-number prefix), or with ``stage`` the 发展流程 list of
    active persons at that stage (``q`` = name); ``org_id`` narrows either to a subtree."""
    user = api_user()
    page, per_page = page_args()
    q = text_arg("q", max_length=50)
    org = _org_arg()
    stage = request.args.get("stage", type=int)
    if "stage" in request.args and stage not in STAGES:
        api_error(422, fields={"stage": "stage 须为1到5"})
    if stage:
        result = people.stage_page(user, stage, name=q, org=org, page=page, per_page=per_page)
    else:
        result = profile.search(user, q, org=org, page=page, per_page=per_page)
    return jsonify(page_json(result, [person_json(p) for p in result.items]))


def _record_actions(user, ctx) -> dict:
    """What the caller may do with the record now (the buttons of the person page and the 历史库)."""
    status = ctx.instance.status
    may_archive = archive.may_act(user)
    return {"cancel": workflow.can_cancel(user, ctx),
            # While a 调整申请 waits for the county, no other 调整 is offered.
            "move_back": [] if movebacks.pending_request(ctx.person) else
            [target for target, _, _ in workflow.move_back_options(user, ctx)],
            "restore": may_archive and status == "cancelled",
            "redevelop": may_archive and status == "cancelled"}


@bp.get("/people/<int:person_id>")
def get_person(person_id: int):
    """A person's full record: each step's state, data and files, the ready tasks, the caller's actions."""
    user = api_user()
    person = get_in_scope(Person, person_id, user)
    ctx = workflow.load(person)
    steps = []
    for row in workflow.step_rows(ctx):
        view = workflow.step_view(user, ctx, row["step"].step)
        steps.append({"step": row["step"].step, "name": row["step"].name, "title": row["step"].title,
                      "stage": row["step"].stage, "status": row["status"], "review": row["review"],
                      "last_action_at": iso_utc(row["when"]), "data": view.data if view else {},
                      "hashes": workflow.attachment_hashes(view.data) if view else []})
    files = attachments.describe(user, sorted({h for s in steps for h in s["hashes"]}))
    for step in steps:
        step["files"] = [file_json(files[h]) for h in step.pop("hashes") if h in files]
    return jsonify(person=person_json(person), steps=steps, version=ctx.instance.version,
                   ready=[{"id": t.id, "name": t.name, "title": t.title, "step": t.step,
                           "kind": "review" if t.is_review else "edit", "role": workflow.task_role(t)}
                          for t in ctx.ready],
                   actions=_record_actions(user, ctx))


@bp.put("/people/<int:person_id>/info/<int:tab_no>")
def amend_person_info(person_id: int, tab_no: int):
    """人员信息 修改 of one tab (1 基本信息 … 4), as the page does it: ``data`` holds the tab's editable fields,
    ``version`` the record's version as read. On values sealed by R32 a county admin 更正s instead, with a
    ``reason`` and ``attachments`` (hashes of files uploaded through POST /attachments)."""
    user = api_user()
    person = get_in_scope(Person, person_id, user)
    ctx = workflow.load(person)
    which = profile.tab(tab_no)
    mode, why = profile.edit_mode(user, ctx, which)
    if not mode:
        api_error(403, why or None)
    body = json_body()
    if not isinstance(body.get("data"), dict):
        api_error(422, fields={"data": "data 须为对象"})
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        api_error(422, fields={"version": "version 须为整数"})
    form, view = profile.edit_form(user, ctx, which, payload=body["data"])
    if not form.validate():
        api_error(422, fields=flat_errors(form), rule=form.context.get("refused_by"))
    try:
        if mode == "correct":
            hashes = body.get("attachments") or []
            if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
                api_error(422, fields={"attachments": "attachments 须为文件哈希列表"})
            data = profile.save_correction(user, ctx, which, view.form_key, form, reason=str(body.get("reason") or ""),
                                           attachments=hashes, expected_version=version)
        else:
            data = profile.save_edit(user, ctx, which, view.form_key, form, version)
    except WorkflowError as exc:
        refuse(exc)
    return jsonify(person=person_json(person), mode=mode, data=data, version=ctx.version)


@bp.get("/attachments/<sha256>")
def download_attachment(sha256: str):
    """A stored file (the page's download: in scope only, its type, name and a sandboxing CSP)."""
    return send_visible(api_user(), sha256)


# ---- OpenAPI ------------------------------------------------------------------------------------
register_schema("OrganisationNode", {"type": "object", "properties": {
    "organisation": ref("Organisation"), "depth": {"type": "integer", "description": "相对起点组织的层数"},
    "child_count": {"type": "integer"}}})
register_schema("PersonRecord", {"type": "object", "properties": {
    "person": ref("Person"), "version": {"type": "integer"},
    "steps": {"type": "array", "items": {"type": "object", "properties": {
        "step": {"type": "integer"}, "name": {"type": "string"}, "title": {"type": "string"},
        "stage": {"type": "integer"}, "status": {"type": "string", "enum": ["done", "ready", "review", "future"]},
        "review": {"type": "string"}, "last_action_at": {"type": "string", "nullable": True},
        "data": {"type": "object", "description": "该步骤录入的数据（字段见 GET /tasks/{task_id} 的 schema）"},
        "files": {"type": "array", "items": ref("File")}}}},
    "ready": {"type": "array", "items": {"type": "object"}},
    "actions": {"type": "object", "properties": {
        "cancel": {"type": "boolean"}, "move_back": {"type": "array", "items": {"type": "string"}},
        "restore": {"type": "boolean"}, "redevelop": {"type": "boolean"}}}}})
_ORGS, _PEOPLE = ["组织"], ["人员"]
register_path("/organisations", "get", {
    "summary": "本组织及下级组织树（depth 层），或按名称搜索（q）", "tags": _ORGS,
    "parameters": [query_param("q", "组织名称包含", {"type": "string", "maxLength": 50}),
                   query_param("depth", "层数 1–3", {"type": "integer"})],
    "responses": responses(200, {"type": "object", "properties": {"items": {"type": "array", "items": ref(
        "OrganisationNode")}}}, errors=(403, 422))})
register_path("/organisations/{org_id}", "get", {
    "summary": "一个组织：上级（管理范围内）与直接下级", "tags": _ORGS,
    "parameters": [path_param("org_id", "组织ID")],
    "responses": responses(200, {"type": "object", "properties": {
        "organisation": ref("Organisation"), "ancestors": {"type": "array", "items": ref("Organisation")},
        "children": {"type": "array", "items": ref("OrganisationNode")}}}, errors=(403, 404))})
register_path("/organisations/{org_id}/children", "get", {
    "summary": "直接下级组织", "tags": _ORGS, "parameters": [path_param("org_id", "组织ID")],
    "responses": responses(200, {"type": "object", "properties": {
        "items": {"type": "array", "items": ref("OrganisationNode")}}}, errors=(403, 404))})
register_path("/people", "get", {
    "summary": "人员列表与搜索（人员信息；带 stage 时为发展流程该阶段的在发展人员）", "tags": _PEOPLE,
    "parameters": [query_param("q", "姓名包含或身份证号前缀（带 stage 时仅姓名）", {"type": "string", "maxLength": 50}),
                   query_param("org_id", "组织ID（含下级）", {"type": "integer"}),
                   query_param("stage", "阶段 1–5", {"type": "integer"}), *PAGE_PARAMS],
    "responses": responses(200, page_schema(ref("Person")), errors=(403, 404, 422))})
register_path("/people/{person_id}", "get", {
    "summary": "一名人员的完整记录：各步骤状态、数据与附件，当前任务，可执行的操作", "tags": _PEOPLE,
    "parameters": [path_param("person_id", "人员ID")],
    "responses": responses(200, ref("PersonRecord"), errors=(403, 404))})
register_path("/people/{person_id}/info/{tab_no}", "put", {
    "summary": "人员信息修改（某一页签的可修改字段）；已封存（R32）的数据由县级组织部门管理员更正（须填原因并附依据材料）",
    "tags": _PEOPLE,
    "parameters": [path_param("person_id", "人员ID"), path_param("tab_no", "页签 1–4")],
    "requestBody": json_request({"type": "object", "required": ["data"], "properties": {
        "data": {"type": "object", "description": "该页签的可修改字段"},
        "version": {"type": "integer", "description": "读取时的记录版本（GET /people/{person_id} 的 version）"},
        "reason": {"type": "string", "description": "更正原因（仅更正封存数据时）"},
        "attachments": {"type": "array", "items": {"type": "string"}, "description": "更正依据材料的哈希"}}}),
    "responses": responses(200, {"type": "object", "properties": {
        "person": ref("Person"), "mode": {"type": "string", "enum": ["amend", "correct"]},
        "data": {"type": "object"}, "version": {"type": "integer"}}}, errors=(403, 404, 409, 422))})
register_path("/attachments/{sha256}", "get", {
    "summary": "下载附件（仅管理范围内；图片内联显示，PDF 作为附件下载）", "tags": _PEOPLE,
    "parameters": [path_param("sha256", "文件的 sha256", {"type": "string"})],
    "responses": {"200": {"description": "文件内容", "content": {
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/NotFound"}}})

"""The development procedure over the API: add an applicant, list and read tasks with their form
schema, act on a task, read a person's steps, upload an attachment.

The same services and forms as the pages do the work, so every rule and message is the same.
"""
import sqlalchemy as sa
from flask import jsonify, request

from forms import get_form_class
from forms.codec import flat_errors, schema, to_data

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body, refuse
from app.api.shapes import person_json
from app.api.openapi import json_request, path_param, ref, register_path, register_schema, responses
from app.attachments import services as attachments
from app.extensions import db
from app.inbox import services as inbox
from app.inbox.models import HumanTask
from app.movebacks import services as movebacks
from app.movebacks.models import MoveBackRequest
from app.people.models import Person
from app.realname import services as realname
from app.realname.models import RealnameRequest
from app.scope import get_in_scope, path_prefix, scope_path, select_in_scope
from app.suspensions import services as suspensions
from app.suspensions.models import ResumeRequest
from app.transfers import services as transfers
from app.transfers.models import Transfer
from app.transaction import CONFLICT_MESSAGE
from app.vocab import Action
from app.workflow.models import ProcessInstance
from app.workflow import binding, services


def _task_json(task, person_id: int) -> dict:
    return {"id": task.id, "name": task.name, "title": task.title, "step": task.step, "stage": task.stage,
            "kind": "review" if task.is_review else "edit", "role": services.task_role(task),
            "pass": task.pass_no, "person_id": person_id}


@bp.post("/applicants")
def create_applicant():
    """添加: step 1 data; ``action`` 'submit' (default) or 'save'."""
    user = api_user()
    if not services.can_add_applicant(user):
        api_error(403)
    body = json_body()
    action = body.get("action", "submit")
    if action not in ("submit", "save"):
        api_error(422, fields={"action": "action 须为 submit 或 save"})
    form = binding.form_for(services.application_form_key(), user, payload=body.get("data") or {})
    if not form.validate():
        api_error(422, fields=flat_errors(form), rule=form.context.get("refused_by"))
    try:
        person = services.start_application(user, to_data(form), action)
    except services.WorkflowError as exc:
        refuse(exc)
    ctx = services.load(person)
    return jsonify(person=person_json(person), ready=[_task_json(t, person.id) for t in ctx.ready]), 201


@bp.get("/tasks")
def list_tasks():
    """The caller's inbox: ``view`` mine (default) or below, paginated."""
    user = api_user()
    view = request.args.get("view", "mine")
    if view not in inbox.VIEWS:
        api_error(422, fields={"view": "view 须为 mine 或 below"})
    page = inbox.inbox_page(user, view, page=request.args.get("page", 1, type=int),
                            per_page=min(request.args.get("per_page", 20, type=int), 100))
    items = [{"id": t.task_id, "name": t.task_name, "title": t.title, "step": t.step, "stage": t.stage,
              "process": t.process, "subject_id": t.subject_id, "status": t.status, "role": t.role, "person_id": t.person_id, "person_name": t.person_name,
              "organisation": t.org_name, "arrived_at": t.arrived_at.isoformat(timespec="seconds") + "Z"}
             for t in page.items]
    return jsonify(items=items, page=page.page, per_page=page.per_page, pages=page.pages, total=page.total,
                   total_is_lower_bound=bool(getattr(page, "capped", False)))


def _inbox_row(user, task_id: str) -> HumanTask:
    row = db.session.scalar(select_in_scope(HumanTask, user).where(HumanTask.task_id == task_id).limit(1))
    if row is None:
        # Done by someone else since the caller read it (its inbox row is gone): a lost race if the task
        # belonged to an instance the caller may see, else unknown.
        instance_id = inbox.instance_of_task(task_id)
        if instance_id is not None and _instance_in_scope(user, instance_id):
            api_error(409, CONFLICT_MESSAGE)
        api_error(404)
    return row


def _instance_in_scope(user, instance_id: int) -> bool:
    # Whose task it could have been: the person's, the sending side of a transfer, the request's branch.
    sending = path_prefix(Transfer.from_org_path, scope_path(user))
    for stmt in (select_in_scope(Person, user).where(Person.instance_id == instance_id),
                 sa.select(Transfer.id).where(Transfer.instance_id == instance_id, sending),
                 select_in_scope(RealnameRequest, user).where(RealnameRequest.instance_id == instance_id),
                 select_in_scope(ResumeRequest, user).where(ResumeRequest.instance_id == instance_id)):
        if db.session.scalar(stmt.limit(1)) is not None:
            return True
    return False


def _task_in_scope(user, row: HumanTask, task_id: str):
    person = get_in_scope(Person, row.person_id, user)
    ctx = services.load(person)
    task = next((t for t in ctx.ready if t.id == task_id), None)
    if task is None:
        api_error(409, CONFLICT_MESSAGE)
    return user, ctx, task


# Review tasks of the smaller procedures: (load the row, may review, version, decide).
def _review_target(user, row: HumanTask):
    if row.process == movebacks.PROCESS:
        moveback = get_in_scope(MoveBackRequest, row.subject_id, user)
        return (movebacks.can_decide(user, moveback), movebacks.instance_version(moveback),
                lambda action, opinion, version: movebacks.decide(user, moveback, action, opinion,
                                                                  expected_version=version))
    if row.process == "resume":
        resume = get_in_scope(ResumeRequest, row.subject_id, user)
        return (suspensions.can_review(user, resume), suspensions.instance_version(resume),
                lambda action, opinion, version: suspensions.decide(user, resume, action, opinion,
                                                                    expected_version=version))
    if row.process == "transfer":
        transfer = get_in_scope(Transfer, row.subject_id, user)
        return (transfers.can_review(user, transfer), transfer.version,
                lambda action, opinion, version: transfers.decide(user, transfer, action, opinion,
                                                                  expected_version=version))
    request_row = get_in_scope(RealnameRequest, row.subject_id, user)
    seen = db.session.get(ProcessInstance, request_row.instance_id).version

    def decide(action, opinion, version):
        if version is not None and version != seen:
            raise services.Conflict()
        if action == "approve":
            realname.confirm(user, request_row)
        else:
            realname.reject(user, request_row, opinion)
    return realname.can_confirm(user) and request_row.status == realname.PENDING, seen, decide


def _review_task_json(row: HumanTask) -> dict:
    return {"id": row.task_id, "name": row.task_name, "title": row.title, "step": 0, "stage": 0, "kind": "review",
            "role": row.role, "pass": 1, "person_id": None, "process": row.process, "subject_id": row.subject_id}


@bp.get("/tasks/<task_id>")
def get_task(task_id: str):
    """A ready task with its form schema, current data, allowed actions and the instance version."""
    user = api_user()
    row = _inbox_row(user, task_id)
    if row.process != "development":
        may, version, _ = _review_target(user, row)
        return jsonify(task=_review_task_json(row), form="review", schema=schema(get_form_class("review")),
                       data={}, actions=list(services.REVIEW_ACTIONS) if may else [], version=version)
    user, ctx, task = _task_in_scope(user, row, task_id)
    form_key = "review" if task.is_review else task.form_key
    view = services.step_view(user, ctx, task.step)
    return jsonify(task=_task_json(task, ctx.person.id), form=form_key,
                   schema=schema(get_form_class(form_key)), data=view.data if view else {},
                   actions=(actions := services.allowed_actions(user, ctx, task)),
                   action_labels={a: Action.label_of(a) for a in actions}, version=ctx.version)


@bp.post("/tasks/<task_id>")
def act_on_task(task_id: str):
    """save / submit / report / approve / reject; 422 with per-field messages, 409 on a conflict."""
    user = api_user()
    row = _inbox_row(user, task_id)
    body = json_body()
    action = body.get("action", "")
    if not isinstance(action, str):
        api_error(422, fields={"action": "action 须为字符串"})
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        api_error(422, fields={"version": "version 须为整数"})
    if row.process != "development":
        return _act_on_review(user, row, action, str(body.get("opinion") or ""), version)
    user, ctx, task = _task_in_scope(user, row, task_id)
    data = None
    if not task.is_review:
        form = binding.form_for(task.form_key, user, ctx.person, payload=body.get("data") or {})
        form.context["action"] = action
        if action in ("save", "submit", "report") and not form.validate():
            api_error(422, fields=flat_errors(form), rule=form.context.get("refused_by"))
        data = to_data(form)
    try:
        ready = services.act(user, ctx, task_id, action, data, opinion=str(body.get("opinion") or ""),
                             expected_version=version)
    except services.WorkflowError as exc:
        refuse(exc)
    # The version the runner wrote: nothing is read again to answer.
    return jsonify(person=person_json(ctx.person), ready=[_task_json(t, ctx.person.id) for t in ready],
                   version=ctx.version)


def _act_on_review(user, row: HumanTask, action: str, opinion: str, version: int | None):
    """审核 of a 接续培养 or 实名认证 task, through the same endpoint as step tasks."""
    if action not in services.REVIEW_ACTIONS:
        api_error(422, fields={"action": "action 须为 approve 或 reject"})
    may, _, decide = _review_target(user, row)
    if not may:
        api_error(403)
    try:
        decide(action, opinion, version)
    except services.WorkflowError as exc:
        refuse(exc)
    return jsonify(task=_review_task_json(row), decision=action)


@bp.post("/attachments")
def upload_attachment():
    """Upload one file (multipart field ``file``): JPEG, PNG or PDF, at most 5 MB; returns its hash."""
    user = api_user()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        api_error(422, fields={"file": "请上传文件"})
    try:
        row = attachments.store(user, upload.filename, upload.read(attachments.MAX_BYTES + 1))
    except attachments.UploadError as exc:
        api_error(422, fields={"file": str(exc)})
    return jsonify(sha256=row.sha256, filename=row.filename, size=row.size, mime=row.mime), 201


# ---- OpenAPI ------------------------------------------------------------------------------------
register_schema("ProcessTask", {"type": "object", "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "title": {"type": "string"},
    "step": {"type": "integer"}, "stage": {"type": "integer"}, "kind": {"type": "string", "enum": ["edit", "review"]},
    "role": {"type": "string"}, "pass": {"type": "integer"}, "person_id": {"type": "integer"},
    "process": {"type": "string", "enum": ["development", "transfer", "realname"]},
    "subject_id": {"type": "integer", "description": "接续培养 / 实名认证 的申请ID"}}})
register_schema("ActionResult", {"type": "object", "properties": {
    "person": ref("Person"), "ready": {"type": "array", "items": ref("ProcessTask")},
    "version": {"type": "integer"}}})
_TAGS = ["发展流程"]
register_path("/applicants", "post", {
    "summary": "添加入党申请人（递交入党申请书）", "tags": _TAGS,
    "requestBody": json_request({"type": "object", "properties": {
        "action": {"type": "string", "enum": ["submit", "save"]},
        "data": {"type": "object", "description": "递交入党申请书的表单数据，字段见 GET /tasks/{task_id} 的 schema"}}}),
    "responses": responses(201, ref("ActionResult"), errors=(400, 403, 422))})
register_path("/tasks", "get", {
    "summary": "我的待办事项", "tags": _TAGS,
    "parameters": [{"name": "view", "in": "query", "schema": {"type": "string", "enum": ["mine", "below"]}},
                   {"name": "page", "in": "query", "schema": {"type": "integer"}},
                   {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
    "responses": responses(200, {"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object"}}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "pages": {"type": "integer"},
        "total": {"type": "integer", "description": "exact up to 1000; above, 1000 with total_is_lower_bound"},
        "total_is_lower_bound": {"type": "boolean"}}}, errors=(422,))})
register_path("/tasks/{task_id}", "get", {
    "summary": "查看任务：表单结构、当前数据、可执行操作", "tags": _TAGS,
    "parameters": [path_param("task_id", "任务ID", {"type": "string"})],
    "responses": responses(200, {"type": "object", "properties": {
        "task": ref("ProcessTask"), "form": {"type": "string"},
        "schema": {"type": "array", "items": {"type": "object"}}, "data": {"type": "object"},
        "actions": {"type": "array", "items": {"type": "string", "enum": sorted(Action.values())}},
        "action_labels": {"type": "object", "description": "操作 → 中文名"}, "version": {"type": "integer"}}},
        errors=(404, 409))})
register_path("/tasks/{task_id}", "post", {
    "summary": "办理任务：保存、提交、上报、审核通过、审核不通过", "tags": _TAGS,
    "parameters": [path_param("task_id", "任务ID", {"type": "string"})],
    "requestBody": json_request({"type": "object", "required": ["action"], "properties": {
        "action": {"type": "string", "enum": ["save", "submit", "report", "approve", "reject"]},
        "data": {"type": "object"}, "opinion": {"type": "string"},
        "version": {"type": "integer", "description": "读取任务时的 version；不一致则 409"}}}),
    "responses": responses(200, ref("ActionResult"), errors=(400, 403, 404, 409, 422))})
register_path("/attachments", "post", {
    "summary": "上传附件（JPG、PNG、PDF，≤5MB）", "tags": _TAGS,
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
    "responses": responses(201, {"type": "object", "properties": {
        "sha256": {"type": "string"}, "filename": {"type": "string"}, "size": {"type": "integer"},
        "mime": {"type": "string"}}}, errors=(413, 422))})

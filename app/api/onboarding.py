"""数据导入 over the API: upload a filled template for a dry run or an import (a job on the worker), then read
the job's outcome. The same job as the page (app/onboarding/tasks.py), for the same rights (县级 and above)."""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error
from app.api.openapi import path_param, register_path, register_schema, responses, ref
from app.jobs import services as jobs
from app.onboarding import tasks, workbook


def job_json(job) -> dict:
    """A job of the onboarding import: status, progress and (when done) its result."""
    return {"id": job.id, "kind": job.kind, "status": job.status, "percent": job.percent, "done": job.done,
            "total": job.total, "error": job.error, "result": job.result if job.status == "done" else None}


def _start(action: str):
    upload = request.files.get("file")
    content = upload.read(workbook.MAX_BYTES + 1) if upload is not None else b""
    refusal = "请选择要导入的.xlsx文件" if not content else workbook.file_refusal(content)
    if refusal:
        api_error(422, fields={"file": refusal})
    return jsonify(job_json(tasks.start(api_user(), action, content, upload.filename or ""))), 202


@bp.post("/onboarding/check")
def onboarding_check():
    """Queue the dry run of a filled template (multipart ``file``): every bad cell, nothing written."""
    return _start("check")


@bp.post("/onboarding/import")
def onboarding_import():
    """Queue the import of a filled template (multipart ``file``): all its persons or none."""
    return _start("import")


@bp.get("/onboarding/jobs/<int:job_id>")
def onboarding_job(job_id: int):
    """The caller's own onboarding job (404 for another's)."""
    job = jobs.job_for(api_user(), job_id)
    if not job.kind.startswith("onboarding."):
        api_error(404)
    return jsonify(job_json(job))


register_schema("OnboardingJob", {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": [tasks.CHECK, tasks.IMPORT]},
    "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "percent": {"type": "integer"}, "done": {"type": "integer"}, "total": {"type": "integer"},
    "error": {"type": "string"},
    "result": {"type": "object", "nullable": True, "properties": {
        "rows": {"type": "integer", "description": "通过校验的人数"},
        "imported": {"type": "integer", "description": "已导入人数（校验任务为0）"},
        "problem_count": {"type": "integer"},
        "problems": {"type": "array", "description": "每个有问题的单元格：[工作表, 行, 列名, 填写的值, 问题]",
                     "items": {"type": "array", "items": {"type": "string"}}},
        "error": {"type": "string"}}}}})
_TAGS = ["数据导入"]
_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
    "file": {"type": "string", "format": "binary", "description": "按导入模板填写的 .xlsx"}}}}}}
register_path("/onboarding/check", "post", {
    "summary": "校验在途发展人员导入文件（后台任务；不写入任何数据）", "tags": _TAGS, "requestBody": _UPLOAD,
    "responses": responses(202, ref("OnboardingJob"), errors=(403, 422))})
register_path("/onboarding/import", "post", {
    "summary": "导入在途发展人员（后台任务；有任何问题则不写入任何数据）", "tags": _TAGS, "requestBody": _UPLOAD,
    "responses": responses(202, ref("OnboardingJob"), errors=(403, 422))})
register_path("/onboarding/jobs/{job_id}", "get", {
    "summary": "本人发起的导入任务：状态、进度、结果", "tags": _TAGS, "parameters": [path_param("job_id")],
    "responses": responses(200, ref("OnboardingJob"), errors=(403, 404))})

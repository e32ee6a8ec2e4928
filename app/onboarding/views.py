"""数据导入 pages: the template download, and the upload that starts a dry run (校验) or an import job."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.onboarding import tasks, workbook
from app.workflow.versions import DEVELOPMENT, active_version

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding", template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
def index():
    return render_template("onboarding/index.html", active_menu="onboarding", max_rows=workbook.MAX_ROWS)


@bp.get("/template.xlsx")
def template():
    return Response(workbook.template(active_version(DEVELOPMENT).id), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=onboarding_template.xlsx"})


@bp.post("/")
def upload():
    upload = request.files.get("file")
    action = request.form.get("action")
    if action not in ("check", "import"):
        action = "check"
    content = upload.read(workbook.MAX_BYTES + 1) if upload is not None else b""
    refusal = "请选择要导入的.xlsx文件" if not content else workbook.file_refusal(content)
    if refusal:
        flash(refusal, "error")
        return render_template("onboarding/index.html", active_menu="onboarding", max_rows=workbook.MAX_ROWS), 422
    job = tasks.start(current_user, action, content, upload.filename or "")
    return redirect(url_for("jobs.show", job_id=job.id))

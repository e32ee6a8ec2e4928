"""后台任务 pages: a job's progress (polled by static/js/job_poll.js), its result and its file."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, render_template
from flask_login import current_user

from app.audit.verify import KIND_LABELS as FINDING_KINDS, Finding
from app.jobs import services

bp = Blueprint("jobs", __name__, url_prefix="/jobs", template_folder="templates")


@bp.get("/<int:job_id>")
def show(job_id: int):
    job = services.job_for(current_user, job_id)
    findings = [Finding(**f) for f in job.result.get("findings", [])]
    return render_template("jobs/show.html", job=job, kinds=services.KIND_LABELS, findings=findings,
                           finding_kinds=FINDING_KINDS)


@bp.get("/<int:job_id>.json")
def status(job_id: int):
    job = services.job_for(current_user, job_id)
    return jsonify(status=job.status, percent=job.percent, done=job.done, total=job.total, error=job.error)


@bp.get("/<int:job_id>/file")
def download(job_id: int):
    job = services.job_for(current_user, job_id)
    if job.status != "done" or not job.file_name:
        abort(404)
    with open(services.file_path(job), "rb") as fh:
        body = fh.read()
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(job.file_name)}"})

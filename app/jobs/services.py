"""Starting, finding and finishing jobs (the rows; the work itself is in tasks.py)."""
import os

from flask import abort, current_app

from app.extensions import db
from app.file_modes import private_dir, write_private_file
from app.jobs.models import Job
from app.jobs.queue import enqueue_after_commit
from app.timeutil import utcnow
from app.vocab.statuses import JOB

KIND_LABELS = {"audit.verify": "核验管理范围内全部记录", "query.export": "导出综合查询结果",
               "onboarding.check": "校验在途发展人员导入文件", "onboarding.import": "导入在途发展人员"}


def start(actor, kind: str, task_fn, params: dict | None = None) -> Job:
    """A queued job of ``kind`` for ``actor``; ``task_fn(job_id)`` runs on the worker after this commits."""
    job = Job(kind=kind, user_id=actor.id, params=params or {})
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit(task_fn, job.id)
    return job


def job_for(actor, job_id: int) -> Job:
    """The actor's own job, or 404 (a job's result shows what its starter's scope showed)."""
    job = db.session.get(Job, job_id)
    if job is None or job.user_id != actor.id:
        abort(404)
    return job


def finish(job: Job, result: dict | None = None, *, content: bytes | None = None, file_name: str = "") -> None:
    """The job is done: its result, and a produced file stored under UPLOAD_FOLDER/jobs."""
    if content is not None:
        folder = os.path.join(current_app.config["UPLOAD_FOLDER"], "jobs")
        private_dir(folder)
        write_private_file(file_path(job), content)
        job.file_name = file_name
    JOB.move(job, "finish")
    job.result, job.finished_at = result or {}, utcnow()


def fail(job: Job, message: str) -> None:
    """The job stopped with an error the user can read."""
    JOB.move(job, "fail")
    job.error, job.finished_at = message[:500], utcnow()


def file_path(job: Job) -> str:
    """Where a job's produced file is stored."""
    return os.path.join(current_app.config["UPLOAD_FOLDER"], "jobs", f"{job.id}.bin")

"""The onboarding job: the dry run or the import of an uploaded file, on the worker, with progress."""
import hashlib
import os

from flask import current_app

from app.extensions import db
from app.file_modes import private_dir, write_private_file
from app.jobs import services as jobs
from app.jobs.models import Job
from app.jobs.progress import Progress
from app.jobs.queue import end_transaction, periodic, task
from app.onboarding import plans
from app.jobs.tasks import run_job
from app.onboarding.checker import Report
from app.onboarding.services import ImportRefused, dry_run, import_checked, plan_or_check
from app.workflow.errors import WorkflowError

CHECK, IMPORT = "onboarding.check", "onboarding.import"
# The report keeps this many problems; the count says how many there were.
SHOWN_PROBLEMS = 2000


def upload_path(job_id: int) -> str:
    """Where the uploaded file of a job waits for the worker (removed when the job ends)."""
    return os.path.join(current_app.config["UPLOAD_FOLDER"], "jobs", f"{job_id}.upload")


def keep_upload(job_id: int, content: bytes) -> None:
    """Store the uploaded file for the worker (private, like the jobs' produced files)."""
    private_dir(os.path.dirname(upload_path(job_id)))
    write_private_file(upload_path(job_id), content)


def start(actor, action: str, content: bytes, file_name: str) -> Job:
    """Queue the dry run (``check``) or the import (``import``) of an uploaded file; the worker reads the file
    once this transaction commits."""
    job = jobs.start(actor, IMPORT if action == "import" else CHECK, onboarding_job,
                     {"file_name": file_name[:100], "file_sha256": hashlib.sha256(content).hexdigest()})
    keep_upload(job.id, content)
    return job


def result(report: Report, imported: int = 0, error: str = "") -> dict:
    """What the job page shows: counts and the problems (sheet, row, column, value, message)."""
    return {"rows": len(report.planned), "imported": imported, "problem_count": len(report.problems),
            "problems": [[p.sheet, p.row, p.column, p.value, p.message] for p in report.problems[:SHOWN_PROBLEMS]],
            "error": error, "from_plan": report.from_plan}


@task()
def onboarding_job(job_id: int) -> None:
    """校验 (dry run) or 导入 of the file uploaded with the job, as its starter, within the starter's scope."""
    def work(job: Job, actor) -> None:
        path = upload_path(job.id)
        with open(path, "rb") as fh:
            content = fh.read()
        try:
            checking = Progress(job.id, 0, every=200)
            processes = current_app.config["ONBOARDING_PROCESSES"]
            if job.kind == CHECK:
                jobs.finish(job, result(dry_run(actor, content, checking, processes)))
                return
            report = plan_or_check(actor, content, checking, processes)
            if report.ok:
                # Progress is written on a connection of its own; SQLite's one writer is this import's
                # transaction, so there the page shows the check's progress (none with the dry run's plan)
                # and then the result (the write phase is short: the diagram already ran in the check).
                counted = db.engine.dialect.name != "sqlite"
                progress = Progress(job.id, len(report.planned), every=1000) if counted else None
                import_checked(actor, report, content, job.params.get("file_name", ""),
                               on_person=progress.step if counted else None)
                jobs.finish(job, result(report, imported=len(report.planned)))
            else:
                jobs.finish(job, result(report))
        except WorkflowError as exc:
            # A refused row, or a race with another writer (the same ID number imported meanwhile): nothing of
            # this file stays.
            end_transaction(ok=False)
            job = db.session.get(Job, job_id)
            refused = exc.report if isinstance(exc, ImportRefused) else Report(0)
            jobs.finish(job, result(refused, error="" if isinstance(exc, ImportRefused) else exc.message))
        finally:
            if os.path.exists(path):
                os.remove(path)
    run_job(job_id, work)


@periodic({"minute": "7"})
def forget_expired_plans() -> None:
    """Remove the dry runs' plans nobody imported within their 2 hours (each is also removed when taken)."""
    plans.forget_expired()

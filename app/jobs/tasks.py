"""The long work the worker does for a user: 核验 of everything in scope, and the 综合查询 export."""
from dataclasses import asdict

from flask import current_app
from werkzeug.datastructures import MultiDict

from app.auth.models import User
from app.extensions import db
from app.jobs import services
from app.jobs.models import Job
from app.jobs.progress import Progress
from app.jobs.queue import end_transaction, task
from app.orgs.models import Organisation
from app.scope import org_in_scope


def run_job(job_id: int, work) -> None:
    job = db.session.get(Job, job_id)
    if job is None or job.status != "queued":  # delivered twice: the first run owns it
        return
    actor = db.session.get(User, job.user_id)
    try:
        work(job, actor)
    except Exception as exc:  # the user sees that it failed; the operator reads the worker's log
        end_transaction(ok=False)
        job = db.session.get(Job, job_id)
        services.fail(job, f"任务失败：{type(exc).__name__}")
        end_transaction()  # the failure is kept; the worker's log gets the traceback
        raise


@task()
def verify_scope_job(job_id: int) -> None:
    """核验 every instance in the starter's scope and the operations log, with progress."""
    def work(job: Job, actor) -> None:
        from app.audit import records, verify
        from app.audit.services import log_verification
        ids = records.instance_ids_in_scope(actor)
        progress = Progress(job.id, len(ids))
        report = verify.verify_instances(ids, on_done=progress.step,
                                         processes=current_app.config["VERIFY_PROCESSES"])
        report.findings += verify.verify_operations_log()
        log_verification(actor, f"org:{actor.org_id}", report)
        services.finish(job, {"instances": report.instances, "events": report.events, "files": report.files,
                              "findings": [asdict(f) for f in report.findings]})
    run_job(job_id, work)


@task()
def query_export_job(job_id: int) -> None:
    """The 综合查询 result as .xlsx, with progress; the file is downloaded from the job page."""
    def work(job: Job, actor) -> None:
        from app.query import export, services as query
        args = MultiDict([(k, v) for k, values in job.params.get("args", {}).items() for v in values])
        conditions = query.parse_conditions(args)
        org = db.session.get(Organisation, args.get("org", type=int) or 0)
        org = org if org is not None and org_in_scope(org, actor) else None  # checked by the view already
        progress = Progress(job.id, export.export_size(actor, conditions, org), every=500)
        body, rows = export.result_xlsx(actor, conditions, sort=job.params.get("sort", "newest"),
                                        descending=job.params.get("descending", False), on_rows=progress.step,
                                        org=org)
        services.finish(job, {"rows": rows}, content=body, file_name="综合查询结果.xlsx")
    run_job(job_id, work)

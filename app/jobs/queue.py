"""THE job queue: one huey instance configured from the Flask config, and the wrapper every task runs in.

Storage: ``REDIS_URL`` set → Redis (production, shared by every server and worker); otherwise a SQLite
file under instance/ (``JOBS_SQLITE``), the embedded default. ``JOBS_IMMEDIATE`` runs a task in the
enqueuing process at once (unit tests). The consumer is its own process: ``flask jobs worker``
(``make run`` starts it beside the web server).

Tasks are enqueued *after* the request's commit (``enqueue_after_commit``): a task that starts while the
row it reads is still uncommitted would not find it. Each task runs in an app context of its own (its own
database session) and commits itself: this module is the one place a job ends its transaction.
"""
import functools

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy.orm import Session

from app.extensions import db

# The storage is replaced by ``init_app`` from the Flask config; until then tasks would run at once.
huey = Huey("dangyuan", immediate=True, storage_class=SqliteStorage)
_flask_app: Flask | None = None
_PENDING = "jobs_after_commit"


def init_app(app: Flask) -> None:
    """Point the queue at the app's storage and remember the app for tasks run by the consumer."""
    global _flask_app
    _flask_app = app
    register_cli(app)
    if app.config.get("REDIS_URL"):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": app.config["REDIS_URL"]}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": app.config["JOBS_SQLITE"]}
    huey.immediate = bool(app.config["JOBS_IMMEDIATE"])
    huey.storage = huey.create_storage()  # immediate mode: in memory
    if not sa.event.contains(Session, "after_commit", _flush_pending):
        sa.event.listen(Session, "after_commit", _flush_pending)
        sa.event.listen(Session, "after_soft_rollback", _drop_pending)


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()
    if _flask_app is None:  # the consumer imported the tasks without creating the app
        raise RuntimeError("jobs.queue.init_app was not called")
    return _flask_app


def _in_own_transaction(fn):
    """``fn`` run in a fresh app context (its own session), committed when it returns, rolled back if not."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with _app().app_context():
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
    return run


def task(**options):
    """``huey.task`` whose body runs in its own app context and transaction; ``options`` go to huey."""
    def decorate(fn):
        return huey.task(name=fn.__name__, **options)(_in_own_transaction(fn))
    return decorate


def periodic(crontab_kwargs: dict):
    """A periodic task (huey's crontab, UTC), run like ``task``; the consumer schedules it."""
    def decorate(fn):
        return huey.periodic_task(crontab(**crontab_kwargs), name=fn.__name__)(_in_own_transaction(fn))
    return decorate


def end_transaction(ok: bool = True) -> None:
    """Commit (or roll back) a job's work so far: for a task that must publish a step before going on
    (a claimed outbox row, before the HTTP call)."""
    if ok:
        db.session.commit()
    else:
        db.session.rollback()


def enqueue_after_commit(task_fn, *args) -> None:
    """Enqueue ``task_fn(*args)`` once the current transaction commits (never if it rolls back)."""
    session = db.session()
    session.connection()  # inside a transaction, so that its rollback is seen and drops the task
    session.info.setdefault(_PENDING, []).append((task_fn, args))


def _flush_pending(session) -> None:
    for task_fn, args in session.info.pop(_PENDING, []):
        task_fn(*args)


def _drop_pending(session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:  # not a savepoint
        session.info.pop(_PENDING, None)


def register_cli(app: Flask) -> None:
    """``flask jobs worker``: the consumer, as its own process (production runs one or more)."""
    import click

    @app.cli.group("jobs")
    def jobs_group():
        """后台任务队列。"""

    @jobs_group.command("worker")
    @click.option("--workers", type=int, default=2, show_default=True, help="并发执行任务的线程数")
    def worker(workers):
        """Run the huey consumer for this app's queue (and its periodic tasks) until stopped."""
        import logging
        from app.jobs import tasks as _jobs  # noqa: F401  (register the tasks)
        from app.registry import tasks as _registry  # noqa: F401
        from app.deadlines import tasks as _deadlines  # noqa: F401
        from app.reports import tasks as _reports  # noqa: F401
        if huey.immediate:
            raise click.ClickException("JOBS_IMMEDIATE=1：任务在发起的进程中执行，无需后台进程")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()

"""The one runner: every action of every procedure (development, 接续培养, 实名认证) goes through ``run``.

    check the expected version → take the instance's version lock → build the event → apply it through
    its handler (``app.workflow.handlers``, the table the auditor's replay uses) → save the engine state
    under the lock → append the event → hand the change to the procedure's registered projections

Rights are checked by the procedure's service before it calls ``run`` (``allowed_actions`` and friends,
the hook for separation of duties). The lock comes before any projection write, so a lost race never
half-writes anything: the loser gets ``Conflict`` (409 已被他人处理). A rule gateway that loops back
raises ``RuleViolation``; the request then rolls back. Nothing here commits.
"""
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.events.services import append_event
from app.extensions import db
from app.timeutil import utcnow
from app.workflow import engine
from app.workflow.errors import Conflict, RuleViolation, WorkflowError
from app.workflow.handlers import HandlerError, RuleRefused, StaleTask, State, apply
from app.workflow.models import ProcessInstance, ProcessVersion


@dataclass
class Context:
    """One process instance loaded for one request, with the row its procedure hangs on."""
    instance: ProcessInstance
    wf: object
    person: object = None          # the development procedure's person
    subject: object = None         # the procedure's own row (a transfer, a 实名认证 request)
    process: str = "development"
    # The instance version ``wf`` was loaded at: the lock compares against this, not against the row
    # object, which a commit in between may have refreshed under a workflow that is now stale.
    version: int | None = None
    _ready: list | None = field(default=None, repr=False)

    @property
    def ready(self) -> list[engine.TaskInfo]:
        """Ready user tasks, computed once per engine change (walking the task tree is not free)."""
        if self._ready is None:
            self._ready = engine.ready_tasks(self.wf) if self.wf is not None else []
        return self._ready

    def changed(self) -> None:
        """Forget derived values after the workflow moved."""
        self._ready = None


@dataclass
class Change:
    """What a projection is handed: the actor, the instance after the event, the event row as written,
    and the task the event acted on (as it was before the action)."""
    actor: object
    ctx: Context
    event: dict
    task: engine.TaskInfo | None
    created: bool = False


Projection = Callable[[Change], None]
PROJECTIONS: dict[str, list[Projection]] = {}


def projection(process: str):
    """Register a function called with every Change of instances of ``process`` (in registration order)."""
    def register(fn: Projection) -> Projection:
        PROJECTIONS.setdefault(process, []).append(fn)
        return fn
    return register


def load_version(version_id: int) -> tuple[bytes, str]:
    """A deployed version's diagram for the handlers (start, migrate)."""
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise LookupError(version_id)
    return version.bpmn_xml, version.process_id


def lock(instance: ProcessInstance, seen: int) -> None:
    """Take the instance's row for this transaction if it still has version ``seen``, else Conflict.

    A no-op UPDATE ... WHERE version = :seen: PostgreSQL holds the row lock until commit and makes a
    concurrent writer wait and then find zero rows; SQLite takes its database write lock here, so the
    next writer waits its turn (busy timeout) and then also finds the version moved on. Either way the
    loser learns it lost before it writes anything.
    """
    table = ProcessInstance.__table__
    try:
        with db.session.no_autoflush:
            result = db.session.execute(sa.update(table).where(table.c.id == instance.id, table.c.version == seen)
                                        .values(version=table.c.version))
    except OperationalError as exc:
        if "locked" in str(exc).lower():  # SQLite: still not our turn after the busy timeout
            raise Conflict() from exc
        raise
    if result.rowcount != 1:
        raise Conflict()


def run(actor, ctx: Context, action: str, *, task: engine.TaskInfo | None = None, task_name: str = "",
        task_pass: int = 0, data: dict | None = None, attachments: list | None = None,
        expected_version: int | None = None) -> dict:
    """Apply one action to ``ctx``'s instance and record it; returns the event as written (with seq).

    ``task`` (a ready or completed task) names the task the event acts on; ``task_name``/``task_pass``
    name one without a TaskInfo (move back). ``expected_version`` is the version the user saw."""
    instance = ctx.instance
    created = ctx.wf is None
    try:
        if not created:
            seen = ctx.version if ctx.version is not None else instance.version
            if expected_version is not None and expected_version != seen:
                raise Conflict()
            lock(instance, seen)
        event = {"action": action, "task_name": task.name if task else task_name,
                 "task_pass": task.pass_no if task else task_pass, "data": data or {},
                 "attachments": sorted(set(attachments or []))}
        ready = task if task is not None and any(t.id == task.id for t in ctx.ready) else None
        state = State(wf=ctx.wf, status=instance.status or "running", version_id=instance.process_version_id,
                      load_version=load_version, found=ready)
        try:
            apply(state, event)
        except RuleRefused as exc:
            raise RuleViolation(exc.fields, rule=exc.rule) from exc
        except StaleTask as exc:
            raise Conflict() from exc
        except HandlerError as exc:
            raise WorkflowError(exc.message) from exc
        ctx.wf = state.wf
        ctx.changed()
        instance.state = engine.dumps(state.wf)
        instance.status = state.status
        if instance.process_version_id != state.version_id:  # migrated
            instance.process_version_id = state.version_id
            db.session.expire(instance, ["process_version"])
        instance.updated_at = utcnow()
        db.session.flush()  # the state under its version lock, before any projection writes
        ctx.version = instance.version
        row = append_event(instance.id, actor, action, task_name=event["task_name"], task_pass=event["task_pass"],
                           data=event["data"], attachments=event["attachments"])
        event["seq"] = row.seq
        change = Change(actor=actor, ctx=ctx, event=event, task=task, created=created)
        for project in PROJECTIONS.get(ctx.process, ()):
            project(change)
        db.session.flush()
    except StaleDataError as exc:
        raise Conflict() from exc
    except IntegrityError as exc:
        # Two writers of one chain or one unique key: the other one won.
        raise Conflict() from exc
    return event


def open_instance(version: ProcessVersion, *, process: str, person=None, subject=None) -> Context:
    """A new, not yet started instance row of ``version`` (flushed, so rows can point at its id)."""
    instance = ProcessInstance(process_version_id=version.id, state="", status="running")
    db.session.add(instance)
    db.session.flush()
    return Context(instance=instance, wf=None, person=person, subject=subject, process=process)


def start(actor, ctx: Context, version: ProcessVersion, data: dict) -> dict:
    """The ``start`` event of a new instance: the handler starts the diagram version named in it."""
    return run(actor, ctx, "start", data={"process_version_id": version.id,
                                          "spec_ref": engine.spec_ref(version.bpmn_xml, version.process_id),
                                          **data})


def load(instance_id: int, *, process: str = "development", person=None, subject=None) -> Context:
    """An instance and its workflow, for acting on it."""
    instance = db.session.get(ProcessInstance, instance_id)
    return Context(instance=instance, wf=engine.loads(instance.state), person=person, subject=subject,
                   process=process, version=instance.version)

"""The one runner: every action of every procedure (development, 接续培养, 实名认证) goes through ``run``.

    check the expected version → take the instance's version lock → build the event → apply it through
    its handler (``app.workflow.handlers``, the table the auditor's replay uses) → save the engine state
    under the lock → append the event → hand the change to the procedure's registered projections

Rights are checked by the procedure's service before it calls ``run`` (``allowed_actions`` and friends,
the hook for separation of duties). The lock comes before any projection write, so a lost race never
half-writes anything: the loser gets ``Conflict`` (409 已被他人处理). A rule gateway that loops back
raises ``RuleViolation``; the request then rolls back. Nothing here commits.

Loaded workflows are kept per worker (``WORKFLOWS``, an LRU keyed by instance id, each entry with the
(version, chain end) of the stored row it matches): the step page's GET, the POST after it and the page
after the redirect deserialise an instance once between them, and a page whose worker holds the workflow
does not read the state at all. Every write of the state goes through ``_save``/``run_prepared``, which
move the version and the event chain's end (``last_hash``, a hash over every event up to it, server time
in microseconds included) with it under the version lock, so the pair names one committed state text: an
entry is used only if the row still has exactly that pair, and another server's write is loaded afresh.
A save is handed back to the cache only once its transaction committed (no rollback of any level after it,
``_committed``/``_rolled_back``), so a rolled-back save is never served. A state altered outside the
application without moving the pair (a hand-edited row) is not noticed by a worker holding that instance
until the instance moves on; ``flask verify`` compares the stored state with the replayed events. A request
owns the workflows it took; they go back at the end of the request, unless an action moved one without
saving it.
"""
from dataclasses import dataclass, field, replace
from typing import Callable

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.db_setup import pipelined_writes, update_where
from app.events.services import chained_event, first_events, insert_events
from app.extensions import db
from app.timeutil import utcnow
from app.workflow import engine
from app.workflow.errors import Conflict, RuleViolation, WorkflowError
from app.workflow.handlers import (HandlerError, RuleRefused, StaleTask, State, VersionLoader, apply,
                                   outcome_event)
from app.lru import LRU
from app.workflow.models import ProcessInstance, ProcessVersion
from app.workflow.versions import active_version

WORKFLOW_CACHE_SIZE = 64
# instance id → ((version, last_hash) of the row it matches, workflow); see the module's docstring.
WORKFLOWS = LRU(WORKFLOW_CACHE_SIZE)
# person id → the instance id last loaded for that person: the development pages name the person, and choose
# before their SELECT whether it needs the state (``holds_person``).
PERSONS = LRU(WORKFLOW_CACHE_SIZE)


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
    instance_id: int | None = None
    # (version, last_hash) of the stored row ``wf`` matches (loaded from or saved as); None while an action
    # has moved it without saving, or once a rollback undid its save, so it never goes back to the cache.
    stored: tuple[int, str] | None = field(default=None, repr=False)
    # Saved (or read after a save) in this request's transaction, not yet committed: the cache takes it
    # back only after the commit.
    pending: bool = field(default=False, repr=False)
    # The data the current task holds, for an instance ``run_prepared`` recorded without loading its workflow.
    current: dict | None = field(default=None, repr=False)
    # (instance version, task name, actor) of the instance's latest 上报 when the loading SELECT read them
    # (access/duties.py: the reporter of the review at hand without a statement of its own).
    latest_report: tuple | None = field(default=None, repr=False)
    _ready: list | None = field(default=None, repr=False)
    _completed: list | None = field(default=None, repr=False)

    @property
    def ready(self) -> list[engine.TaskInfo]:
        """Ready user tasks, computed once per engine change (walking the task tree is not free)."""
        if self._ready is None:
            self._ready = engine.ready_tasks(self.wf) if self.wf is not None else []
        return self._ready

    @property
    def completed(self) -> list[engine.TaskInfo]:
        """Completed user tasks with their data (``engine.completed_tasks``), computed once per engine change:
        a person's page asks for them for its rows, its seal and its 调整 choices. Read-only for callers."""
        if self._completed is None:
            self._completed = engine.completed_tasks(self.wf) if self.wf is not None else []
        return self._completed

    @property
    def approved_reviews(self) -> set[str]:
        """Names of the completed reviews that approved (``engine.approved_reviews``)."""
        return engine.approved_reviews(self.wf) if self.wf is not None else set()

    def changed(self) -> None:
        """Forget derived values after the workflow moved."""
        self._ready = self._completed = None


@dataclass
class Change:
    """What a projection is handed: the actor, the instance after the event, the event row as written,
    and the task the event acted on (as it was before the action)."""
    actor: object
    ctx: Context
    event: dict
    task: engine.TaskInfo | None
    created: bool = False
    # The ready tasks before the event (what the inbox rows showed), so projections can write the difference.
    ready_before: list = field(default_factory=list)


Projection = Callable[[Change], None]
PROJECTIONS: dict[str, list[Projection]] = {}
# projection → its form for many changes at once (``run_prepared``); a projection without one is called per change.
BATCH_PROJECTIONS: dict[Projection, Callable[[list[Change]], None]] = {}


def projection(process: str):
    """Register a function called with every Change of instances of ``process`` (in registration order)."""
    def register(fn: Projection) -> Projection:
        PROJECTIONS.setdefault(process, []).append(fn)
        return fn
    return register


def batch_projection(single: Projection):
    """Register the form of the projection ``single`` that ``run_prepared`` calls once with all its changes;
    it must write exactly what ``single`` would write change by change."""
    def register(fn: Callable[[list[Change]], None]):
        BATCH_PROJECTIONS[single] = fn
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
        seen = None
        if not created:
            seen = ctx.version if ctx.version is not None else instance.version
            if expected_version is not None and expected_version != seen:
                raise Conflict()
        event = {"action": action, "task_name": task.name if task else task_name,
                 "task_pass": task.pass_no if task else task_pass, "data": data or {},
                 "attachments": sorted(set(attachments or []))}
        ready_before = ctx.ready
        ready = task if task is not None and any(t.id == task.id for t in ready_before) else None
        state = State(wf=ctx.wf, status=instance.status or "running", version_id=instance.process_version_id,
                      load_version=load_version, found=ready)
        ctx.stored = None  # from here on the workflow object may differ from any stored state
        try:
            apply(state, event)
            # An outcome the diagram decided (停止发展, 退回, 延长预备期, 取消预备党员资格) is an event of its own.
            decided = outcome_event(state, event)
            if decided is not None:
                apply(state, decided)
        except RuleRefused as exc:
            raise RuleViolation(exc.fields, rule=exc.rule) from exc
        except StaleTask as exc:
            raise Conflict() from exc
        except HandlerError as exc:
            raise WorkflowError(exc.message) from exc
        ctx.wf = state.wf
        ctx.changed()
        text = engine.dumps(state.wf)
        # The events hang after the chain's end as the row read at ``seen`` holds it; the save below moves
        # that end with the state under the version lock, so no other appender can have moved it meanwhile.
        rows = [chained_event(instance.id, actor, action, after=(instance.last_seq or 0, instance.last_hash or ""),
                              task_name=event["task_name"], task_pass=event["task_pass"], data=event["data"],
                              attachments=event["attachments"])]
        if decided is not None:
            decided["action"] = str(decided["action"].value)
            rows.append(chained_event(instance.id, actor, decided["action"], after=(rows[0].seq, rows[0].hash),
                                      task_name=decided["task_name"], task_pass=decided["task_pass"],
                                      data=decided["data"], created_at=rows[0].created_at))
        # The save's row count is waited for (the version lock decides there); the event and the projections'
        # writes marked PIPELINED then go out without a round trip each (PostgreSQL; app/db_setup.py).
        saved = False
        try:
            with pipelined_writes(db.session.connection()):
                _save(instance, seen, text, state, rows[-1])  # under the version lock, before any projection
                saved = True
                _remember(ctx, saved=True)
                ctx.version, ctx.stored = instance.version, (instance.version, instance.last_hash)
                insert_events(rows)
                event["seq"] = rows[0].seq
                if decided is not None:
                    decided["seq"] = rows[1].seq
                    event["outcome"] = decided
                change = Change(actor=actor, ctx=ctx, event=event, task=task, created=created,
                                ready_before=ready_before)
                for project in PROJECTIONS.get(ctx.process, ()):
                    project(change)
                db.session.flush()
        except Exception:
            if saved:
                # The saved state goes with the rollback that follows; the ORM did not see the Core UPDATE, so
                # the row is read again when next used rather than kept at the version that never was.
                db.session.expire(instance, ["state", "version", "updated_at", "last_seq", "last_hash"])
                ctx.stored = None
            raise
    except StaleDataError as exc:
        raise Conflict() from exc
    except IntegrityError as exc:
        # Two writers of one chain or one unique key: the other one won.
        raise Conflict() from exc
    return event


@dataclass
class Prepared:
    """A new instance's opening event (``start``, ``import``) as its handler applied it to a fresh engine, in
    plain data (so a forked worker can compute it and hand it back): what ``run_prepared`` writes."""
    event: dict
    state: str                     # the serialised engine state (``engine.dumps``)
    status: str
    version_id: int
    ready: list                    # the ready tasks (engine.TaskInfo, without data)
    current: dict                  # the data the ready task (or the last completed one) holds


def prepare(event: dict, load_version: VersionLoader) -> Prepared:
    """Apply the opening event of a new instance through its handler (``handlers.apply``, as ``run`` and the
    replay do) and serialise the result; reads no database. Raises what the handler raises (HandlerError,
    RuleRefused, StepsPassedBy …); an event after which the diagram decided an outcome is refused, since
    ``run_prepared`` records one event per instance."""
    state = State(load_version=load_version)
    event = {"task_name": "", "task_pass": 0, "data": {}, **event,
             "attachments": sorted(set(event.get("attachments") or []))}
    apply(state, event)
    if outcome_event(state, event) is not None:
        raise HandlerError(f"流程图决定了结果“{state.outcome.get('kind')}”，不能成批开始")
    ready = engine.ready_tasks(state.wf, with_data=True)
    latest = ready or engine.completed_tasks(state.wf)[-1:]
    return Prepared(event=event, state=engine.dumps(state.wf), status=state.status, version_id=state.version_id,
                    ready=[replace(t, data={}) for t in ready], current=latest[0].data if latest else {})


def open_instances(version: ProcessVersion, count: int, *, process: str) -> list[Context]:
    """``count`` new, not yet started instance rows of ``version`` in one statement (the batch form of
    ``open_instance``); their rows are not in the session, so nothing here is flushed again."""
    table = ProcessInstance.__table__
    now = utcnow()
    rows = [{"process_version_id": version.id, "state": "", "status": "running", "version": 1,
             "created_at": now, "updated_at": now} for _ in range(count)]
    ids = db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
    return [Context(instance=ProcessInstance(id=i, process_version_id=version.id, state="", status="running",
                                             version=1, created_at=now, updated_at=now),
                    wf=None, process=process, version=1, instance_id=i) for i in ids]


def run_prepared(actor, items: list[tuple[Context, Prepared]]) -> list[dict]:
    """Record many new instances' opening events (``prepare`` made each, ``open_instances`` opened each
    instance) as ``run`` records one: save each state, append each event, then the projections of the
    process (a projection's batch form once, others change by change). Returns the events as written. The
    handler's results are trusted as they are: they must come from ``prepare`` on this server (in this job,
    or kept sealed by the server since, as the onboarding dry run's plan), never from a client."""
    if not items:
        return []
    process = items[0][0].process
    table = ProcessInstance.__table__
    now = utcnow()
    for ctx, prepared in items:
        if ctx.process != process or ctx.version != 1 or ctx.instance.state:
            raise WorkflowError("只能成批记录同一流程新开的实例")
        if prepared.status != ctx.instance.status:
            raise WorkflowError("成批开始的流程须仍在进行中")  # a status change goes through run's guarded save
    rows = first_events(actor, [(ctx.instance.id, prepared.event) for ctx, prepared in items])
    saves = [{"k_id": ctx.instance.id, "k_version": 1, "v_state": prepared.state, "v_version": 2,
              "v_updated_at": now, "v_last_seq": row.seq, "v_last_hash": row.hash}
             for (ctx, prepared), row in zip(items, rows)]
    try:
        # The version moves from 1 to 2, as the ORM's save of a new instance in ``run`` moves it.
        db.session.execute(update_where(table, _SAVED, ("id", "version")), saves)
        insert_events(rows)
    except IntegrityError as exc:
        raise Conflict() from exc
    changes = []
    for (ctx, prepared), row in zip(items, rows):
        for name, value in (("state", prepared.state), ("version", 2), ("updated_at", now),
                            ("last_seq", row.seq), ("last_hash", row.hash)):
            setattr(ctx.instance, name, value)
        ctx.wf, ctx.version, ctx.stored, ctx._ready = None, 2, (2, row.hash), list(prepared.ready)
        ctx.current = prepared.current
        changes.append(Change(actor=actor, ctx=ctx, event={**prepared.event, "seq": 1}, task=None, created=True,
                              ready_before=[]))
    for project in PROJECTIONS.get(process, ()):
        batch = BATCH_PROJECTIONS.get(project)
        if batch is not None:
            batch(changes)
        else:
            for change in changes:
                project(change)
    return [change.event for change in changes]


# The columns a save writes: the state, its version (the lock) and the end of the event chain.
_SAVED = ("state", "version", "updated_at", "last_seq", "last_hash")


def _save(instance: ProcessInstance, seen: int | None, text: str, state: State, last) -> None:
    """Write the new state and the chain's new end (``last``, the last event appended) under the version
    lock; Conflict if the version moved on since ``seen``.

    The common case (same status, same diagram version) is one UPDATE ... WHERE version = :seen, which is
    the lock itself; a change of status or diagram version goes through the ORM after the lock, so the
    vocabulary guard checks the status transition."""
    now = utcnow()
    if seen is not None and state.status == instance.status and state.version_id == instance.process_version_id:
        table = ProcessInstance.__table__
        values = {"state": text, "version": seen + 1, "updated_at": now, "last_seq": last.seq,
                  "last_hash": last.hash}
        try:
            # On the session's connection: a Core statement, so nothing is autoflushed before it and none
            # of Session.execute's ORM dispatch is needed.
            result = db.session.connection().execute(update_where(table, _SAVED, ("id", "version")),
                                                     {"k_id": instance.id, "k_version": seen,
                                                      **{f"v_{name}": value for name, value in values.items()}})
        except OperationalError as exc:
            if "locked" in str(exc).lower():  # SQLite: still not our turn after the busy timeout
                raise Conflict() from exc
            raise
        if result.rowcount != 1:
            raise Conflict()
        for name, value in values.items():
            set_committed_value(instance, name, value)
        return
    if seen is not None:
        lock(instance, seen)
    instance.state = text
    instance.status = state.status
    instance.last_seq, instance.last_hash = last.seq, last.hash
    if instance.process_version_id != state.version_id:  # migrated
        instance.process_version_id = state.version_id
        db.session.expire(instance, ["process_version"])
    instance.updated_at = now
    db.session.flush()


def open_instance(version: ProcessVersion, *, process: str, person=None, subject=None) -> Context:
    """A new, not yet started instance row of ``version`` (flushed, so rows can point at its id)."""
    instance = ProcessInstance(process_version_id=version.id, state="", status="running")
    db.session.add(instance)
    db.session.flush()
    return Context(instance=instance, wf=None, person=person, subject=subject, process=process)


def start_request(actor, process: str, subject, data: dict, conflict: str = "", *,
                  subject_key: str = "") -> Context:
    """Start the active version of ``process`` for a new request row ``subject`` (接续培养, 归国恢复, 调整申请,
    实名认证): the row gets the new instance's id and is flushed before the ``start`` event, so a racing request
    that took the row's unique key first (one pending request per person or suspension) is a Conflict. With
    ``subject_key`` the start event also names the row's id (known only after that flush) under that key."""
    version = active_version(process)
    ctx = open_instance(version, process=process, subject=subject)
    subject.instance_id = ctx.instance.id
    db.session.add(subject)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise (Conflict(conflict) if conflict else Conflict()) from exc
    start(actor, ctx, version, {subject_key: subject.id, **data} if subject_key else data)
    return ctx


def start(actor, ctx: Context, version: ProcessVersion, data: dict) -> dict:
    """The ``start`` event of a new instance: the handler starts the diagram version named in it."""
    return run(actor, ctx, "start", data={"process_version_id": version.id,
                                          "spec_ref": engine.spec_ref(version.bpmn_xml, version.process_id),
                                          **data})


def load(instance_id: int, *, process: str = "development", person=None, subject=None,
         instance: ProcessInstance | None = None) -> Context:
    """An instance and its workflow, for acting on it (from the per-worker cache when still current);
    ``instance``: its row when the caller already read it, with or without its ``state`` (read here only
    if the cache's workflow is not current)."""
    if instance is None or instance.id != instance_id:
        instance = db.session.get(ProcessInstance, instance_id)
    stored = (instance.version, instance.last_hash)
    entry = WORKFLOWS.pop(instance.id)
    if entry is not None and entry[0] == stored:
        wf = entry[1]
    else:
        if "state" in sa.inspect(instance).unloaded:
            stored = _read_row(instance)
        wf = engine.loads(instance.state)
    ctx = Context(instance=instance, wf=wf, person=person, subject=subject, process=process,
                  version=stored[0], stored=stored)
    if person is not None:
        PERSONS.put(person.id, instance.id)
    _remember(ctx)
    return ctx


def holds_person(person_id) -> bool:
    """Whether this worker holds the workflow last loaded for the person ``person_id`` (at some version): the
    caller's SELECT may then leave the state out, which ``load`` reads only if that workflow is not current."""
    instance_id = PERSONS.get(person_id)
    return instance_id is not None and instance_id in WORKFLOWS


_ROW = ProcessInstance.__table__
_READ_ROW = sa.select(*(c for c in _ROW.c if c.key != "id")).where(_ROW.c.id == sa.bindparam("id"))


def _read_row(instance: ProcessInstance) -> tuple[int, str]:
    # The state with the rest of its row, by one statement: the state must match the version (the lock) and
    # the status the action starts from, and a write may have committed since the row was first read.
    row = db.session.execute(_READ_ROW, {"id": instance.id}).one()._mapping
    if row["process_version_id"] != instance.process_version_id:
        db.session.expire(instance, ["process_version"])
    for column, value in row.items():
        set_committed_value(instance, column, value)
    return instance.version, instance.last_hash


def _remember(ctx: Context, saved: bool = False) -> None:
    # The request hands its workflows back to the cache when it ends (release_workflows); one saved, or read
    # after a save, in a transaction not yet committed only once that transaction commits.
    ctx.instance_id = ctx.instance.id
    if has_request_context():
        held = g.setdefault("_workflows", {})
        held[id(ctx)] = ctx
        unsaved = g.setdefault("_workflows_pending", set())
        if saved:
            unsaved.add(ctx.instance_id)
        ctx.pending = ctx.instance_id in unsaved


def _request_session(session) -> bool:
    # The request's own session (not another one the request may have opened).
    return has_request_context() and "_workflows" in g and db.session.registry.has() and \
        session is db.session.registry()


@sa.event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    """The request's transaction committed (not a savepoint released): what it saved is stored for good."""
    if session.in_nested_transaction() or not _request_session(session):
        return
    for ctx in g._workflows.values():
        ctx.pending = False
    g.pop("_workflows_pending", None)


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session) -> None:
    """A rollback (of the transaction or a savepoint) may have undone any save not yet committed: those
    workflows never go back to the cache."""
    if not _request_session(session):
        return
    for ctx in g._workflows.values():
        if ctx.pending:
            ctx.stored = None


def release_workflows(exc=None) -> None:
    """End of a request: workflows that still match a committed stored row go back to the per-worker cache."""
    held = g.pop("_workflows", None) if has_request_context() else None
    for ctx in (held or {}).values():
        if ctx.stored is not None and ctx.wf is not None and not ctx.pending:
            WORKFLOWS.put(ctx.instance_id, (ctx.stored, ctx.wf))


def configure(workflow_cache_size: int | None = None) -> None:
    """Set the bound of the per-worker workflow cache (the app's ``WORKFLOW_CACHE_SIZE``) and empty it: a new
    app may be on another database (the tests), whose rows the held workflows do not match."""
    WORKFLOWS.clear()
    PERSONS.clear()
    if workflow_cache_size:
        WORKFLOWS.resize(workflow_cache_size)
        PERSONS.resize(workflow_cache_size)

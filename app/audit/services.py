"""The auditor's read side: pick a person, their timeline, the instance as of event N, verification
over a person or a subtree, the printable dossier, and the operations log. Nothing here changes a
record (exports and verifications are themselves logged in the operations log)."""
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import abort, current_app
from lxml import etree

from app.audit import records, verify
from app.audit.event_fields import event_fields
from app.audit.replay import ReplayError, Snapshot, replay
from app.auth.models import User
from app.auth.roles import role_label
from app.events.models import Event, OperationLog
from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import Organisation
from app.paging import KeysetPage
from app.people.models import Person
from app.people.services import persons_with_orgs
from app.scope import below_root, get_in_scope, scope_condition, scope_path, scoped, select_in_scope
from app.timeutil import utc_start_of_local_day
from app.workflow import engine
from app.workflow.services import StepDef, mark_skipped, step_catalogue
from forms.validators import date_in_bounds


# ---- choosing a person --------------------------------------------------------------------------

def audited_person(actor, person_id) -> Person:
    """A person in scope with a recorded instance, or 404 (the pages and the API audit only those)."""
    person = get_in_scope(Person, person_id, actor)
    if person.instance_id is None:
        abort(404)
    return person


def people_page(actor, query: str = "", page: int = 1, after: int | None = None, before: int | None = None):
    """Persons in scope whose name or ID number matches ``query``, newest first, one page (keyset paging,
    capped count: app/paging.py)."""
    keys = select_in_scope(Person, actor).with_only_columns(Person.id).where(Person.instance_id.is_not(None))
    query = (query or "").strip()
    if query:
        keys = keys.where(sa.or_(Person.name.contains(query), Person.id_number == query.upper()))
    return KeysetPage(page=page, per_page=current_app.config.get("PAGE_SIZE", 20), keys=keys, key=Person.id,
                      load=persons_with_orgs, after=after, before=before, ranged=below_root(scope_path(actor)))


# ---- timeline -----------------------------------------------------------------------------------

@dataclass
class TimelineFilter:
    """What the timeline is narrowed to; empty fields do not filter."""
    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "TimelineFilter":
        """Read the filter from query-string arguments; unreadable dates (or outside 1900–2100) are ignored."""
        return cls(action=args.get("action", "").strip(), actor=args.get("actor", "").strip(),
                   date_from=_parse_date(args.get("from")), date_to=_parse_date(args.get("to")))

    def apply(self, stmt, model):
        """Add the filter's conditions for a model with action, actor_name and created_at columns."""
        if self.action:
            stmt = stmt.where(model.action == self.action)
        if self.actor:
            stmt = stmt.where(model.actor_name.contains(self.actor))
        # The days a user types are Beijing days, like the times the page shows.
        if self.date_from:
            stmt = stmt.where(model.created_at >= utc_start_of_local_day(self.date_from))
        if self.date_to:
            stmt = stmt.where(model.created_at < utc_start_of_local_day(self.date_to + timedelta(days=1)))
        return stmt

    def as_args(self) -> dict:
        """The filter as query-string arguments (for links that keep it)."""
        return {k: v for k, v in (("action", self.action), ("actor", self.actor),
                                  ("from", self.date_from and self.date_from.isoformat()),
                                  ("to", self.date_to and self.date_to.isoformat())) if v}


def _parse_date(text) -> date | None:
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    # A day outside the years any record can hold filters nothing (and 9999-12-31 + 1 day overflows).
    return day if date_in_bounds(day) else None


@dataclass
class TimelineRow:
    """One event as the timeline shows it."""
    event: Event
    org_name: str
    role_label: str
    step: StepDef | None
    is_review: bool
    fields: list = field(default_factory=list)  # the data as labelled fields (audit/event_fields.py)


def _steps_by_task(version_id: int) -> dict[str, tuple[StepDef, bool]]:
    """BPMN task id → (its step, whether it is the step's review task)."""
    result = {}
    for step in step_catalogue(version_id):
        result[step.name] = (step, False)
        if step.review_name:
            result[step.review_name] = (step, True)
    return result


def timeline(person: Person, filters: TimelineFilter, actor=None) -> list[TimelineRow]:
    """Every event of the person's instance (oldest first) matching the filter, with who and which step;
    with ``actor``, each event's data as labelled fields in the form's words (files the actor may see)."""
    stmt = (sa.select(Event, Organisation.name).outerjoin(Organisation, Organisation.id == Event.org_id)
            .where(Event.instance_id == person.instance_id).order_by(Event.seq))
    rows = db.session.execute(filters.apply(stmt, Event)).all()
    steps = _steps_by_task(records.instance_row(person.instance_id).process_version_id)
    out = []
    for ev, org_name in rows:
        step, is_review = steps.get(ev.task_name, (None, False))
        out.append(TimelineRow(event=ev, org_name=org_name or "", role_label=role_label(ev.role), step=step,
                               is_review=is_review,
                               fields=event_fields(ev, step, actor, person) if actor is not None else []))
    return out


def task_titles(person: Person) -> dict[str, str]:
    """BPMN task id → "N.title" (reviews marked), for naming tasks in event lists."""
    steps = _steps_by_task(records.instance_row(person.instance_id).process_version_id)
    return {name: f"{step.step}.{step.title}" + ("（审核）" if review else "")
            for name, (step, review) in steps.items()}


def actions_of(person: Person) -> list[str]:
    """The distinct actions in a person's log (choices of the timeline's action filter)."""
    return sorted(set(db.session.scalars(sa.select(Event.action).where(Event.instance_id == person.instance_id))))


# ---- the instance as of event N ------------------------------------------------------------------

@dataclass
class StepState:
    """One step as it was: status, review status, its data then."""
    step: StepDef
    status: str          # done | ready | review | future | skipped
    review: str          # '' | 待审核 | 审核通过 | 审核不通过
    data: dict
    passes: int


@dataclass
class ReplayView:
    """Everything the replay page shows for event N."""
    events: list[dict]
    seq: int
    event: dict | None
    snapshot: Snapshot | None
    error: ReplayError | None
    steps: list[StepState] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else 0


def state_at(person: Person, seq: int | None) -> ReplayView:
    """Re-run the recorded process version with the logged inputs up to event ``seq`` (default: last)."""
    events = records.event_dicts(person.instance_id)
    last = events[-1]["seq"] if events else 0
    seq = last if seq is None else max(min(seq, last), 1 if events else 0)
    event = next((e for e in events if e["seq"] == seq), None)
    cache: dict = {}
    try:
        snap = replay(events, lambda vid: records.version_source(vid, cache), upto=seq)
    except ReplayError as exc:
        return ReplayView(events=events, seq=seq, event=event, snapshot=None, error=exc)
    view = ReplayView(events=events, seq=seq, event=event, snapshot=snap, error=None)
    if snap.wf is not None:
        view.steps = _step_states(snap)
        trail = engine.trail(snap.wf)
        flows = _flow_ids(snap.version_id)
        view.done, view.current = trail["done"], trail["current"]
        view.flows = sorted({flows[pair] for pair in trail["pairs"] if pair in flows})
    return view


def _step_states(snap: Snapshot) -> list[StepState]:
    ready = {t.name: t for t in engine.ready_tasks(snap.wf, with_data=True)}
    completed: dict[str, list] = {}
    for task in engine.completed_tasks(snap.wf):
        completed.setdefault(task.name, []).append(task)
    states = []
    for step in step_catalogue(snap.version_id):
        key = step.data_key
        passes = len(completed.get(step.name, [])) + (1 if step.name in ready else 0)
        if step.review_name and step.review_name in ready:
            status, review, source = "review", "待审核", ready[step.review_name]
        elif step.name in ready:
            status, source = "ready", ready[step.name]
            review = "审核不通过" if snap.reviews.get(step.review_name) == "reject" else ""
        elif step.name in completed:
            status, source = "done", completed[step.name][-1]
            review = "审核通过" if step.review_name in completed else ""
        else:
            status, review, source = "future", "", None
        data = dict((source.data if source else {}).get(key) or {})
        states.append(StepState(step=step, status=status, review=review, data=data, passes=passes))
    for state, status in zip(states, mark_skipped([s.status for s in states])):
        if status == "skipped":
            state.status, state.review = status, state.step.skipped_because
    return states


def step_display(actor, person: Person, view: ReplayView) -> tuple[dict, dict]:
    """(step number → read-only sections of its data then, sha → attachment row) for the replay page."""
    from app.attachments.services import describe
    from app.workflow.binding import readonly_sections
    from app.workflow.services import attachment_hashes
    sections = {s.step.step: readonly_sections(s.step.form_key, s.data, actor, person)
                for s in view.steps if s.status not in ("future", "skipped")}
    hashes = sorted({h for s in view.steps for h in attachment_hashes(s.data)})
    return sections, describe(actor, hashes)


_FLOW_CACHE: dict[int, dict[tuple[str, str], str]] = {}
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _flow_ids(version_id: int) -> dict[tuple[str, str], str]:
    """(source id, target id) → sequence flow id of a deployed diagram (versions are immutable)."""
    if version_id not in _FLOW_CACHE:
        xml, _ = records.version_source(version_id, {})
        root = etree.fromstring(xml, _SAFE_XML)
        _FLOW_CACHE[version_id] = {(el.get("sourceRef"), el.get("targetRef")): el.get("id")
                                   for el in root.iter("{*}sequenceFlow")}
    return _FLOW_CACHE[version_id]


def diagram_xml(version_id: int) -> bytes:
    """A deployed diagram's XML for the viewer (LookupError if missing or altered)."""
    return records.version_source(version_id, {})[0]


# ---- verification --------------------------------------------------------------------------------

def verify_person(actor, person: Person) -> verify.Report:
    """Verify one person's instance (logged in the operations log)."""
    report = verify.verify_instances([person.instance_id])
    log_verification(actor, f"person:{person.id}", report)
    return report


def verify_scope(actor, operations: bool = True) -> verify.Report:
    """Verify every instance in the actor's scope, and the operations log's chain."""
    report = verify.verify_instances(records.instance_ids_in_scope(actor))
    if operations:
        report.findings += verify.verify_operations_log()
    log_verification(actor, f"org:{actor.org_id}", report)
    return report


def verify_subtree(org_path: str | None, operations: bool = True) -> verify.Report:
    """Verify every instance under an organisation path (all if None): the CLI's run, in
    ``VERIFY_PROCESSES`` workers when the subtree is large (as the 核验 job)."""
    report = verify.verify_instances(records.instance_ids_under(org_path),
                                     processes=current_app.config["VERIFY_PROCESSES"])
    if operations:
        report.findings += verify.verify_operations_log()
    log_verification(None, org_path or "/", report)
    return report


def log_verification(actor, target: str, report: verify.Report) -> None:
    """One ``audit.verify`` operations-log row for a verification run."""
    log_operation(actor, "audit.verify", target=target,
                  detail={"instances": report.instances, "events": report.events, "findings": len(report.findings)})


# ---- dossier -------------------------------------------------------------------------------------

@dataclass
class DossierStep:
    """One step of the printed dossier: its data as recorded and its review decisions."""
    step: StepDef
    status: str
    sections: list
    reviews: list[dict]
    files: list[str]
    pictures: dict = field(default_factory=dict)  # portrait hash → data: URL (the PDF fetches nothing)


def dossier(actor, person: Person) -> tuple[ReplayView, list[DossierStep]]:
    """All steps' data, from a replay of the whole log, with every review opinion and file cited."""
    from app.attachments.services import describe, picture_data_url
    from app.workflow.binding import readonly_sections
    from app.workflow.services import attachment_hashes
    view = state_at(person, None)
    reviews: dict[str, list[dict]] = {}
    for e in view.events:
        if e["action"] in ("approve", "reject"):
            reviews.setdefault(e["task_name"], []).append(e)
    steps = []
    for state in view.steps:
        if state.status == "future":
            continue
        if state.status == "skipped":
            steps.append(DossierStep(step=state.step, status=state.status, files=[], sections=[], reviews=[]))
            continue
        hashes = attachment_hashes(state.data)
        sections = readonly_sections(state.step.form_key, state.data, actor, person)
        portraits = [h for _, rows in sections for _, (kind, value) in rows if kind == "photo" for h in value]
        steps.append(DossierStep(step=state.step, status=state.status, files=hashes, sections=sections,
                                 reviews=reviews.get(state.step.review_name, []),
                                 pictures={h: picture_data_url(actor, h) for h in portraits}))
    names = describe(actor, sorted({h for s in steps for h in s.files}))
    for s in steps:
        s.files = [(h, names[h].filename if h in names else "") for h in s.files]
    return view, steps


def log_dossier(actor, person: Person, fmt: str) -> None:
    """Record that a dossier was printed or downloaded."""
    log_operation(actor, "audit.dossier", target=f"person:{person.id}", detail={"format": fmt})


# ---- operations log ------------------------------------------------------------------------------

def operations_page(actor, filters: TimelineFilter, page: int = 1, after: int | None = None,
                    before: int | None = None):
    """Operations-log rows the actor may see, newest first: rows of organisations in scope, and rows
    without an organisation (failed logins, activations) that name an account in scope; at the top of
    the tree, every row."""
    prefix = scope_path(actor)
    accounts_in_scope = scoped(sa.select(User.username), User, actor)
    unattributed = OperationLog.org_path == ""
    if below_root(prefix):  # not the root organisation: only rows naming an account in scope
        unattributed = sa.and_(unattributed, OperationLog.target.in_(accounts_in_scope))
    keys = sa.select(OperationLog.id).where(sa.or_(scope_condition(OperationLog, actor), unattributed))
    keys = filters.apply(keys, OperationLog)

    def load(ids) -> list[OperationLog]:
        return list(db.session.scalars(sa.select(OperationLog).where(OperationLog.id.in_(ids))))
    return KeysetPage(page=page, per_page=current_app.config.get("PAGE_SIZE", 20) * 2, keys=keys,
                      key=OperationLog.id, load=load, after=after, before=before)


def operation_actions() -> list[str]:
    """The distinct actions in the operations log (choices of its filter)."""
    return list(db.session.scalars(sa.select(OperationLog.action).distinct().order_by(OperationLog.action)))

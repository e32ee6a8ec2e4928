"""Moving running instances from one version of a diagram to another.

The preview tries each instance in memory and says which can move and, for the others, why not. A
migration is one event ("migrate") in the instance's history and one row in the operations log per
batch; the state change itself is ``engine.migrate``, which the auditor's replay also calls.
"""
from dataclasses import dataclass

import sqlalchemy as sa

from app.designer.services import DesignerError
from app.events.services import log_operation
from app.extensions import db
from app.people.models import Person
from app.scope import select_in_scope
from app.workflow import engine, services
from app.workflow.models import ProcessInstance, ProcessVersion

PREVIEW_LIMIT = 500


@dataclass
class Candidate:
    """One running instance and whether it can move to the target version."""
    person: Person
    ok: bool
    reason: str = ""


def _check_pair(source: ProcessVersion, target: ProcessVersion) -> None:
    if source.process_id != target.process_id:
        raise DesignerError("只能在同一流程的版本之间迁移")
    if source.id == target.id:
        raise DesignerError("源版本与目标版本相同")
    if target.state == "draft":
        raise DesignerError("不能迁移到草稿版本，请先校验并启用")


def _persons_on(actor, source: ProcessVersion, person_ids=None) -> list[Person]:
    stmt = (select_in_scope(Person, actor).join(ProcessInstance, ProcessInstance.id == Person.instance_id)
            .where(ProcessInstance.process_version_id == source.id, ProcessInstance.status == "running")
            .order_by(Person.id))
    if person_ids is not None:
        stmt = stmt.where(Person.id.in_([int(i) for i in person_ids if str(i).isdigit()]))
    return list(db.session.scalars(stmt.limit(PREVIEW_LIMIT)))


def _try(ctx: services.Context, target: ProcessVersion):
    return engine.migrate(ctx.wf, engine.spec_ref(target.bpmn_xml, target.process_id))


def preview(actor, source: ProcessVersion, target: ProcessVersion) -> list[Candidate]:
    """Running instances on ``source`` within the actor's scope, each with whether it can move (at most 500)."""
    _check_pair(source, target)
    result = []
    for person in _persons_on(actor, source):
        try:
            _try(services.load(person), target)
        except engine.EngineError as exc:
            result.append(Candidate(person, False, str(exc)))
        else:
            result.append(Candidate(person, True))
    return result


@dataclass
class StepMove:
    """One step of the source version: whether instances standing on it can move to the target, and why not."""
    step: services.StepDef
    in_target: bool
    movable: int = 0
    refused: int = 0
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.in_target and not self.refused


def step_moves(source: ProcessVersion, target: ProcessVersion, candidates: list[Candidate]) -> list[StepMove]:
    """For each step of ``source``: does the target have its tasks (an instance standing there keeps its place
    only if so), and how many of the previewed instances standing there can move, with the reasons of the
    others (a step completed earlier that the target dropped, a changed task kind)."""
    target_tasks = {name for name, _, _, _ in engine.user_task_specs(target.bpmn_xml, target.process_id)}
    rows = []
    for step in services.step_catalogue(source.id):
        names = {step.name, step.review_name} - {""}
        here = [c for c in candidates if c.person.current_task in names]
        missing = sorted(names - target_tasks)
        reasons = [f"目标版本中没有任务 {name}" for name in missing]
        reasons += sorted({c.reason for c in here if not c.ok} - set(reasons))
        rows.append(StepMove(step=step, in_target=not missing, movable=sum(1 for c in here if c.ok),
                             refused=sum(1 for c in here if not c.ok), reasons=tuple(reasons)))
    return rows


def migrate(actor, source: ProcessVersion, target: ProcessVersion, person_ids=None) -> list[Candidate]:
    """Move the chosen instances (all on ``source`` when ``person_ids`` is None) that can move; returns
    every chosen instance with the outcome. Each moved instance gets a "migrate" event."""
    _check_pair(source, target)
    outcomes = []
    for person in _persons_on(actor, source, person_ids):
        ctx = services.load(person)
        from_ref = ctx.wf.spec_ref
        try:
            to_ref = _try(ctx, target).spec_ref  # pure: refuses early, with the reason for the page
        except engine.EngineError as exc:
            outcomes.append(Candidate(person, False, str(exc)))
            continue
        # The runner applies the migration itself, through the handler the auditor's replay uses.
        services.migrate_instance(actor, ctx, {"from_version": source.id, "to_version": target.id,
                                               "from_ref": from_ref, "to_ref": to_ref})
        outcomes.append(Candidate(person, True))
    moved = [c.person.id for c in outcomes if c.ok]
    if outcomes:
        log_operation(actor, "process.migrate", target=f"{source.process_id} v{source.version} → v{target.version}",
                      detail={"from_version": source.id, "to_version": target.id, "person_ids": moved,
                              "refused": {str(c.person.id): c.reason for c in outcomes if not c.ok}})
    db.session.flush()
    return outcomes


def sources_for(target: ProcessVersion) -> list[tuple[ProcessVersion, int]]:
    """Other versions of the same process that have running instances, with their counts."""
    rows = db.session.execute(
        sa.select(ProcessVersion, sa.func.count(ProcessInstance.id))
        .join(ProcessInstance, ProcessInstance.process_version_id == ProcessVersion.id)
        .where(ProcessVersion.process_id == target.process_id, ProcessVersion.id != target.id,
               ProcessInstance.status == "running")
        .group_by(ProcessVersion.id).order_by(ProcessVersion.version)).all()
    return [(version, n) for version, n in rows]

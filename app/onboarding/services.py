"""The onboarding import: each checked row becomes a person whose instance starts and walks to its step through
the runner (one ``import`` event per person, app/workflow/handlers.py), and the import is one operation.

The dry run (``dry_run``) checks the file as the import would: the step forms and the runner's ``import``
handler, each row in a forked worker, which hands back the handler's result (``runner.prepare``); a file that
passes leaves its plan server-side (app/onboarding/plans.py). The import of that same file by the same user
takes the plan instead of checking again (the browser's report is never trusted: the plan is sealed and
bound to the file, the user, the version and the day), re-checks the branches' scope, and otherwise checks the
file as the dry run does. The write phase then records them all through ``runner.run_prepared`` in a few
statements per table, so the diagram runs once per row and the database's write lock (SQLite: one writer)
is held only while the rows are written. Any problem refuses the whole import and the caller rolls back, so a
file imports all its persons or none. Nothing here commits.
"""
import hashlib

from sqlalchemy.exc import IntegrityError

from app.events.services import log_operation
from app.extensions import db
from app.onboarding import plans
from app.onboarding.checker import Report, check
from app.people.models import Person
from app.transaction import begin_write
from app.vocab.operations import Operation
from app.workflow import runner
from app.workflow.errors import Conflict, WorkflowError
from app.workflow.models import ProcessVersion
from app.workflow.versions import DEVELOPMENT, active_version

# Rows written per statement group: bounds the statements' size, not the transaction (one for the file).
CHUNK = 1000
_PERSON_COLUMNS = tuple(c.key for c in Person.__table__.columns if c.key != "id")


class ImportRefused(WorkflowError):
    """The file did not pass the dry run (the report lists every problem)."""
    status = 422

    def __init__(self, report: Report):
        super().__init__("文件未通过校验，未导入任何数据")
        self.report = report


def dry_run(actor, content: bytes, progress=None, processes: int = 1) -> Report:
    """校验: every bad cell of ``content``, writing nothing to the database; a file that passes keeps its plan
    (each row's prepared ``import`` event) for ``actor``'s 导入 of the same file."""
    report = check(actor, content, progress, for_import=True, processes=processes)
    if report.ok:
        plans.keep(actor, hashlib.sha256(content).hexdigest(), report.version_id, report.planned)
    return report


def import_file(actor, content: bytes, file_name: str = "", on_person=None, processes: int = 1) -> Report:
    """导入 (``plan_or_check`` then ``import_checked``): if every cell passes, import the persons of ``content``
    and return the report (``planned`` = the persons imported). ``on_person(n)`` is called as persons are
    written (the job's progress)."""
    return import_checked(actor, plan_or_check(actor, content, processes=processes), content, file_name, on_person)


def plan_or_check(actor, content: bytes, progress=None, processes: int = 1) -> Report:
    """What 导入 writes: the plan ``actor``'s dry run of this file left, if it still holds (``report.from_plan``),
    else a check of ``content`` for the import (``progress`` counts its rows)."""
    report = planned_report(actor, content)
    if report is None:
        report = check(actor, content, progress, for_import=True, processes=processes)
    return report


def planned_report(actor, content: bytes) -> Report | None:
    """The report of ``actor``'s dry run of ``content`` from its kept plan (taken: it serves once), with each
    row's branch read again in ``actor``'s scope now; None when no plan holds."""
    version = active_version(DEVELOPMENT)
    planned = plans.take(actor, hashlib.sha256(content).hexdigest(), version.id)
    if planned is None:
        return None
    report = Report(version.id, planned, plans.rescope(actor, planned), from_plan=True)
    if report.problems:
        report.planned = []
    return report


def import_checked(actor, report: Report, content: bytes, file_name: str = "", on_person=None) -> Report:
    """Import the persons of a file ``check(..., for_import=True)`` passed, in this job or in the dry run whose
    plan ``planned_report`` took (ImportRefused if it did not):
    open their instances, insert their person rows, record each prepared ``import`` event through the runner,
    and log the operation, all in the caller's transaction. A concurrent writer that took one of the ID
    numbers meanwhile makes it a Conflict (nothing of the file stays once the caller rolls back)."""
    if not report.ok:
        raise ImportRefused(report)
    if any(p.prepared is None for p in report.planned):
        raise WorkflowError("导入须使用为导入所做的校验结果")
    version = db.session.get(ProcessVersion, report.version_id)
    begin_write()  # SQLite: the write lock from here to the commit, taken only now that every row is computed
    for start in range(0, len(report.planned), CHUNK):
        chunk = report.planned[start:start + CHUNK]
        ctxs = runner.open_instances(version, len(chunk), process=DEVELOPMENT)
        people = [_new_person(planned, ctx.instance.id) for planned, ctx in zip(chunk, ctxs)]
        _insert_people(people)
        for planned, ctx, person in zip(chunk, ctxs, people):
            ctx.person = person
            planned.prepared.event["data"]["person_id"] = person.id  # not read by the handler
        runner.run_prepared(actor, [(ctx, planned.prepared) for planned, ctx in zip(chunk, ctxs)])
        if on_person is not None:
            on_person(len(chunk))
    log_operation(actor, Operation.ONBOARDING_IMPORT.value, target=file_name[:100],
                  detail={"file_name": file_name[:100], "file_sha256": hashlib.sha256(content).hexdigest(),
                          "count": len(report.planned)})
    return report


def _new_person(planned, instance_id: int) -> Person:
    """A person row as the ORM would insert it (every column's default), outside the session: the batch
    projection fills it and writes it back in one statement."""
    person = Person(name=planned.name, id_number=planned.id_number.upper(), org_id=planned.org.id,
                    org_path=planned.org.path, org=planned.org, instance_id=instance_id)
    for column in Person.__table__.columns:
        if column.default is not None and getattr(person, column.key) is None:
            setattr(person, column.key, column.default.arg if column.default.is_scalar else column.default.arg(None))
    return person


def _insert_people(people: list[Person]) -> None:
    table = Person.__table__
    try:
        ids = db.session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                                 [{c: getattr(p, c) for c in _PERSON_COLUMNS} for p in people]).scalars().all()
    except IntegrityError as exc:
        # R18 held by the database: someone added a person with one of these ID numbers since the check.
        raise Conflict() from exc
    for person, person_id in zip(people, ids):
        person.id = person_id

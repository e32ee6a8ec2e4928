"""The onboarding import: each checked row becomes a person whose instance starts and walks to its step through
the runner (one ``import`` event per person, app/workflow/handlers.py), and the import is one operation.

The file is checked again here (the dry run's report is never trusted from the browser) with the step forms;
the diagram runs once, in the runner. Any problem, or a diagram refusal at the runner (``ImportRefused``),
refuses the whole import and the caller rolls back, so a file imports all its persons or none. Nothing here
commits.
"""
import hashlib

from app.events.services import log_operation
from app.extensions import db
from app.onboarding.checker import Report, check, import_event_data
from app.onboarding.workbook import Problem
from app.people.models import Person
from app.timeutil import local_today
from app.vocab.actions import Action
from app.vocab.operations import Operation
from app.workflow import runner
from app.workflow.errors import Conflict, WorkflowError
from app.workflow.models import ProcessVersion
from app.workflow.versions import DEVELOPMENT


class ImportRefused(WorkflowError):
    """The file did not pass the dry run (the report lists every problem)."""
    status = 422

    def __init__(self, report: Report):
        super().__init__("文件未通过校验，未导入任何数据")
        self.report = report


def import_file(actor, content: bytes, file_name: str = "", on_person=None) -> Report:
    """Check ``content`` and, if every cell passes, import its persons; returns the report (``planned`` = the
    persons imported). ``on_person()`` is called after each person (the job's progress)."""
    return import_checked(actor, check(actor, content, run_diagram=False), content, file_name, on_person)


def import_checked(actor, report: Report, content: bytes, file_name: str = "", on_person=None) -> Report:
    """Import the persons of a file ``check`` just passed in this same transaction (ImportRefused if it did not)."""
    if not report.ok:
        raise ImportRefused(report)
    version = db.session.get(ProcessVersion, report.version_id)
    today = local_today().isoformat()
    for planned in report.planned:
        ctx = runner.open_instance(version, process=DEVELOPMENT)
        person = Person(name=planned.name, id_number=planned.id_number.upper(), org_id=planned.org.id,
                        org_path=planned.org.path, org=planned.org, instance_id=ctx.instance.id)
        db.session.add(person)
        db.session.flush()
        ctx.person = person
        data = {**import_event_data(planned, version, today), "person_id": person.id}
        try:
            runner.run(actor, ctx, Action.IMPORT.value, task_name=planned.target.name, data=data)
        except Conflict:
            raise
        except WorkflowError as exc:
            # The diagram refused this row (the dry run lists every such row): the caller rolls back.
            message = "；".join(m for messages in exc.fields.values() for m in messages) or exc.message
            rule = f"（{exc.rule}）" if getattr(exc, "rule", "") else ""
            raise ImportRefused(Report(report.version_id, problems=[
                Problem(planned.sheet, planned.number, "当前步骤", "", message + rule)])) from exc
        if on_person is not None:
            on_person()
    log_operation(actor, Operation.ONBOARDING_IMPORT.value, target=file_name[:100],
                  detail={"file_name": file_name[:100], "file_sha256": hashlib.sha256(content).hexdigest(),
                          "count": len(report.planned)})
    return report

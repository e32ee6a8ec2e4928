"""The dry run: every bad cell of an onboarding file, found with the step forms and the diagram, before any write.

Each row is checked as the pages would check it: the row's values of each completed step go through that
step's WTForms form (``forms.codec.from_json``: required fields, code lists, ID checksum, 1900–2100 and not
after today, date order within the step), then the person's ``import`` event is applied to a fresh engine in
memory through the runner's own handler (``app.workflow.handlers``), so the diagram's gateways decide exactly as
they will at the import (R03's skip, R05's 7 days, R08's year, R16 across steps, outcomes). A file with any
problem imports nothing.
"""
import functools
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from forms import APPLICATION_FORM, get_form_class
from forms.codec import _shape, flat_errors, from_json, to_data

from app.extensions import db
from app.onboarding.columns import ORG, STEP, Column, reachable_steps, sheet_columns
from app.onboarding.workbook import Problem, SheetRow, read
from app.orgs.models import Organisation
from app.people.models import Person
from app.scope import select_in_scope
from app.timeutil import local_today
from app.workflow import engine
from app.workflow.handlers import ACTION_DATE, HandlerError, RuleRefused, State, StepsPassedBy, apply
from app.workflow.models import ProcessVersion
from app.workflow.services import StepDef, step_catalogue
from app.workflow.versions import DEVELOPMENT, active_version


@dataclass
class Planned:
    """A row that passed: the person to create and the import event's data."""
    sheet: str
    number: int
    org: Organisation
    target: StepDef
    steps: dict                    # data key → the step's data in codec format
    name: str = ""
    id_number: str = ""


@dataclass
class Report:
    """What the dry run found: the planned persons, and every problem (a file with any imports nothing)."""
    version_id: int
    planned: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.planned)


def check(actor, content: bytes, progress=None, *, run_diagram: bool = True) -> Report:
    """Read and check a filled template against the active development diagram; writes nothing.

    ``progress`` (a job's ``Progress``) learns the number of rows and counts each one checked. The import
    passes ``run_diagram=False``: the runner applies the same ``import`` event right after, and a refusal
    there refuses the whole file, so the diagram need not run twice."""
    version = active_version(DEVELOPMENT)
    report = Report(version.id)
    rows, report.problems = read(content, version.id)
    if report.problems:
        return report
    branches = _Branches(actor)
    taken = _taken_id_numbers(rows, version.id)
    seen: dict[str, str] = {}
    loader = _loader(version)
    if progress is not None:
        progress.total = len(rows)
    for row in rows:
        if progress is not None:
            progress.step()
        planned = _check_row(row, version.id, branches, taken, seen, report.problems)
        if planned is not None and (not run_diagram or _run_diagram(planned, version, loader, row, report.problems)):
            report.planned.append(planned)
    if report.problems:
        report.planned = []
    return report


def import_event_data(planned: Planned, version: ProcessVersion, today: str) -> dict:
    """The ``import`` event's data for a planned person (``person_id`` added by the import)."""
    return {"process_version_id": version.id, "spec_ref": engine.spec_ref(version.bpmn_xml, version.process_id),
            "org_id": planned.org.id, "target_step": planned.target.step, "steps": planned.steps,
            ACTION_DATE: today}


class _Branches:
    """The 党支部 an actor may import into, found by id, unique name or name path below the actor's organisation."""

    def __init__(self, actor):
        orgs = list(db.session.scalars(select_in_scope(Organisation, actor)))
        names = {org.id: org.name for org in orgs}
        self.by_key: dict[str, Organisation | None] = {}
        for org in orgs:
            if org.level != "branch":
                continue
            ids = [int(x) for x in org.path.strip("/").split("/") if x]
            path = [names[i] for i in ids if i in names]
            # Its id, its name, and its name path from any organisation in scope down ("镇党委/村支部").
            for key in (str(org.id), *("/".join(path[i:]) for i in range(len(path)))):
                # A name two branches share is ambiguous: the file must give the path.
                self.by_key[key] = None if key in self.by_key and self.by_key[key] is not org else org

    def find(self, text: str) -> tuple[Organisation | None, str]:
        org = self.by_key.get(text.strip().strip("/"))
        if org is None:
            if text in self.by_key:
                return None, "有重名的党支部，请填写完整名称路径（以“/”分隔）或组织编号"
            return None, "找不到该党支部（须为管理范围内的党支部）"
        return org, ""


def _taken_id_numbers(rows: list[SheetRow], version_id: int) -> set[str]:
    """R18: the file's ID numbers already held by a person in the system (one query, as the form's hook asks)."""
    application = next((s for s in step_catalogue(version_id) if s.form_key == APPLICATION_FORM), None)
    if application is None:
        return set()
    key = f"{application.data_key}.id_number"
    numbers = {str(row.values.get(key, "")).upper() for row in rows} - {""}
    taken = set()
    numbers = sorted(numbers)
    for start in range(0, len(numbers), 500):
        taken.update(db.session.scalars(sa.select(Person.id_number).where(
            Person.id_number.in_(numbers[start:start + 500]), Person.status != "closed")))
    return taken


def _check_row(row: SheetRow, version_id: int, branches: _Branches, taken: set[str], seen: dict,
               problems: list) -> Planned | None:
    columns = _columns_by_key(version_id, row.stage)
    found = len(problems)

    def bad(column: Column, message: str) -> None:
        problems.append(Problem(row.sheet, row.number, column.label, row.values.get(column.key, ""), message))

    org, refusal = branches.find(row.values.get(ORG, "")) if row.values.get(ORG) else (None, "请填写所属党支部")
    if refusal:
        bad(columns[ORG], refusal)
    target = _target(row.values.get(STEP, ""), reachable_steps(version_id, row.stage))
    if target is None:
        allowed = "、".join(str(s.step) for s in reachable_steps(version_id, row.stage))
        bad(columns[STEP], f"请填写本阶段的步骤序号（{allowed}）")
        return None
    first = next((s for s in step_catalogue(version_id) if s.form_key == APPLICATION_FORM), None)
    if first is not None and target.step <= first.step:
        bad(columns[STEP], f"当前步骤须在“{first.title}”之后（导入的人员已递交入党申请书）")
        return None
    by_step: dict[str, dict] = defaultdict(dict)
    for key, value in row.values.items():
        column = columns.get(key)
        if column is None or column.step is None:
            continue
        if column.step.step >= target.step:
            bad(column, "当前步骤及之后的步骤尚未完成，请留空")
            continue
        by_step[column.step.data_key][key] = value
    steps = {}
    for step in step_catalogue(version_id):
        if step.step >= target.step or (step.data_key not in by_step and step.form_key != APPLICATION_FORM):
            continue  # a step with no data may be one the path passes by (R03); the diagram says
        data = _validate(step, by_step.get(step.data_key, {}), columns, org, taken, row, problems)
        if data is not None:
            steps[step.data_key] = data
    planned = Planned(row.sheet, row.number, org, target, steps)
    application = next((s for s in step_catalogue(version_id) if s.form_key == APPLICATION_FORM), None)
    if application and application.data_key in steps:
        planned.name = steps[application.data_key].get("name", "")
        planned.id_number = steps[application.data_key].get("id_number", "")
        if planned.id_number in seen:
            bad(columns[f"{application.data_key}.id_number"], f"与{seen[planned.id_number]}重复")
        seen.setdefault(planned.id_number, f"“{row.sheet}”第{row.number}行")
    return planned if len(problems) == found else None


@functools.lru_cache(maxsize=64)
def _columns_by_key(version_id: int, stage: int) -> dict[str, Column]:
    return {c.key: c for c in sheet_columns(version_id, stage)}


def _target(text: str, steps: list[StepDef]) -> StepDef | None:
    head = text.strip().split(" ")[0].split(".")[0]
    for step in steps:
        if head == str(step.step) or text.strip() == step.title:
            return step
    return None


def _payload(step: StepDef, values: dict) -> dict:
    prefix = step.data_key + "."
    payload: dict = {}
    groups: dict[str, dict[int, dict]] = defaultdict(dict)
    for key, value in values.items():
        parts = key[len(prefix):].split(".")
        if len(parts) == 1:
            payload[parts[0]] = value
        else:
            groups[parts[0]].setdefault(int(parts[1]), {})[parts[2]] = value
    for name, slots in groups.items():
        payload[name] = [slots[i] for i in sorted(slots)]
    return payload


def _validate(step: StepDef, values: dict, columns: dict, org, taken: set[str], row: SheetRow,
              problems: list) -> dict | None:
    """The step's data in codec format if its form accepts the row's values (attachments aside), else None."""
    form_cls = get_form_class(step.form_key)
    payload = _payload(step, values)
    if org is not None:
        payload["org_id"] = org.id
    context = {"id_number_taken": lambda number: (number or "").upper() in taken,
               "org_level": lambda org_id: "branch"}
    form = from_json(form_cls, payload, context=context)
    if "org_id" in form._fields:
        form.org_id.choices = [(org.id, org.name)] if org is not None else []
    form.validate()
    skip = _attachment_names(form_cls) | ({"org_id"} if org is None else set())
    found = False
    for name, messages in flat_errors(form).items():
        parts = name.split("-")
        if parts[-1] in skip:
            continue  # attachments are not imported; a missing branch is reported on 所属党支部
        key = ".".join([step.data_key, *parts]) if name else ""
        column = columns.get(key) or next((c for c in columns.values() if c.step == step and c.field == parts[0]),
                                          None)
        label = column.label if column is not None else f"{step.step}.{step.title}"
        problems.append(Problem(row.sheet, row.number, label, values.get(key, ""), "；".join(messages)))
        found = True
    if found:
        return None
    return to_data(form)


def _attachment_names(form_cls) -> set[str]:
    names = set()
    for name, kind, sub in _shape(form_cls):
        if kind == "attachments":
            names.add(name)
        for sub_name, sub_kind, _ in sub or ():
            if sub_kind == "attachments":
                names.add(sub_name)
    return names


def _loader(version: ProcessVersion):
    def load(version_id: int):
        if version_id != version.id:
            raise LookupError(version_id)
        return version.bpmn_xml, version.process_id
    return load


def _run_diagram(planned: Planned, version: ProcessVersion, loader, row: SheetRow, problems: list) -> bool:
    """Apply the row's import event to a fresh engine in memory; a refusal is a problem of the row."""
    event = {"action": "import", "task_name": planned.target.name, "task_pass": 0,
             "data": import_event_data(planned, version, local_today().isoformat())}
    columns = _columns_by_key(version.id, row.stage)
    try:
        apply(State(load_version=loader), event)
    except RuleRefused as exc:
        step = next((s for s in step_catalogue(version.id) if s.name == exc.task_name), None)
        for name, message in exc.fields.items():
            key = f"{step.data_key}.{name}" if step else ""
            column = columns.get(key)
            label = column.label if column else (f"{step.step}.{step.title}" if step else "当前步骤")
            rule = f"（{exc.rule}）" if exc.rule else ""
            problems.append(Problem(row.sheet, row.number, label, row.values.get(key, ""), f"{message}{rule}"))
        return False
    except StepsPassedBy as exc:
        for step in step_catalogue(version.id):
            if step.data_key in exc.keys:
                reason = step.skip_reason or "流程未经过此步骤"
                problems.append(Problem(row.sheet, row.number, f"{step.step}.{step.title}", "",
                                        f"{reason}，请留空该步骤的数据"))
        return False
    except HandlerError as exc:
        problems.append(Problem(row.sheet, row.number, "当前步骤", row.values.get(STEP, ""), exc.message))
        return False
    return True

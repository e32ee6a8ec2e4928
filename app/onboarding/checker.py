"""The dry run: every bad cell of an onboarding file, found with the step forms and the diagram, before any write.

Each row is checked as the pages would check it: the row's values of each completed step go through that
step's WTForms form (``forms.codec.from_json``: required fields, code lists, ID checksum, 1900–2100 and not
after today, date order within the step), then the person's ``import`` event is applied to a fresh engine in
memory through the runner's own handler (``app.workflow.handlers``), so the diagram's gateways decide exactly as
they will at the import (R03's skip, R05's 7 days, R08's year, R16 across steps, outcomes). A file with any
problem imports nothing.

Rows are independent once the database has been asked what they need (the branches in scope, the ID numbers
already taken), so a large file is checked by ``processes`` forked workers, each on a slice of the rows; the
forks read no database and the parent merges their results in row order (ID numbers repeated within the
file are found in the parent, across slices).
"""
import functools
import multiprocessing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa
from forms import APPLICATION_FORM, get_form_class
from forms.codec import _shape, flat_errors, from_json, to_data

from app.extensions import db
from app.onboarding.columns import ORG, STEP, Column, reachable_steps, sheet_columns, stages
from app.onboarding.workbook import Problem, SheetRow, read
from app.orgs.models import Organisation
from app.people.models import Person
from app.scope import select_in_scope
from app.timeutil import local_today
from app.workflow import engine, runner
from app.workflow.handlers import ACTION_DATE, HandlerError, RuleRefused, State, StepsPassedBy, apply
from app.workflow.services import StepDef, step_catalogue
from app.workflow.versions import DEVELOPMENT, active_version

# Below this many rows one process checks them all (forking costs more than it saves).
POOL_MIN_ROWS = 400


@dataclass
class Planned:
    """A row that passed: the person to create and the import event's data."""
    sheet: str
    number: int
    org_id: int
    target: StepDef
    steps: dict                    # data key → the step's data in codec format
    name: str = ""
    id_number: str = ""
    org: Organisation | None = field(default=None, repr=False)
    # The import event as the runner's handler applied it (``runner.prepare``), kept by a check for the import.
    prepared: runner.Prepared | None = field(default=None, repr=False)


@dataclass
class Report:
    """What the dry run found: the planned persons, and every problem (a file with any imports nothing)."""
    version_id: int
    planned: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    from_plan: bool = False        # the rows come from the dry run's kept plan (app/onboarding/plans.py)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.planned)


@dataclass
class _Run:
    """What checking one row needs, as plain data (handed to forked workers by inheritance)."""
    version_id: int
    xml: bytes
    process_id: str
    branches: dict                 # key (id, name, name path) → (org id, name), or None when ambiguous
    taken: set
    keep: bool                     # keep each row's prepared import event (the import's check)
    today: str
    rows: list = field(default_factory=list)

    def load(self, version_id: int):
        if version_id != self.version_id:
            raise LookupError(version_id)
        return self.xml, self.process_id


_RUN: _Run | None = None   # the check in progress, for the forked workers


def check(actor, content: bytes, progress=None, *, for_import: bool = False, processes: int = 1) -> Report:
    """Read and check a filled template against the active development diagram; writes nothing.

    ``progress`` (a job's ``Progress``) learns the number of rows and counts them as they are checked. The
    import passes ``for_import=True``: each planned row then keeps its ``import`` event as the runner's
    handler applied it (``runner.prepare``: the serialised state, the ready tasks), which the import records
    without running the diagram again. ``processes`` > 1 checks a large file in that many forked workers."""
    global _RUN
    version = active_version(DEVELOPMENT)
    report = Report(version.id)
    rows, report.problems = read(content, version.id)
    if report.problems:
        return report
    run = _Run(version.id, version.bpmn_xml, version.process_id, _branches(actor), _taken_id_numbers(rows, version.id),
               for_import, local_today().isoformat(), rows)
    for stage in stages(version.id):  # caches the forks inherit (they never read the database)
        _columns_by_key(version.id, stage)
    engine.parse(version.bpmn_xml, version.process_id)
    if progress is not None:
        progress.total = len(rows)
    slices = _slices(len(rows), processes)
    _RUN = run
    try:
        if len(slices) > 1:
            with ProcessPoolExecutor(len(slices) // 4 or 1, mp_context=multiprocessing.get_context("fork")) as pool:
                results = pool.map(_check_slice, slices)
                for (start, stop), (problems, planned) in zip(slices, results):
                    report.problems += problems
                    report.planned += planned
                    if progress is not None:
                        progress.step(stop - start)
        else:
            for index in range(len(rows)):
                problems, planned = _check_slice((index, index + 1))
                report.problems += problems
                report.planned += planned
                if progress is not None:
                    progress.step()
    finally:
        _RUN = None
    _refuse_repeated_id_numbers(report, version.id)
    if report.problems:
        report.planned = []
    orgs = {org.id: org for org in db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_({p.org_id for p in report.planned})))}
    for planned in report.planned:
        planned.org = orgs[planned.org_id]
    return report


def _slices(count: int, processes: int) -> list[tuple[int, int]]:
    if processes <= 1 or count < POOL_MIN_ROWS:
        return [(0, count)]
    parts = processes * 4  # several slices per worker, so progress moves and a slow slice is not the tail
    size = -(-count // parts)
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _check_slice(bounds: tuple[int, int]) -> tuple[list[Problem], list[Planned]]:
    run = _RUN
    problems: list[Problem] = []
    planned: list[Planned] = []
    for row in run.rows[bounds[0]:bounds[1]]:
        found = _check_row(row, run, problems)
        if found is not None and _run_diagram(found, run, row, problems):
            planned.append(found)
    return problems, planned


def _event_data(planned: Planned, version_id: int, spec_ref: str, today: str) -> dict:
    return {"process_version_id": version_id, "spec_ref": spec_ref, "org_id": planned.org_id,
            "target_step": planned.target.step, "steps": planned.steps, ACTION_DATE: today}


def _branches(actor) -> dict:
    """The 党支部 an actor may import into, by id, name and name path from any organisation in scope down
    ("镇党委/村支部"); a name two branches share maps to None (the file must give the path)."""
    orgs = list(db.session.scalars(select_in_scope(Organisation, actor)))
    names = {org.id: org.name for org in orgs}
    by_key: dict[str, tuple | None] = {}
    for org in orgs:
        if org.level != "branch":
            continue
        path = [names[int(x)] for x in org.path.strip("/").split("/") if x and int(x) in names]
        for key in (str(org.id), *("/".join(path[i:]) for i in range(len(path)))):
            by_key[key] = None if key in by_key and by_key[key] != (org.id, org.name) else (org.id, org.name)
    return by_key


def _find_branch(branches: dict, text: str) -> tuple[tuple | None, str]:
    key = text.strip().strip("/")
    found = branches.get(key)
    if found is None:
        if key in branches:
            return None, "有重名的党支部，请填写完整名称路径（以“/”分隔）或组织编号"
        return None, "找不到该党支部（须为管理范围内的党支部）"
    return found, ""


def _taken_id_numbers(rows: list[SheetRow], version_id: int) -> set[str]:
    """R18: the file's ID numbers already held by a person in the system (one query per 500, as the form's
    hook asks one by one on the page)."""
    application = _application_step(version_id)
    if application is None:
        return set()
    key = f"{application.data_key}.id_number"
    numbers = sorted({str(row.values.get(key, "")).upper() for row in rows} - {""})
    taken = set()
    for start in range(0, len(numbers), 500):
        taken.update(db.session.scalars(sa.select(Person.id_number).where(
            Person.id_number.in_(numbers[start:start + 500]), Person.status != "closed")))
    return taken


def _application_step(version_id: int) -> StepDef | None:
    return next((s for s in step_catalogue(version_id) if s.form_key == APPLICATION_FORM), None)


def _refuse_repeated_id_numbers(report: Report, version_id: int) -> None:
    application = _application_step(version_id)
    seen: dict[str, Planned] = {}
    for planned in report.planned:
        if not planned.id_number:
            continue
        first = seen.setdefault(planned.id_number, planned)
        if first is not planned:
            report.problems.append(Problem(planned.sheet, planned.number,
                                           f"{application.step}.{application.title}·公民身份证号码",
                                           planned.id_number, f"与“{first.sheet}”第{first.number}行重复"))


def _check_row(row: SheetRow, run: _Run, problems: list) -> Planned | None:
    version_id = run.version_id
    columns = _columns_by_key(version_id, row.stage)
    found = len(problems)

    def bad(column: Column, message: str) -> None:
        problems.append(Problem(row.sheet, row.number, column.label, row.values.get(column.key, ""), message))

    org, refusal = _find_branch(run.branches, row.values[ORG]) if row.values.get(ORG) else (None, "请填写所属党支部")
    if refusal:
        bad(columns[ORG], refusal)
    target = _target(row.values.get(STEP, ""), reachable_steps(version_id, row.stage))
    if target is None:
        allowed = "、".join(str(s.step) for s in reachable_steps(version_id, row.stage))
        bad(columns[STEP], f"请填写本阶段的步骤序号（{allowed}）")
        return None
    first = _application_step(version_id)
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
        data = _validate(step, by_step.get(step.data_key, {}), columns, org, run.taken, row, problems)
        if data is not None:
            steps[step.data_key] = data
    if len(problems) != found:
        return None
    application = steps.get(first.data_key, {}) if first else {}
    return Planned(row.sheet, row.number, org[0], target, steps, application.get("name", ""),
                   (application.get("id_number") or "").upper())


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


def _validate(step: StepDef, values: dict, columns: dict, org: tuple | None, taken: set[str], row: SheetRow,
              problems: list) -> dict | None:
    """The step's data in codec format if its form accepts the row's values (attachments aside), else None."""
    form_cls = get_form_class(step.form_key)
    payload = _payload(step, values)
    if org is not None:
        payload["org_id"] = org[0]
    context = {"id_number_taken": lambda number: (number or "").upper() in taken,
               "org_level": lambda org_id: "branch"}
    form = from_json(form_cls, payload, context=context)
    if "org_id" in form._fields:
        form.org_id.choices = [org] if org is not None else []
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
    return None if found else to_data(form)


@functools.lru_cache(maxsize=None)
def _attachment_names(form_cls) -> frozenset:
    names = set()
    for name, kind, sub in _shape(form_cls):
        if kind == "attachments":
            names.add(name)
        for sub_name, sub_kind, _ in sub or ():
            if sub_kind == "attachments":
                names.add(sub_name)
    return frozenset(names)


def _run_diagram(planned: Planned, run: _Run, row: SheetRow, problems: list) -> bool:
    """Apply the row's import event to a fresh engine in memory; a refusal is a problem of the row."""
    event = {"action": "import", "task_name": planned.target.name, "task_pass": 0,
             "data": _event_data(planned, run.version_id, engine.spec_ref(run.xml, run.process_id), run.today)}
    columns = _columns_by_key(run.version_id, row.stage)
    catalogue = step_catalogue(run.version_id)
    try:
        if run.keep:
            planned.prepared = runner.prepare(event, run.load)
        else:
            apply(State(load_version=run.load), event)
    except RuleRefused as exc:
        step = next((s for s in catalogue if s.name == exc.task_name), None)
        for name, message in exc.fields.items():
            key = f"{step.data_key}.{name}" if step else ""
            column = columns.get(key)
            label = column.label if column else (f"{step.step}.{step.title}" if step else "当前步骤")
            rule = f"（{exc.rule}）" if exc.rule else ""
            problems.append(Problem(row.sheet, row.number, label, row.values.get(key, ""), f"{message}{rule}"))
        return False
    except StepsPassedBy as exc:
        for step in catalogue:
            if step.data_key in exc.keys:
                reason = step.skip_reason or "流程未经过此步骤"
                problems.append(Problem(row.sheet, row.number, f"{step.step}.{step.title}", "",
                                        f"{reason}，请留空该步骤的数据"))
        return False
    except HandlerError as exc:
        problems.append(Problem(row.sheet, row.number, "当前步骤", row.values.get(STEP, ""), exc.message))
        return False
    return True

"""综合查询 downloads: the result list as .xlsx, and one person's 证明材料 (attachments) as a zip."""
import io
import os
import zipfile

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import joinedload

from app.attachments import services as attachments
from app.events.models import Event
from app.events.services import log_operation
from app.extensions import db
from app.people.models import Person
from app.query import catalogue, services
from app.workflow import services as workflow
from app.workflow.models import ProcessInstance
from app.spreadsheet import append_row

EXPORT_CAP = 20000
ANCESTOR_COLUMNS = 3
HEADERS = ["序号", "姓名", "性别", "民族", "公民身份证号", "人员类别", "当前步骤", "接受申请党组织"] + \
    ["上级党组织"] * ANCESTOR_COLUMNS


def export_size(user, conditions, org=None) -> int:
    """How many rows ``result_xlsx`` will write (a job's progress total)."""
    stmt = services.statement(user, conditions, org=org).limit(EXPORT_CAP).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt))


def result_xlsx(user, conditions, *, sort: str, descending: bool, on_rows=None, org=None) -> tuple[bytes, int]:
    """The matching persons (at most EXPORT_CAP) as a workbook, plus a column for each extra condition's
    field; returns (bytes, rows written). The export is written to the operations log. ``on_rows(n)`` is
    called after each batch of ``n`` rows (a job's progress)."""
    definitions = catalogue.by_key()
    ethnicity = definitions["person.ethnicity"]
    extra = [c.definition for c in conditions if c.active and c.definition.key not in catalogue.BASE_KEYS
             and not c.definition.key.startswith("person.")]
    extra = list({d.key: d for d in extra}.values())
    stmt = services.statement(user, conditions, org).options(joinedload(Person.org)).order_by(
        *services.order_by(sort, descending)).limit(EXPORT_CAP)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("综合查询")
    append_row(ws, HEADERS + [f"{d.group} · {d.label}" for d in extra])
    written = 0
    batch: list[Person] = []

    def flush():
        nonlocal written
        chains = services.org_chains(batch)
        values = services.field_values([p.id for p in batch], [d.key for d in extra])
        for p in batch:
            written += 1
            chain = chains.get(p.org_id, [])
            ancestors = (chain[1:] + [""] * ANCESTOR_COLUMNS)[:ANCESTOR_COLUMNS]
            step = "纪实完成" if p.status == "completed" else f"{p.current_step}. {p.current_title}"
            append_row(ws, [written, p.name, p.sex, services.display(ethnicity, p.ethnicity), p.id_number, p.category,
                       step, chain[0] if chain else ""] + ancestors + [values.get((p.id, d.key), "") for d in extra])
        if on_rows is not None and batch:
            on_rows(len(batch))
        batch.clear()

    for person in db.session.scalars(stmt).unique():
        batch.append(person)
        if len(batch) >= 500:
            flush()
    flush()
    out = io.BytesIO()
    wb.save(out)
    log_operation(user, "query_export", "综合查询", {
        "rows": written, "conditions": [[c.key, c.mode, c.values, c.end] for c in conditions if c.active]})
    return out.getvalue(), written


def _step_folders(person: Person) -> dict[str, str]:
    """BPMN task id (edit or review task) → the folder of its step, from the person's diagram version."""
    instance = db.session.get(ProcessInstance, person.instance_id)
    folders = {}
    for step in workflow.step_catalogue(instance.process_version_id):
        folder = f"{step.step:02d}_{step.title}".replace("/", "／")
        folders[step.name] = folder
        if step.review_name:
            folders[step.review_name] = folder
    return folders


def evidence_zip(user, person: Person) -> tuple[bytes, int]:
    """下载证明材料: every file cited in the person's records that ``user`` may download, in folders by
    step, named as the diagram names the step that cited it ("03_推荐和确定入党积极分子"). Returns (zip bytes,
    number of files). Logged as an operation."""
    folders = _step_folders(person)
    cited: list[tuple[str, str]] = []  # (folder, sha) in the order cited; a file cited by two steps is in both
    for task_name, hashes in db.session.execute(
            sa.select(Event.task_name, Event.attachments).where(Event.instance_id == person.instance_id)
            .order_by(Event.seq)):
        folder = folders.get(task_name or "", "其他材料")
        for sha in hashes or []:
            if (folder, sha) not in cited:
                cited.append((folder, sha))
    visible = attachments.describe(user, sorted({sha for _, sha in cited}))  # only files within scope
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for task_name, sha in cited:
            row = visible.get(sha)
            if row is None:
                continue
            name = f"{task_name}/{os.path.basename(row.filename) or sha[:12]}"
            if name in used:
                stem, ext = os.path.splitext(name)
                name = f"{stem}-{sha[:8]}{ext}"
            if name in used:
                continue
            used.add(name)
            with open(attachments.file_path(sha), "rb") as fh:
                zf.writestr(name, fh.read())
    log_operation(user, "evidence_download", f"person:{person.id}", {"files": len(used)})
    return buffer.getvalue(), len(used)

"""Filled onboarding files for tests and the benchmark: the forms' sample data (forms/samples.py) laid out in
the template's columns, so a file is made the way a county fills one in."""
import io

from forms import APPLICATION_FORM
from forms.samples import sample_data
from openpyxl import Workbook

from app.onboarding.columns import ORG, STEP, sheet_columns, stage_title, stages
from app.spreadsheet import append_row
from app.workflow.services import step_catalogue


def sample_values(version_id: int, step_no: int, org: str, **application) -> dict:
    """Column key → value of a person standing at step ``step_no`` with every earlier step's sample data;
    ``application`` overrides fields of the application form (name, id_number, apply_date…)."""
    values = {ORG: org, STEP: str(step_no)}
    for step in step_catalogue(version_id):
        if step.step >= step_no:
            break
        data = sample_data(step.form_key)
        if step.form_key == APPLICATION_FORM:
            data.update(application)
        for name, value in data.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for index, row in enumerate(value):
                    for sub, sub_value in row.items():
                        values[f"{step.data_key}.{name}.{index}.{sub}"] = sub_value
            elif value is not None and not isinstance(value, (list, dict)):
                values[f"{step.data_key}.{name}"] = value
    return values


def stage_of(version_id: int, step_no: int) -> int:
    """The stage of step ``step_no`` (the sheet its persons go on)."""
    return next(step.stage for step in step_catalogue(version_id) if step.step == step_no)


def filled_workbook(version_id: int, rows: list[dict]) -> bytes:
    """A template with ``rows`` (column key → value, as from ``sample_values``) on the sheets of their steps,
    saved as a spreadsheet program saves a filled template (each sheet's dimension, shared strings), not as a
    write-only stream."""
    book = Workbook()
    book.remove(book.active)
    for stage in stages(version_id):
        columns = sheet_columns(version_id, stage)
        sheet = book.create_sheet(stage_title(stage))
        append_row(sheet, [c.label for c in columns])
        append_row(sheet, [c.key for c in columns])
        for row in rows:
            if stage_of(version_id, int(str(row[STEP]).split(" ")[0])) == stage:
                append_row(sheet, [row.get(c.key) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

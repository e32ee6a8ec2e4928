"""The onboarding .xlsx: the template of each stage, and the guarded reader of a filled-in file.

Reading is defensive like the 党员名册 import (app/roster/importer.py): size and uncompressed size are
checked before openpyxl opens the zip, the sheets are streamed read-only, a formula cell is refused (its value
would be whatever it computes), text with control characters (NUL…) is refused, and a file of more than
``MAX_ROWS`` persons is refused as a whole. Text that merely starts with = + - @ is kept as text.
"""
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from app.onboarding.columns import Column, reachable_steps, sheet_columns, stage_title, stages
from app.spreadsheet import append_row, upload_refusal

MAX_BYTES = 24 * 1024 * 1024
MAX_UNCOMPRESSED = 256 * 1024 * 1024
MAX_ROWS = 20000
MAX_TEXT = 2000
INSTRUCTIONS = "填写说明"


@dataclass
class Problem:
    """One bad cell (or a problem with the file or a row when ``column`` is '文件'/'行')."""
    sheet: str
    row: int
    column: str
    value: str
    message: str


@dataclass
class SheetRow:
    """A row as read: its sheet, stage, row number and the cell values by column key."""
    sheet: str
    stage: int
    number: int
    values: dict = field(default_factory=dict)


def template(version_id: int) -> bytes:
    """The template: one sheet per stage (Chinese labels, then the field keys in a hidden second row) and the
    instructions sheet listing each column's rule and choices."""
    book = Workbook()
    notes = book.active
    notes.title = INSTRUCTIONS
    for line in (
            ("用途", "导入已在其他系统中进入发展流程的人员：每行一人，填写其所属党支部、当前步骤（下一项要办理的步骤）"
                     "和之前各已完成步骤的数据。"),
            ("工作表", "每个阶段一张工作表；当前步骤属于哪个阶段，就填在哪张工作表中。"),
            ("表头", "第1行为中文列名，第2行（已隐藏）为字段代码，请勿修改、删除或调整列的顺序；数据从第3行开始。"),
            ("所属党支部", "填写党支部名称；重名时填写从本级组织往下的完整名称路径，以“/”分隔，或填写组织编号。"),
            ("当前步骤", "填写步骤序号，如“7”或“7 确定发展对象”；该步骤及之后的步骤留空。"),
            ("已完成步骤", "按与页面相同的规则校验（必填项、日期先后、公示天数、身份证号校验位、代码表等）；"
                       "审核环节按“导入：已在原系统审核通过”记录。"),
            ("日期", "格式 2020-01-02，不得晚于今天。"),
            ("附件", "附件不在模板中，导入后可在人员信息中补充上传。"),
            ("校验", "先“校验”，系统列出每个有问题的单元格；有任何问题的文件不会写入任何数据。"),
    ):
        append_row(notes, line)
    append_row(notes, ())
    append_row(notes, ("列名", "可选值"))
    listed = set()
    for stage in stages(version_id):
        columns = sheet_columns(version_id, stage)
        sheet = book.create_sheet(stage_title(stage))
        append_row(sheet, [c.label for c in columns])
        append_row(sheet, [c.key for c in columns])
        sheet.row_dimensions[2].hidden = True
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "C3"
        steps = "、".join(f"{s.step} {s.title}" for s in reachable_steps(version_id, stage))
        append_row(notes, (f"{stage_title(stage)}·当前步骤", steps))
        for column in columns:
            if column.choices and column.label not in listed:
                listed.add(column.label)
                append_row(notes, (column.label, "、".join(label for _, label in column.choices)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_refusal(content: bytes) -> str:
    """Why the upload is not opened at all ('' = it may be read)."""
    return upload_refusal(content, max_bytes=MAX_BYTES, max_uncompressed=MAX_UNCOMPRESSED)


def read(content: bytes, version_id: int) -> tuple[list[SheetRow], list[Problem]]:
    """The filled rows of every stage sheet and the problems found while reading (file, header, cells)."""
    rows: list[SheetRow] = []
    problems: list[Problem] = []
    if refusal := file_refusal(content):
        return rows, [Problem("", 0, "文件", "", refusal)]
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or disguised file
        return rows, [Problem("", 0, "文件", "", "无法读取该文件，请使用下载的模板")]
    try:
        by_title = {stage_title(stage): stage for stage in stages(version_id)}
        for sheet in book.worksheets:
            if sheet.title in by_title:
                _read_sheet(sheet, by_title[sheet.title], version_id, rows, problems)
                if len(rows) > MAX_ROWS:
                    return [], [Problem("", 0, "文件", "", f"一次最多导入{MAX_ROWS}人，请分批导入")]
    finally:
        book.close()
    if not rows and not problems:
        problems.append(Problem("", 0, "文件", "", "文件中没有要导入的人员"))
    return rows, problems


def _read_sheet(sheet, stage: int, version_id: int, rows: list, problems: list) -> None:
    columns = sheet_columns(version_id, stage)
    lines = sheet.iter_rows()
    next(lines, None)
    keys_row = next(lines, None)
    keys = [_text(c.value) for c in (keys_row or ())][:len(columns)]
    if keys != [c.key for c in columns]:
        problems.append(Problem(sheet.title, 2, "表头", "", "表头与当前流程的模板不一致，请重新下载模板"))
        return
    for number, cells in enumerate(lines, start=3):
        if number - 2 > MAX_ROWS:
            problems.append(Problem(sheet.title, number, "文件", "", f"一次最多导入{MAX_ROWS}人，请分批导入"))
            return
        values, bad = {}, False
        for column, cell in zip(columns, cells):
            value = getattr(cell, "value", None)
            if value is None:
                continue
            if getattr(cell, "data_type", "") == "f":
                problems.append(Problem(sheet.title, number, column.label, str(value)[:50],
                                        "单元格不能含公式，请填写数值"))
                bad = True
                continue
            text = _cell_text(value, column)
            if text is None:
                problems.append(Problem(sheet.title, number, column.label, _shown(value),
                                        f"不能含控制字符，且不超过{MAX_TEXT}字"))
                bad = True
            elif text != "":
                values[column.key] = text
        if values or bad:
            rows.append(SheetRow(sheet.title, stage, number, values))


# Control characters a form must never see (tab and newline are text).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")


def _cell_text(value, column: Column) -> str | None:
    """The cell as the text a form would receive (dates as YYYY-MM-DD, whole numbers without .0, select labels
    as their codes); None for text a form must never see (control characters, too long)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if len(text) > MAX_TEXT or _CONTROL.search(text):
        return None
    if column.kind == "date":
        text = _date_text(text)
    elif column.choices:
        text = next((code for code, label in column.choices if text in (label, str(code))), text)
    return text


def _date_text(text: str) -> str:
    parts = text.replace("/", "-").replace(".", "-").split(" ")[0].split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return text


def _shown(value) -> str:
    return "".join(ch if ord(ch) >= 32 else "\ufffd" for ch in str(value))[:50]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


"""党员名册 import from the .xlsx template: every row is checked and every problem reported (row, column, message)
before anything is written; a workbook with any problem writes nothing.

Hostile input: the file is refused unless it is a small zip (the .xlsx container) of at most MAX_ROWS rows,
parsed through defusedxml (openpyxl uses it when installed) in read-only mode; a cell holding a formula is
refused (its value would be whatever the formula computes); text is NFKC-normalised and bounded; ID numbers
pass GB 11643 (R17); an ID number repeated in the file or already in a roster is refused.
"""
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from app.roster import services
from app.spreadsheet import append_row, upload_refusal
from app.timeutil import local_today
from forms.codes import PARTY_STATUS
from forms.validators import date_in_bounds, id_number_error, normalize_id_number

COLUMNS = ("姓名", "身份证号", "入党日期", "转正日期", "党籍状态", "留党察看")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNCOMPRESSED = 40 * 1024 * 1024   # a zip bomb is refused before openpyxl expands it
STATUSES = tuple(value for value, _ in PARTY_STATUS)
YES, NO = ("是", "Y", "YES", "TRUE", "1"), ("否", "", "N", "NO", "FALSE", "0")


@dataclass
class Report:
    """The outcome of checking a workbook: the rows that would be written and every problem found."""
    rows: list[dict] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)   # (row number, column, message)

    @property
    def ok(self) -> bool:
        return not self.problems


def template() -> bytes:
    """The empty import template: the header row, and a sheet saying how to fill it."""
    book = Workbook()
    sheet = book.active
    sheet.title = "党员名册"
    append_row(sheet, COLUMNS)
    notes = book.create_sheet("填写说明")
    for line in (("姓名", "必填，不超过50字"), ("身份证号", "必填，18位公民身份号码"),
                 ("入党日期", "必填，格式 2010-07-01"), ("转正日期", "已转正的填写；预备党员留空"),
                 ("党籍状态", "、".join(STATUSES)), ("留党察看", "是 / 否（留空为否）")):
        append_row(notes, line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _too_big(content: bytes) -> str:
    return upload_refusal(content, max_bytes=MAX_BYTES, max_uncompressed=MAX_UNCOMPRESSED)


def check(content: bytes) -> Report:
    """Check a workbook against the template; nothing is written."""
    report = Report()
    if problem := _too_big(content):
        report.problems.append((0, "文件", problem))
        return report
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or disguised file
        report.problems.append((0, "文件", "无法读取该文件，请使用下载的模板"))
        return report
    try:
        _check_rows(book.worksheets[0], report)
    finally:
        book.close()
    if report.rows:
        taken = services.known_id_numbers([row["id_number"] for row in report.rows])
        for row in report.rows:
            if row["id_number"] in taken:
                report.problems.append((row["_row"], "身份证号", "该党员已在党员名册中"))
    report.problems.sort()
    report.rows = [{k: v for k, v in row.items() if k != "_row"} for row in report.rows] if report.ok else []
    return report


def _check_rows(sheet, report: Report) -> None:
    rows = sheet.iter_rows()
    header = next(rows, None)
    names = tuple(_text(c.value) for c in (header or ())[:len(COLUMNS)])
    if names != COLUMNS:
        report.problems.append((1, "表头", "表头应为：" + "、".join(COLUMNS) + "（请使用下载的模板）"))
        return
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            report.problems.append((number, "文件", f"一次最多导入{MAX_ROWS}行，请分批导入"))
            return
        cells = list(cells[:len(COLUMNS)]) + [None] * (len(COLUMNS) - len(cells[:len(COLUMNS)]))
        if all(c is None or _text(c.value) == "" for c in cells):
            continue  # blank rows (often left at the end of a sheet) are not members
        row, bad = _check_row(number, cells, report)
        if row["id_number"] and row["id_number"] in seen:
            report.problems.append((number, "身份证号", f"与第{seen[row['id_number']]}行重复"))
            continue
        if row["id_number"]:
            seen[row["id_number"]] = number
        if not bad:
            report.rows.append(row)


def _check_row(number: int, cells, report: Report) -> tuple[dict, bool]:
    """The row's values and whether it has a problem (each one is added to the report)."""
    problems = []
    values = {}
    for column, cell in zip(COLUMNS, cells):
        if cell is not None and getattr(cell, "data_type", "") == "f":
            problems.append((number, column, "单元格不能含公式，请填写数值"))
        else:
            values[column] = None if cell is None else cell.value
    formula = {column for _, column, _ in problems}

    name = _text(values.get("姓名"))
    if "姓名" not in formula and not name:
        problems.append((number, "姓名", "请填写姓名"))
    elif len(name) > 50 or any(ord(ch) < 32 for ch in name):
        problems.append((number, "姓名", "姓名不能超过50字，不能含控制字符"))
    elif name.startswith(("=", "+", "-", "@")):
        problems.append((number, "姓名", "姓名不能以 = + - @ 开头"))

    id_number = normalize_id_number(_text(values.get("身份证号")))
    if "身份证号" not in formula and (error := id_number_error(id_number)):
        problems.append((number, "身份证号", error))

    join_date = _date(values.get("入党日期"), "入党日期", number, problems, required="入党日期" not in formula)
    full_date = _date(values.get("转正日期"), "转正日期", number, problems, required=False)
    if join_date and full_date and full_date <= join_date:
        problems.append((number, "转正日期", "转正日期应晚于入党日期"))

    status = _text(values.get("党籍状态")) or "正常"
    if "党籍状态" not in formula and status not in STATUSES:
        problems.append((number, "党籍状态", "党籍状态应为：" + "、".join(STATUSES)))
    watch = _text(values.get("留党察看")).upper()
    if "留党察看" not in formula and watch not in YES + NO:
        problems.append((number, "留党察看", "留党察看应填“是”或“否”"))

    report.problems.extend(problems)
    valid_id = "身份证号" not in formula and not id_number_error(id_number)
    return {"_row": number, "name": name, "id_number": id_number if valid_id else "", "join_date": join_date,
            "full_date": full_date, "party_status": status, "on_watch": watch in YES}, bool(problems)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()[:200]


def _date(value, column: str, number: int, problems: list, *, required: bool) -> date | None:
    if value is None or _text(value) == "":
        if required:
            problems.append((number, column, f"请填写{column}"))
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = datetime.strptime(_text(value).replace("/", "-").replace(".", "-"), "%Y-%m-%d").date()
        except ValueError:
            problems.append((number, column, f"{column}格式应为“年-月-日”，如 2010-07-01"))
            return None
    if not date_in_bounds(day) or day > local_today():
        problems.append((number, column, f"{column}应在1900年之后且不晚于今天"))
        return None
    return day

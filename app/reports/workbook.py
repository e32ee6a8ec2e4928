"""One chart's numbers as an Excel workbook (.xlsx, openpyxl)."""
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from app.reports.services import ChartData, Selection
from app.spreadsheet import append_row


def chart_workbook(data: ChartData, sel: Selection) -> bytes:
    """A one-sheet workbook: what was counted, then group / 人数 rows and the total."""
    book = Workbook()
    sheet = book.active
    sheet.title = data.title[:31]
    append_row(sheet, [f"数据统计 · {sel.view.label} · {data.title}"])
    sheet["A1"].font = Font(bold=True)
    append_row(sheet, ["统计范围", sel.org.name])
    if sel.view.in_range:
        append_row(sheet, ["时间区间", f"{sel.start.isoformat()} 至 {sel.end.isoformat()}"])
    append_row(sheet, ["年龄计算日期", sel.on.isoformat()])
    append_row(sheet, [])
    append_row(sheet, [data.title, "人数"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for label, count in data.rows:
        append_row(sheet, [label, count])
    append_row(sheet, ["合计", data.total])
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 12
    out = BytesIO()
    book.save(out)
    return out.getvalue()

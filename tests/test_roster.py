"""党员名册: members from the procedure plus imported ones, the import's dry run (every bad row, nothing written),
hostile workbooks, the template, and scope (another branch's roster by URL → 404)."""
import io
import os
import re
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.events.models import OperationLog
from app.extensions import db
from app.roster import importer, uploads
from app.roster.models import CheckedRosterFile, RosterMember
from app.timeutil import utcnow
from app.workflow import simulate
from tests.conftest import count, csrf_token, login

HEADER = importer.COLUMNS
GOOD = [("李正式", "360426199101010071", "2010-07-01", "2011-07-01", "正常", "否"),
        ("赵预备", "120103198806018241", "2024-07-01", None, "正常", None),
        ("钱察看", "34052419800101001X", date(2005, 7, 1), date(2006, 7, 1), "正常", "是")]


def workbook(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def client_for(app, user):
    c = app.test_client()
    login(c, user)
    return c


def post_import(client, org_id, content, action="check", filename="名册.xlsx"):
    return client.post("/roster/import", data={"csrf_token": csrf_token(client, "/roster/import"),
                                               "org_id": str(org_id), "action": action,
                                               "file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_dry_run_then_import(app, demo):
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    response = post_import(branch1, demo.orgs["branch1"].id, workbook(GOOD))
    assert response.status_code == 200 and 'data-testid="import-ok"' in response.get_data(as_text=True)
    assert count(RosterMember) == 0  # the dry run writes nothing
    ops = count(OperationLog, OperationLog.action == "roster.import")
    response = post_import(branch1, demo.orgs["branch1"].id, workbook(GOOD), action="import")
    assert response.status_code == 303
    assert count(RosterMember) == 3 and count(OperationLog, OperationLog.action == "roster.import") == ops + 1
    html = branch1.get(response.headers["Location"]).get_data(as_text=True)
    assert "李正式" in html and "钱察看" in html and "预备党员" in html
    # The same members again: refused as already in a roster, nothing written.
    response = post_import(branch1, demo.orgs["branch1"].id, workbook(GOOD[:1]), action="import")
    assert response.status_code == 422 and "已在党员名册中" in response.get_data(as_text=True)
    assert count(RosterMember) == 3


def post_checked(client, org_id, key):
    """导入 naming a checked file by its key, no file chosen."""
    return client.post("/roster/import", data={"csrf_token": csrf_token(client, "/roster/import"),
                                               "org_id": str(org_id), "action": "import", "checked": key})


def test_import_uses_the_checked_file_without_choosing_it_again(app, demo):
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    org = demo.orgs["branch1"].id
    response = post_import(branch1, org, workbook(GOOD), filename="一支部.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="kept-file"' in html and "一支部.xlsx" in html
    key = re.search(r'name="checked" value="([0-9a-f]{64})"', html).group(1)
    assert count(CheckedRosterFile) == 1 and count(RosterMember) == 0
    # A tampered key, another branch, another user: refused, nothing written.
    assert post_checked(branch1, org, "0" * 64).status_code == 422
    assert post_checked(branch1, org, key[:-1] + "\x00").status_code in (400, 422)
    county = client_for(app, demo.users["county:county_admin"])
    assert post_checked(county, org, key).status_code == 422  # checked by someone else
    assert post_checked(county, demo.orgs["branch2"].id, key).status_code == 422
    assert post_checked(client_for(app, demo.users["branch2:branch_admin"]), org, key).status_code == 404
    assert count(RosterMember) == 0
    # The kept bytes changed on disk: not the file that was checked.
    with open(uploads._path(key), "rb") as fh:
        original = fh.read()
    with open(uploads._path(key), "wb") as fh:
        fh.write(workbook(GOOD[:1]))
    assert post_checked(branch1, org, key).status_code == 422 and count(RosterMember) == 0
    with open(uploads._path(key), "wb") as fh:
        fh.write(original)
    # The checked file, by its key: imported, and the kept copy is gone.
    response = post_checked(branch1, org, key)
    assert response.status_code == 303 and count(RosterMember) == 3
    assert count(CheckedRosterFile) == 0 and not os.path.exists(uploads._path(key))
    assert post_checked(branch1, org, key).status_code == 422 and count(RosterMember) == 3


def test_a_checked_file_expires(app, demo):
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    org = demo.orgs["branch1"].id
    html = post_import(branch1, org, workbook(GOOD)).get_data(as_text=True)
    key = re.search(r'name="checked" value="([0-9a-f]{64})"', html).group(1)
    db.session.execute(sa.update(CheckedRosterFile).values(created_at=utcnow() - uploads.KEEP_FOR))
    db.session.commit()
    response = post_checked(branch1, org, key)
    assert response.status_code == 422 and "已失效" in response.get_data(as_text=True)
    assert count(RosterMember) == 0


def test_every_bad_row_is_reported_and_nothing_is_written(app, demo):
    rows = [GOOD[0],
            ("", "360426199101010072", "2030-01-01", None, "开除", "也许"),         # row 3: five problems
            ("=HYPERLINK(\"http://x\")", "360426199101010071", "2010-07-01", None, "正常", "否"),  # row 4
            ("王重复", "360426199101010071", "2010-07-01", "2009-01-01", "正常", "否"),  # row 5
            ("公式", "120103198806018241", "=TODAY()", None, "正常", "否")]            # row 6
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    response = post_import(branch1, demo.orgs["branch1"].id, workbook(rows), action="import")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count(RosterMember) == 0
    report = importer.check(workbook(rows))
    found = {(row, column) for row, column, _ in report.problems}
    assert {(3, "姓名"), (3, "身份证号"), (3, "入党日期"), (3, "党籍状态"), (3, "留党察看")} <= found
    assert (4, "姓名") in found and (5, "转正日期") in found and (6, "入党日期") in found
    assert any(r == 5 and "与第2行重复" in m for r, _, m in report.problems)
    assert any(r == 6 and "公式" in m for r, _, m in report.problems)
    assert 'data-row="3"' in html and "校验码" in html


@pytest.mark.parametrize(("content", "message"), [
    (b"not a zip at all", "不是.xlsx格式"),
    (b"PK\x03\x04 broken", "不是.xlsx格式"),
    (b"PK\x03\x04" + b"\x00" * (importer.MAX_BYTES + 10), "超过2MB"),
    (workbook(GOOD, header=("名字", "号码")), "表头应为"),
])
def test_hostile_files_are_refused(app, content, message):
    report = importer.check(content)
    assert not report.ok and message in report.problems[0][2] and report.rows == []


def test_a_zip_bomb_is_refused_before_parsing(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (importer.MAX_UNCOMPRESSED + 1))
    report = importer.check(out.getvalue())
    assert not report.ok and "解压后过大" in report.problems[0][2]


def test_too_many_rows(app, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    rows = [(f"人{i}", simulate.make_id_number(i), "2010-07-01", None, "正常", "否") for i in range(5)]
    report = importer.check(workbook(rows))
    assert any("一次最多导入3行" in m for _, _, m in report.problems)


def test_template_download(app, demo):
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    response = branch1.get("/roster/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert tuple(c.value for c in sheet[1]) == HEADER


def test_roster_holds_members_of_the_procedure(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 21, name="孙新党员")
    simulate.advance(person, actors, until_step=19)
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    html = branch1.get("/roster/").get_data(as_text=True)
    assert "孙新党员" in html and "本支部发展" in html


def test_scope(app, demo):
    importer_rows = workbook(GOOD[:1])
    county = client_for(app, demo.users["county:county_admin"])
    assert post_import(county, demo.orgs["branch3"].id, importer_rows, action="import").status_code == 303
    branch1 = client_for(app, demo.users["branch1:branch_admin"])
    # Another branch's roster by URL, and importing into it: 404 as if it did not exist.
    assert branch1.get(f"/roster/org/{demo.orgs['branch3'].id}").status_code == 404
    assert branch1.get(f"/roster/?org={demo.orgs['branch3'].id}").status_code == 404
    assert post_import(branch1, demo.orgs["branch3"].id, workbook(GOOD[1:2]), action="import").status_code == 404
    assert "李正式" not in branch1.get("/roster/").get_data(as_text=True)
    # The committee above sees its subtree; the county all of it.
    committee2 = client_for(app, demo.users["committee2:committee_admin"])
    assert "李正式" in committee2.get(f"/roster/org/{demo.orgs['branch3'].id}").get_data(as_text=True)
    assert "李正式" in committee2.get("/roster/").get_data(as_text=True)
    assert "李正式" in county.get("/roster/").get_data(as_text=True)
    # The auditor reads rosters but cannot import; the menu shows the entry to those who may open it.
    auditor = client_for(app, demo.users["auditor"])
    assert auditor.get("/roster/import").status_code == 403
    assert 'data-menu="roster"' in branch1.get("/roster/").get_data(as_text=True)
    # A forged form (no CSRF token) is refused.
    forged = branch1.post("/roster/import", data={"org_id": str(demo.orgs["branch1"].id), "action": "import",
                                                  "file": (io.BytesIO(importer_rows), "x.xlsx")},
                          content_type="multipart/form-data")
    assert forged.status_code == 400

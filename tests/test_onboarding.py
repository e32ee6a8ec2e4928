"""数据导入 (onboarding): template from the forms, dry run listing every bad cell, import through the runner."""
import io
import re

import pytest
import sqlalchemy as sa
from forms import get_form_class
from forms.codec import schema
from openpyxl import load_workbook

from app.audit.verify import verify_instance
from app.auth.services import create_user
from app.events.models import Event, OperationLog
from app.extensions import db
from app.inbox.models import HumanTask
from app.onboarding import checker, columns, samples, workbook
from app.onboarding.columns import ORG, STEP
from app.orgs.services import create_org
from app.people.models import Person
from app.workflow import engine, services
from app.workflow.models import ProcessInstance
from app.workflow.simulate import make_id_number
from app.workflow.versions import DEVELOPMENT, active_version
from tests.conftest import DEMO_PASSWORD, count, csrf_token, signed_in


@pytest.fixture
def version_id(app):
    return active_version(DEVELOPMENT).id


def _person_row(version_id, step_no, org, seq, **application):
    return samples.sample_values(version_id, step_no, org, id_number=make_id_number(seq), name=f"导入{seq}",
                                 **application)


def _without(row, key):
    return {k: v for k, v in row.items() if not k.startswith(key + ".")}


def _post(client, content, action):
    response = client.post("/onboarding/", data={"csrf_token": csrf_token(client, "/onboarding/"),
                                                 "action": action, "file": (io.BytesIO(content), "在途.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    job_url = response.headers["Location"]
    return job_url, client.get(job_url).get_data(as_text=True)


def _counts():
    return (count(Person), count(ProcessInstance), count(Event), count(HumanTask),
            count(OperationLog, OperationLog.action == "onboarding.import"))


def test_the_template_is_generated_from_the_forms_and_the_diagram(app, demo, version_id):
    county = signed_in(app, {"c": demo.users["county_admin"]})["c"]
    response = county.get("/onboarding/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    stage_numbers = columns.stages(version_id)
    assert book.sheetnames == [workbook.INSTRUCTIONS] + [columns.stage_title(s) for s in stage_numbers]
    catalogue = services.step_catalogue(version_id)
    for stage in stage_numbers:
        sheet = book[columns.stage_title(stage)]
        labels, keys = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
        assert sheet.row_dimensions[2].hidden and keys[:2] == [ORG, STEP]
        for step in catalogue:
            for entry in schema(get_form_class(step.form_key)):
                key = f"{step.data_key}.{entry['name']}"
                form_cls = get_form_class(step.form_key)
                if entry["type"] in ("attachments", "group") or entry["name"] in ("org_id", *form_cls.org_choices):
                    assert key not in keys
                elif step.stage <= stage:
                    # Every scalar field of every step of the stage and the earlier ones, labelled as its form.
                    assert labels[keys.index(key)] == f"{step.step}.{step.title}·{entry['label']}"
                else:
                    assert key not in keys
    introducers = [k for k in (c.value for c in book[columns.stage_title(stage_numbers[-1])][2])
                   if ".introducers." in k and k.endswith(".name")]
    assert len(introducers) >= 2  # a repeating group: numbered copies of its row, at least its minimum
    notes = [tuple(r) for r in book[workbook.INSTRUCTIONS].iter_rows(values_only=True)]
    assert any(r[0] == "当前步骤" for r in notes) and any("汉族" in (r[1] or "") for r in notes)


def test_a_dry_run_lists_every_bad_cell_with_its_rule_and_writes_nothing(app, demo, version_id):
    branch = demo.orgs["branch1"].name
    # Not a real ID number (checksum), a date order inside a step, a future date, a formula cell,
    # R05 (publicity under 7 days) decided by the diagram, a branch outside the tree, R03's skip with step-2 data.
    bad_id = _person_row(version_id, 3, branch, 1)
    number = bad_id["step01.id_number"]
    bad_id["step01.id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
    order = _person_row(version_id, 4, branch, 2)
    order["step03.double_recommend_date"] = "2020-03-01"          # after 确定入党积极分子日期 2020-02-25
    future = _person_row(version_id, 3, branch, 3)
    future["step02.talk_date"] = "2099-01-01"
    formula = _person_row(version_id, 3, branch, 4)
    formula["step02.talker"] = "=1+1"
    short = _person_row(version_id, 5, branch, 5)
    short["step04.publicity_end"] = "2020-03-03"
    nowhere = _person_row(version_id, 3, "不存在的党支部", 6)
    skipped = _person_row(version_id, 3, branch, 7, apply_date="2013-05-02")
    far = _person_row(version_id, 3, branch, 8)
    far["step02.talk_date"] = "1850-01-01"
    content = samples.filled_workbook(version_id, [bad_id, order, future, formula, short, nowhere, skipped, far])
    before = _counts()
    county = signed_in(app, {"c": demo.users["county_admin"]})["c"]
    job_url, html = _post(county, content, "import")
    assert _counts() == before  # the import job found problems: nothing written
    report = checker.check(demo.users["county_admin"], content)
    found = {(p.row, p.column): p.message for p in report.problems}
    assert not report.ok and report.planned == []
    assert "校验码不正确" in found[(3, "1.递交入党申请书·公民身份证号码")]
    assert any("不能晚于今天" in m for (row, col), m in found.items() if col == "2.党组织派人谈话·谈话时间")
    assert any("R05" in m and "7天" in m for m in found.values())
    assert any(m.startswith("找不到该党支部") for (row, col), m in found.items() if col == "所属党支部")
    assert any("R03" in m for m in found.values())
    # The text "=1+1" is written as quoted text (app/spreadsheet.py), so it is read as text: that row is clean.
    assert any(m == "谈话时间应在1900年至2100年之间" for m in found.values())
    assert len(report.problems) == 7 and 6 not in {p.row for p in report.problems}
    # The job page lists the problems beside their sheet, row and column.
    assert 'data-testid="onboarding-problems"' in html and "校验码不正确" in html and "所属党支部" in html


def test_a_formula_cell_is_refused(app, demo, version_id):
    from openpyxl import Workbook
    book = Workbook()
    book.remove(book.active)
    stage = columns.stages(version_id)[0]
    cols = columns.sheet_columns(version_id, stage)
    sheet = book.create_sheet(columns.stage_title(stage))
    sheet.append([c.label for c in cols])
    sheet.append([c.key for c in cols])
    row = _person_row(version_id, 2, demo.orgs["branch1"].name, 1)
    values = [row.get(c.key) for c in cols]
    values[[c.key for c in cols].index("step01.name")] = '=HYPERLINK("http://evil.example","x")'
    sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    report = checker.check(demo.users["county_admin"], out.getvalue())
    assert [(p.column, p.message) for p in report.problems] == [("1.递交入党申请书·姓名", "单元格不能含公式，请填写数值")]


@pytest.mark.parametrize(("content", "message"), [
    (b"not a zip at all", "不是.xlsx格式"),
    (b"PK\x03\x04 broken", "不是.xlsx格式"),
])
def test_hostile_files_are_refused(app, demo, content, message):
    report = checker.check(demo.users["county_admin"], content)
    assert not report.ok and message in report.problems[0].message


def test_a_good_import_lands_each_person_at_its_step_through_the_runner(app, demo, version_id):
    branch = demo.orgs["branch1"]
    rows = [_person_row(version_id, 7, branch.name, 11),
            _without(_person_row(version_id, 3, branch.name, 12, apply_date="2013-05-02"), "step02"),  # R03
            _person_row(version_id, 19, f"{demo.orgs['committee1'].name}/{branch.name}", 13)]
    content = samples.filled_workbook(version_id, rows)
    county = signed_in(app, {"c": demo.users["county_admin"]})["c"]
    page = county.get("/onboarding/").get_data(as_text=True)
    assert "数据导入" in page and 'data-testid="onboarding-template"' in page and 'href="/onboarding/"' in page
    empty = county.post("/onboarding/", data={"csrf_token": csrf_token(county, "/onboarding/"), "action": "check"})
    assert empty.status_code == 422 and "请选择要导入的.xlsx文件" in empty.get_data(as_text=True)
    job_url, html = _post(county, content, "check")
    assert 'data-testid="onboarding-ok"' in html and count(Person) == 0, re.findall("<td>.*?</td>", html)[:40]
    job_url, html = _post(county, content, "import")
    assert 'data-testid="onboarding-imported"' in html and "已导入3人" in html
    people = {p.name: p for p in db.session.scalars(sa.select(Person))}
    expected = {"导入11": 7, "导入12": 3, "导入13": 19}
    for name, step_no in expected.items():
        person = people[name]
        ctx = services.load(person)
        # The next task ready is the step given in the file, with the real engine, and its inbox row.
        assert [t.step for t in ctx.ready] == [step_no] and not ctx.ready[0].is_review
        assert person.current_step == step_no and person.org_id == branch.id
        assert db.session.scalars(sa.select(HumanTask.step).where(HumanTask.person_id == person.id)).all() == [step_no]
        actions = db.session.scalars(sa.select(Event.action).where(Event.instance_id == person.instance_id)).all()
        assert actions == ["import"]  # one event per person
        findings, _, _ = verify_instance(person.instance_id)
        assert findings == []  # the audit replay reaches the stored state through the same handler
    skipped = services.load(people["导入12"])
    assert "step02_talk" not in {t.name for t in engine.completed_tasks(skipped.wf)}
    reviews = [t for t in engine.completed_tasks(services.load(people["导入13"]).wf) if t.is_review]
    assert reviews and all(t.data.get("decision") == "approve" for t in reviews)
    assert people["导入13"].category == "预备党员" and people["导入13"].join_date is not None
    # The person page's steps show 已导入 for the steps brought in, 已跳过 for R03's skip.
    page = county.get(f"/process/{people['导入12'].id}").get_data(as_text=True)
    assert "已导入" in page and "已跳过" in page
    # The auditor's timeline shows the one 导入 event with each imported step's data in the forms' words.
    auditor = signed_in(app, {"a": demo.users["auditor"]})["a"]
    timeline = auditor.get(f"/audit/people/{people['导入11'].id}").get_data(as_text=True)
    assert "导入" in timeline and "3.推荐和确定入党积极分子·确定入党积极分子日期" in timeline and "2020-02-25" in timeline
    assert auditor.get(f"/audit/people/{people['导入13'].id}/replay").status_code == 200
    log = db.session.scalars(sa.select(OperationLog).where(OperationLog.action == "onboarding.import")).all()
    assert len(log) == 1 and log[0].detail["count"] == 3 and len(log[0].detail["file_sha256"]) == 64
    # A second import of the same ID numbers is refused (R18, as the application form refuses it).
    before = _counts()
    job_url, html = _post(county, content, "import")
    assert _counts() == before and "该公民身份证号码已存在于系统中" in html


def test_only_county_admins_and_above_import_and_only_into_their_scope(app, demo, version_id):
    users = signed_in(app, {"branch": demo.users["branch1:branch_admin"],
                            "committee": demo.users["committee1:committee_admin"],
                            "auditor": demo.users["auditor"]})
    for client in users.values():
        assert client.get("/onboarding/").status_code == 403
        assert client.get("/onboarding/template.xlsx").status_code == 403
        response = client.post("/onboarding/", data={"csrf_token": csrf_token(client, "/auth/login"),
                                                     "action": "check"})
        assert response.status_code == 403
    other_county = create_org("中共其他县委员会", "county", demo.orgs["city"])
    other_branch = create_org("其他村党支部", "branch", create_org("其他镇党委", "committee", other_county))
    other_admin = create_user(username="110101199003079999"[:18], name="他县", role="county_admin", org=other_county,
                              password=DEMO_PASSWORD, phone="13900000000")
    db.session.commit()
    # The demo county's branch is outside the other county's scope: refused as if it did not exist.
    content = samples.filled_workbook(version_id, [_person_row(version_id, 3, demo.orgs["branch1"].name, 21),
                                                   _person_row(version_id, 3, str(demo.orgs["branch2"].id), 22)])
    report = checker.check(other_admin, content)
    assert [p.column for p in report.problems] == ["所属党支部", "所属党支部"]
    assert all(p.message.startswith("找不到该党支部") for p in report.problems)
    # Its own branch is fine; and a forged post without the CSRF token is refused.
    ok = samples.filled_workbook(version_id, [_person_row(version_id, 3, other_branch.name, 23)])
    assert checker.check(other_admin, ok).ok
    client = signed_in(app, {"o": other_admin})["o"]
    response = client.post("/onboarding/", data={"action": "import", "file": (io.BytesIO(ok), "x.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and count(Person) == 0


def test_the_import_event_refuses_what_the_diagram_refuses(app, demo, version_id):
    # The handler is the runner's: a rule gateway (R08: one year between 积极分子 and 发展对象) refuses there.
    row = _person_row(version_id, 8, demo.orgs["branch1"].name, 31)
    for name in ("group_opinion_date", "contact_opinion_date", "public_opinion_date"):
        row[f"step07.{name}"] = "2020-05-20"
    row["step07.candidate_date"] = "2020-06-01"
    report = checker.check(demo.users["county_admin"], samples.filled_workbook(version_id, [row]))
    assert any("R08" in p.message for p in report.problems), report.problems
    assert all(p.row == 3 for p in report.problems)
    assert re.search("确定发展对象", " ".join(p.column for p in report.problems))


def test_the_api_queues_a_dry_run_and_an_import_and_reads_its_own_job(app, client, demo, version_id):
    from tests.api_support import Tokens, other_county_admin
    other_county_admin(demo)
    tokens = Tokens(client, demo)
    content = samples.filled_workbook(version_id, [_person_row(version_id, 4, demo.orgs["branch2"].name, 41)])

    def upload(path, key, body=content):
        return client.post(f"/api/v1/onboarding/{path}", headers=tokens[key],
                           data={"file": (io.BytesIO(body), "x.xlsx")}, content_type="multipart/form-data")

    response = upload("check", "county_admin")
    assert response.status_code == 202
    job = client.get(f"/api/v1/onboarding/jobs/{response.get_json()['id']}", headers=tokens["county_admin"]).get_json()
    assert job["status"] == "done" and job["result"]["rows"] == 1 and job["result"]["problem_count"] == 0
    assert count(Person) == 0
    # Another county's admin sees neither the job nor the demo's branches.
    assert client.get(f"/api/v1/onboarding/jobs/{job['id']}", headers=tokens["county2:county_admin"]).status_code == 404
    refused = upload("import", "county2:county_admin").get_json()
    outcome = client.get(f"/api/v1/onboarding/jobs/{refused['id']}", headers=tokens["county2:county_admin"]).get_json()
    assert outcome["result"]["problems"][0][2] == "所属党支部" and count(Person) == 0
    assert upload("import", "branch1:branch_admin").status_code == 403
    assert upload("import", "county_admin", b"PK\x03\x04 broken").status_code == 422
    done = upload("import", "county_admin").get_json()
    job = client.get(f"/api/v1/onboarding/jobs/{done['id']}", headers=tokens["county_admin"]).get_json()
    assert job["result"]["imported"] == 1 and count(Person) == 1


def test_a_large_file_is_checked_by_forked_workers_with_the_same_outcome(app, demo, version_id, monkeypatch):
    monkeypatch.setattr(checker, "POOL_MIN_ROWS", 2)
    branch = demo.orgs["branch1"].name
    rows = [_person_row(version_id, step, branch, 50 + i) for i, step in enumerate((2, 5, 9, 14, 19, 23))]
    rows[4]["step18.filing_date"] = "2099-01-01"
    rows.append(_person_row(version_id, 3, branch, 50))           # the first row's ID number again
    content = samples.filled_workbook(version_id, rows)
    one, two = (checker.check(demo.users["county_admin"], content, processes=n) for n in (1, 2))
    assert [(p.sheet, p.row, p.column, p.message) for p in one.problems] == \
           [(p.sheet, p.row, p.column, p.message) for p in two.problems]
    assert any(p.column.startswith("18.") and "不能晚于今天" in p.message for p in two.problems)
    assert any("重复" in p.message for p in two.problems)
    del rows[4:]
    good = checker.check(demo.users["county_admin"], samples.filled_workbook(version_id, rows), processes=2)
    assert good.ok and [p.id_number for p in good.planned] == [make_id_number(50 + i) for i in range(4)]
    assert all(p.org.id == demo.orgs["branch1"].id for p in good.planned)


def test_a_zip_bomb_and_too_many_rows_are_refused_before_checking(app, demo, version_id, monkeypatch):
    import zipfile
    monkeypatch.setattr(workbook, "MAX_UNCOMPRESSED", 10_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 20_000)
    assert "解压后过大" in checker.check(demo.users["county_admin"], out.getvalue()).problems[0].message
    monkeypatch.undo()
    monkeypatch.setattr(workbook, "MAX_ROWS", 2)
    rows = [_person_row(version_id, 2, demo.orgs["branch1"].name, 60 + i) for i in range(3)]
    report = checker.check(demo.users["county_admin"], samples.filled_workbook(version_id, rows))
    assert [p.message for p in report.problems] == ["一次最多导入2人，请分批导入"] and report.planned == []

"""综合查询 (manual §2.7): every mode, combined conditions, scope, sort and pages, .xlsx, 证明材料 zip,
bad input beside the row, and SQL-injection strings at every mode."""
import io
import re
import zipfile
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.people.models import Person
from app.query import services
from app.timeutil import local_today
from app.workflow import services as workflow, simulate
from tests.conftest import count, login

INJECTIONS = ["' OR 1=1 --", "' OR '1'='1", "%", "_", "\\", "'; DROP TABLE person; --",
              "王%' OR name LIKE '%", "\" OR \"\"=\"", "1) OR (1=1", "%' UNION SELECT id_number FROM person --"]


@pytest.fixture
def world(app, demo):
    users = demo.users
    b1, b2, b3 = (users[f"branch{i}:branch_admin"] for i in (1, 2, 3))
    wang = simulate.add_applicant(b1, demo.orgs["branch1"], 1, name="王小明")
    simulate.advance(wang, {"branch_admin": b1, "committee_admin": users["committee1:committee_admin"]},
                     until_step=4)
    data = simulate.sample("step01_application", simulate.stored_sample_file(b2), org_id=demo.orgs["branch2"].id,
                           name="王大红", sex="女", ethnicity="03", id_number=simulate.make_id_number(2, male=False))
    hong = workflow.start_application(b2, data, "submit")
    db.session.commit()
    li = simulate.add_applicant(b3, demo.orgs["branch3"], 3, name="李明")
    return type("World", (), {"wang": wang, "hong": hong, "li": li, "users": users, "orgs": demo.orgs})


def client_for(app, user):
    c = app.test_client()
    login(c, user)
    return c


def query(client, *rows, expect=200, **extra):
    """rows: (field, mode, value or [values] or (start, end)); returns the names in the result table."""
    params = [("search", "1")]
    for i, (field, mode, value) in enumerate(rows, start=10):
        params += [(f"c{i}_f", field), (f"c{i}_m", mode)]
        if isinstance(value, tuple):
            params += [(f"c{i}_v", value[0]), (f"c{i}_to", value[1])]
        else:
            params += [(f"c{i}_v", v) for v in (value if isinstance(value, list) else [value])]
    params += list(extra.items())
    response = client.get("/query/?" + urlencode(params))
    assert response.status_code == expect, response.status_code
    html = response.get_data(as_text=True)
    table = re.search(r'data-testid="query-results".*?</table>', html, re.S)
    return (re.findall(r'target="_blank">([^<]+)</a>', table.group(0)) if table else None), html


def test_each_mode_on_base_fields(app, world):
    c = client_for(app, world.users["county:county_admin"])
    assert query(c, ("person.name", "fuzzy", "小明"))[0] == ["王小明"]
    assert query(c, ("person.name", "exact", "王小明"))[0] == ["王小明"]
    assert query(c, ("person.name", "exact", "王小"))[0] == []
    assert sorted(query(c, ("person.name", "prefix", "王"))[0]) == ["王大红", "王小明"]
    assert sorted(query(c, ("person.name", "suffix", "明"))[0]) == ["李明", "王小明"]
    assert query(c, ("person.sex", "exact", "女"))[0] == ["王大红"]
    assert query(c, ("person.ethnicity", "multi", ["03"]))[0] == ["王大红"]
    assert len(query(c, ("person.ethnicity", "multi", ["01", "03"]))[0]) == 3
    assert query(c, ("person.id_number", "prefix", world.li.id_number[:17]))[0] == ["李明"]
    assert query(c, ("person.id_number", "suffix", world.hong.id_number[-4:].lower()))[0] == ["王大红"]
    assert query(c, ("person.category", "exact", "入党积极分子"))[0] == ["王小明"]


def test_step_fields_and_step_dates(app, world):
    c = client_for(app, world.users["county:county_admin"])
    assert query(c, ("step03.native_place", "fuzzy", "示例"))[0] == ["王小明"]
    assert query(c, ("step03.native_place", "prefix", "籍贯"))[0] == ["王小明"]
    assert query(c, ("step03.native_place", "suffix", "（示例）"))[0] == ["王小明"]
    assert query(c, ("step03.native_place", "exact", "籍贯（示例）"))[0] == ["王小明"]
    assert query(c, ("step03.job", "multi", ["公有制单位/党政机关工作人员"]))[0] == ["王小明"]
    assert len(query(c, ("step01.apply_date", "range", ("2020-01-01", "2020-01-31")))[0]) == 3
    assert query(c, ("step01.apply_date", "range", ("2020-02-01", "")))[0] == []
    assert query(c, ("step03.activist_date", "exact", "2020-02-25"))[0] == ["王小明"]
    today = local_today().isoformat()
    assert query(c, ("step03._date", "range", (today, today)))[0] == ["王小明"]
    assert len(query(c, ("step01._date", "range", ("", today)))[0]) == 3


def test_combined_conditions_and_scope(app, world):
    county = client_for(app, world.users["county:county_admin"])
    names, html = query(county, ("person.name", "prefix", "王"), ("person.sex", "exact", "男"),
                        ("step01.apply_date", "range", ("2019-01-01", "2021-01-01")))
    assert names == ["王小明"]
    assert query(county, ("person.name", "prefix", "王"), ("person.category", "multi", ["入党申请人"]))[0] == ["王大红"]
    # The organisation and its ancestors.
    row = re.search(r"<tr>\s*<td>1</td>.*?</tr>", html, re.S).group(0)
    for org in ("中共宁阳县东疏镇前村支部委员会", "中共宁阳县东疏镇委员会", "中共宁阳县委员会", "中共泰安市委员会"):
        assert org in row
    branch3 = client_for(app, world.users["branch3:branch_admin"])
    assert query(branch3, ("person.name", "fuzzy", "明"))[0] == ["李明"]
    committee1 = client_for(app, world.users["committee1:committee_admin"])
    assert sorted(query(committee1, ("person.name", "prefix", ""))[0]) == ["王大红", "王小明"]


def test_sort_and_pages(app, world):
    county = world.users["county:county_admin"]
    conditions = services.parse_conditions(_args([]))
    result = services.search(county, conditions, sort="name", page=1, per_page=2)
    assert result.total == 3 and result.pages == 2
    first = [p.name for p, _ in result.rows]
    second = [p.name for p, _ in services.search(county, conditions, sort="name", page=2, per_page=2).rows]
    assert first + second == sorted(["王小明", "王大红", "李明"])
    desc = [p.name for p, _ in services.search(county, conditions, sort="name", descending=True, per_page=3).rows]
    assert desc == sorted(["王小明", "王大红", "李明"], reverse=True)
    c = client_for(app, county)
    names, _ = query(c, sort="id_number", dir="desc")
    assert names == [p.name for p in sorted([world.wang, world.hong, world.li], key=lambda p: p.id_number,
                                            reverse=True)]
    assert services.capped_count(services.statement(county, conditions), cap=1) == 2  # stops at cap + 1


def _args(pairs):
    from werkzeug.datastructures import MultiDict
    return MultiDict(pairs)


def test_bad_input_is_shown_beside_the_row_and_kept(app, world):
    c = client_for(app, world.users["county:county_admin"])
    names, html = query(c, ("person.name", "multi", "王"), expect=422)
    assert names is None and "不支持多选查询" in html
    _, html = query(c, ("step01.apply_date", "fuzzy", "2020"), expect=422)
    assert "不支持模糊查询" in html
    _, html = query(c, ("step01.apply_date", "range", ("2020-13-01", "")), expect=422)
    assert "日期格式应为" in html and 'value="2020-13-01"' in html
    _, html = query(c, ("step01.apply_date", "range", ("2021-01-01", "2020-01-01")), expect=422)
    assert "开始日期不能晚于结束日期" in html
    _, html = query(c, ("no.such_field", "exact", "x"), expect=422)
    assert "请选择查询条件" in html
    _, html = query(c, ("person.sex", "exact", "未知"), expect=422)
    assert "请从列表中选择" in html


@pytest.mark.parametrize("field,mode", [
    ("person.name", "fuzzy"), ("person.name", "exact"), ("person.name", "prefix"), ("person.name", "suffix"),
    ("person.id_number", "fuzzy"), ("step03.native_place", "fuzzy"), ("step03.native_place", "exact"),
    ("step03.native_place", "prefix"), ("step03.native_place", "suffix"), ("step09.introducers.name", "fuzzy"),
    ("person.ethnicity", "multi"), ("person.sex", "exact"), ("step03.job", "multi"),
    ("step01.apply_date", "range"), ("step01.apply_date", "exact"),
])
def test_sql_injection_strings_at_every_mode(app, world, field, mode):
    c = client_for(app, world.users["branch1:branch_admin"])
    persons = count(Person)
    for attack in INJECTIONS:
        value = (attack, attack) if mode == "range" else ([attack, "01"] if mode == "multi" else attack)
        response = c.get("/query/?" + urlencode([("search", "1"), ("c9_f", field), ("c9_m", mode)] +
                                                [("c9_v", v) for v in (value if isinstance(value, (list, tuple))
                                                                       else [value])] +
                                                ([("c9_to", attack)] if mode == "range" else [])))
        # Either refused beside the row (values outside a code list, dates that are no dates) or run as a
        # plain value that matches nothing; never an error, never more rows than the scope holds.
        assert response.status_code in (200, 422), (attack, response.status_code)
        table = re.search(r'data-testid="query-results".*?</table>', response.get_data(as_text=True), re.S)
        if response.status_code == 200:
            assert table and "没有符合条件的人员" in table.group(0), attack
        # The same through the service, with the condition object itself.
        conditions = services.parse_conditions(_args(
            [("c0_f", field), ("c0_m", mode), ("c0_v", attack), ("c0_to", attack if mode == "range" else "")]))
        if not any(cond.error for cond in conditions):
            assert services.search(world.users["branch1:branch_admin"], conditions).total == 0, attack
    # Injected into the field key, the mode and the sort, too.
    response = c.get("/query/?" + urlencode([("search", "1"), ("c0_f", "person.name' OR 1=1 --"), ("c0_v", "x"),
                                             ("c1_f", "person.name"), ("c1_m", "fuzzy' OR 1=1"), ("c1_v", "王"),
                                             ("sort", "name; DROP TABLE person")]))
    assert response.status_code == 422
    assert count(Person) == persons
    assert db.session.scalar(sa.text("SELECT count(*) FROM person")) == persons


def test_literal_wildcards_match_literally(app, world):
    c = client_for(app, world.users["county:county_admin"])
    assert query(c, ("person.name", "fuzzy", "%"))[0] == []
    assert query(c, ("person.name", "fuzzy", "_"))[0] == []
    assert query(c, ("person.name", "prefix", "王_"))[0] == []


def test_export_xlsx(app, world):
    c = client_for(app, world.users["county:county_admin"])
    params = urlencode([("search", "1"), ("c0_f", "person.name"), ("c0_m", "prefix"), ("c0_v", "王"),
                        ("c1_f", "step03.native_place"), ("c1_m", "fuzzy"), ("c1_v", "籍贯"), ("sort", "name")])
    _, html = query(c, ("person.name", "prefix", "王"))
    assert 'data-testid="export"' in html
    response = c.get("/query/export.xlsx?" + params)
    assert response.status_code == 200
    assert "spreadsheetml" in response.mimetype
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][:5] == ("序号", "姓名", "性别", "民族", "公民身份证号")
    assert rows[0][-1].endswith("籍贯")
    assert [r[1] for r in rows[1:]] == ["王小明"]
    assert rows[1][3] == "汉族" and rows[1][-1] == "籍贯（示例）" and rows[1][8] == "中共宁阳县东疏镇委员会"


def test_evidence_zip(app, world):
    c = client_for(app, world.users["county:county_admin"])
    response = c.get(f"/query/evidence/{world.wang.id}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert any(n.startswith("01_递交入党申请书/") for n in names)
    assert any(n.startswith("03_推荐和确定入党积极分子/") for n in names)
    assert not any(n.startswith("step") for n in names)  # folders carry the step's Chinese name
    branch3 = client_for(app, world.users["branch3:branch_admin"])
    assert branch3.get(f"/query/evidence/{world.wang.id}.zip").status_code == 404


BOTH_WAYS = [
    [("person.name", "prefix", "王"), ("person.sex", "exact", "男"),
     ("step01.apply_date", "range", ("2019-01-01", "2021-01-01"))],
    [("person.name", "fuzzy", "明")],
    [("person.ethnicity", "multi", ["01", "03"]), ("step03.native_place", "fuzzy", "示例")],
    [("step03.job", "multi", ["公有制单位/党政机关工作人员"]), ("person.name", "suffix", "明")],
    [("step01._date", "range", ("", "2100-01-01")), ("person.category", "multi", ["入党申请人", "入党积极分子"])],
    [("step03.native_place", "exact", "没有这个籍贯")],
]


@pytest.mark.parametrize("rows", BOTH_WAYS)
def test_a_condition_read_as_ids_or_as_a_filter_finds_the_same_persons(app, world, monkeypatch, rows):
    # SMALL_SET 0: every person_field condition is "broad" (the person column mirroring it, or a probe per
    # person); the default: each is read as ids first. Both must find the same persons.
    c = client_for(app, world.users["county:county_admin"])
    as_ids = sorted(query(c, *rows)[0])
    monkeypatch.setattr(services, "SMALL_SET", 0)
    assert sorted(query(c, *rows)[0]) == as_ids
    assert as_ids or rows[0][2] == "没有这个籍贯"

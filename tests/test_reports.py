"""数据统计: the seven views' charts against hand-counted persons, scope, the date range, and .xlsx export."""
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.reports import services
from app.reports.catalogue import CHART_BY_KEY, VIEW_BY_KEY
from tests.conftest import login
from tests.rows import add_person

ON = date(2025, 6, 30)   # ages below are counted on this day


@pytest.fixture
def people(demo):
    """Nine persons in the demo county, one of them cancelled (never counted). Hand counts in the tests."""
    o = demo.orgs
    rows = [
        # branch1 (committee1)
        dict(org=o["branch1"], category="入党申请人", current_step=2, sex="男", birth_date=date(2000, 6, 1),
             education="大学本科", job="", apply_date=date(2024, 3, 1)),
        dict(org=o["branch1"], category="入党申请人", current_step=1, sex="女", birth_date=date(1990, 1, 15),
             education="普通高中", job="", apply_date=date(2025, 2, 1)),
        dict(org=o["branch1"], category="入党积极分子", current_step=5, sex="男", birth_date=date(1995, 5, 5),
             education="大学本科", job="农牧渔民", apply_date=date(2023, 1, 1), activist_date=date(2023, 6, 1)),
        # branch2 (committee1)
        dict(org=o["branch2"], category="发展对象", current_step=9, sex="女", birth_date=date(1988, 8, 8),
             education="大学专科", job="学生", apply_date=date(2021, 5, 1), activist_date=date(2022, 1, 1),
             candidate_date=date(2023, 3, 1)),
        dict(org=o["branch2"], category="预备党员", current_step=20, sex="男", birth_date=date(1970, 1, 1),
             education="研究生(硕士)", job="公有制单位/党政机关工作人员", apply_date=date(2022, 1, 1),
             probationary_date=date(2024, 6, 10), join_date=date(2024, 6, 10)),
        # branch3 (committee2)
        dict(org=o["branch3"], category="正式党员", current_step=25, status="completed", sex="女",
             birth_date=date(1985, 12, 12), education="大学本科", job="农牧渔民", apply_date=date(2021, 1, 1),
             probationary_date=date(2023, 5, 1), join_date=date(2023, 5, 1), full_member_date=date(2024, 5, 20)),
        dict(org=o["branch3"], category="预备党员", current_step=19, sex="女", birth_date=date(2001, 1, 1),
             education="大学本科", job="学生", apply_date=date(2023, 2, 2), probationary_date=date(2025, 3, 3), join_date=date(2025, 3, 3)),
        dict(org=o["branch3"], category="入党申请人", current_step=2, status="cancelled", sex="男",
             birth_date=date(1999, 9, 9), apply_date=date(2024, 1, 1), probationary_date=date(2024, 2, 2), join_date=date(2024, 2, 2)),
        # branch4 (committee2): nothing filled in but the activist date
        dict(org=o["branch4"], category="入党积极分子", current_step=4, sex="", birth_date=None, education="",
             job="", apply_date=date(2023, 3, 3), activist_date=date(2024, 1, 1)),
    ]
    persons = [add_person(r.pop("org"), **r) for r in rows]
    db.session.commit()
    return persons


def charts(user, org, view, start=None, end=None):
    sel = services.Selection(view=VIEW_BY_KEY[view], org=org, start=start, end=end, on=ON)
    result = services.charts(user, sel)
    assert len({c.total for c in result}) == 1, "every chart counts each person once"
    return {c.chart.key: c.rows for c in result}, result[0].total


def test_all_persons_of_the_county_hand_counted(people, demo):
    got, total = charts(demo.users["county_admin"], demo.orgs["county"], "all")
    assert total == 8
    assert got["category"] == [("入党申请人", 2), ("入党积极分子", 2), ("发展对象", 1), ("预备党员", 2),
                               ("正式党员", 1)]
    assert got["sex"] == [("男", 3), ("女", 4), ("未填写", 1)]
    assert got["age"] == [("25岁及以下", 2), ("26至30岁", 1), ("31至35岁", 1), ("36至40岁", 2), ("51至55岁", 1),
                          ("未填写", 1)]
    assert got["job"] == [("公有制单位/党政机关工作人员", 1), ("农牧渔民", 2), ("学生", 2), ("未填写", 3)]
    assert got["education"] == [("研究生(硕士)", 1), ("大学本科", 4), ("大学专科", 1), ("普通高中", 1),
                                 ("未填写", 1)]
    assert got["entered"] == [("2021年", 2), ("2022年", 1), ("2023年", 3), ("2024年", 1), ("2025年", 1)]


def test_an_organisation_below_counts_its_subtree_only(people, demo):
    got, total = charts(demo.users["county_admin"], demo.orgs["committee1"], "all")
    assert total == 5
    assert got["category"] == [("入党申请人", 2), ("入党积极分子", 1), ("发展对象", 1), ("预备党员", 1)]
    assert got["sex"] == [("男", 3), ("女", 2)]


def test_stage_view_groups_by_step_and_entry_year(people, demo):
    got, total = charts(demo.users["county_admin"], demo.orgs["county"], "probationary")
    assert total == 2
    titles = [label for label, _ in got["category"]]
    assert [n for _, n in got["category"]] == [1, 1]
    assert titles[0].startswith("第19步 ") and titles[1].startswith("第20步 ")
    assert got["entered"] == [("2024年", 1), ("2025年", 1)]
    got, total = charts(demo.users["county_admin"], demo.orgs["county"], "activist")
    assert total == 2 and got["entered"] == [("2023年", 1), ("2024年", 1)]
    assert got["age"] == [("26至30岁", 1), ("未填写", 1)]
    got, total = charts(demo.users["county_admin"], demo.orgs["county"], "member")
    assert total == 1 and got["entered"] == [("2024年", 1)]


@pytest.mark.parametrize("start, end, total, categories, months", [
    (date(2024, 1, 1), date(2024, 12, 31), 1, [("预备党员", 1)], [("2024年06月", 1)]),
    (date(2023, 1, 1), date(2025, 12, 31), 3, [("预备党员", 2), ("正式党员", 1)],
     [("2023年05月", 1), ("2024年06月", 1), ("2025年03月", 1)]),
    (date(2024, 6, 10), date(2024, 6, 10), 1, [("预备党员", 1)], [("2024年06月", 1)]),   # both ends included
    (date(2019, 1, 1), date(2019, 12, 31), 0, [], []),
])
def test_new_members_in_a_date_range(people, demo, start, end, total, categories, months):
    got, count = charts(demo.users["county_admin"], demo.orgs["county"], "new", start, end)
    assert count == total
    assert got["category"] == categories
    assert got["entered"] == months


def test_http_page_within_scope(people, demo, client):
    login(client, demo.users["branch1:branch_admin"])
    html = client.get("/stats/").get_data(as_text=True)
    assert "共 <strong>3</strong> 人" in html          # branch1 only
    assert 'data-chart-key="education"' in html and "echarts.min.js" in html
    assert client.get(f"/stats/?org={demo.orgs['branch3'].id}").status_code == 404
    assert client.get(f"/stats/export/sex.xlsx?org={demo.orgs['branch3'].id}").status_code == 404


def test_http_page_county_admin_and_menu(people, demo, client):
    login(client, demo.users["county_admin"])
    html = client.get("/inbox/").get_data(as_text=True)
    assert 'href="/stats/" data-menu="stats"' in html
    html = client.get(f"/stats/?view=candidate&org={demo.orgs['committee1'].id}").get_data(as_text=True)
    assert "共 <strong>1</strong> 人" in html and "确定为发展对象时间" in html


def test_bad_date_range_is_refused_beside_the_field(people, demo, client):
    login(client, demo.users["county_admin"])
    html = client.get("/stats/?view=new&start=2025-01-01&end=2024-01-01").get_data(as_text=True)
    assert "结束日期不能早于开始日期" in html
    assert 'value="2024-01-01"' in html                 # the input is kept
    html = client.get("/stats/?view=new&start=abc").get_data(as_text=True)
    assert "日期格式应为" in html
    assert client.get("/stats/export/sex.xlsx?view=new&start=abc").status_code == 400


def test_each_chart_downloads_as_xlsx(people, demo, client):
    login(client, demo.users["county_admin"])
    r = client.get("/stats/export/job.xlsx?view=all")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(r.data)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    header = rows.index(("工作岗位", "人数"))
    assert rows[header + 1:] == [("公有制单位/党政机关工作人员", 1), ("农牧渔民", 2), ("学生", 2), ("未填写", 3),
                                 ("合计", 8)]
    assert ("统计范围", "中共宁阳县委员会") in rows
    r = client.get("/stats/export/category.xlsx?view=new&start=2023-01-01&end=2025-12-31")
    rows = [tuple(c.value for c in row) for row in load_workbook(BytesIO(r.data)).active.iter_rows()]
    assert ("时间区间", "2023-01-01 至 2025-12-31") in rows
    assert rows[-1] == ("合计", 3)
    for key in CHART_BY_KEY:
        assert client.get(f"/stats/export/{key}.xlsx?view=activist").status_code == 200
    assert client.get("/stats/export/nonsense.xlsx").status_code == 404


def test_counts_come_from_group_by_in_one_statement(people, demo, app):
    """The chart counts come from SQL GROUP BY (one statement for the page), not Python loops over persons."""
    import sqlalchemy as sa
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        services.charts(demo.users["county_admin"],
                        services.Selection(VIEW_BY_KEY["all"], demo.orgs["county"], None, None, ON))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    on_person = [s for s in statements if "FROM person" in s]
    assert len(on_person) == 1
    assert on_person[0].count("GROUP BY") == 1 + 4 + 2 + 2 and on_person[0].count("UNION ALL") == 5

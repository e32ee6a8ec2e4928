"""One date arithmetic: the diagram's ``add_months``/``add_years`` and the 逻辑校验 SQL's give the same day, on
29 February and at month ends, on the database under test (SQLite here, PostgreSQL under scripts/pg_test.sh)."""
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from app.checks.catalogue import months_before
from app.checks.sqldates import add_months as sql_add_months, add_years as sql_add_years
from app.extensions import db
from app.workflow.expressions import add_months, add_years, evaluate

CASES = [
    ("2020-02-29", 12, "2021-02-28"),
    ("2020-02-29", 48, "2024-02-29"),
    ("2020-02-29", 1, "2020-03-29"),
    ("2020-01-31", 1, "2020-02-29"),
    ("2021-01-31", 1, "2021-02-28"),
    ("2020-03-31", 1, "2020-04-30"),
    ("2019-12-31", 2, "2020-02-29"),
    ("2021-08-31", 6, "2022-02-28"),
    ("2021-05-10", 18, "2022-11-10"),
    ("2020-03-31", -1, "2020-02-29"),
]


@pytest.mark.parametrize("start,months,expected", CASES)
def test_python_and_sql_agree(app, start, months, expected):
    assert add_months(start, months) == expected
    sql = db.session.execute(sa.select(sql_add_months(sa.literal(date.fromisoformat(start), sa.Date), months))).scalar()
    assert str(sql)[:10] == expected
    if months % 12 == 0:
        assert add_years(start, months // 12) == expected
        sql = db.session.execute(sa.select(sql_add_years(sa.literal(date.fromisoformat(start), sa.Date), months // 12))).scalar()
        assert str(sql)[:10] == expected
    if months > 0:
        assert months_before(date.fromisoformat(expected), months) <= date.fromisoformat(start)


def test_r08_gateway_decides_29_february_like_the_check():
    """The issue's example: 积极分子 2020-02-29, 发展对象 2021-02-28 is a full year for the gateway (and the
    check, tested in test_checks); a day earlier is refused."""
    tree = etree.parse(str(Path(__file__).resolve().parent.parent / "bpmn" / "development.bpmn"))
    condition = tree.find(".//{*}sequenceFlow[@sourceRef='step07_r08_gw']/{*}conditionExpression").text
    data = {"step03": {"activist_date": "2020-02-29"}}
    assert evaluate(condition, {**data, "step07": {"candidate_date": "2021-02-28"}}) is True
    assert evaluate(condition, {**data, "step07": {"candidate_date": "2021-02-27"}}) is False

"""The statistics as data: the seven views (who is counted) and the six charts (how they are grouped).

A view names its persons with a condition on ``Person`` and the date column that says when they entered
the stage; a chart names the SQL expression its persons are grouped by and the order of its groups.
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.people.models import CATEGORIES, Person as P
from forms.codes import EDUCATION, JOB, SEX

UNKNOWN = "未填写"


@dataclass(frozen=True)
class View:
    key: str
    label: str
    category: str | None        # persons of this category; None = every category
    entered: object             # the date column: when the person entered the stage
    entered_label: str
    in_range: bool = False      # 新发展党员: counted by ``entered`` within a date range, whatever they are now

    @property
    def by_step(self) -> bool:
        """A stage view groups by step; the all-persons and new-member views by category."""
        return self.category is not None


VIEWS = [
    View("all", "全部人员", None, P.apply_date, "申请入党时间"),
    View("applicant", "入党申请人", "入党申请人", P.apply_date, "成为入党申请人时间"),
    View("activist", "入党积极分子", "入党积极分子", P.activist_date, "确定入党积极分子时间"),
    View("candidate", "发展对象", "发展对象", P.candidate_date, "确定为发展对象时间"),
    View("probationary", "预备党员", "预备党员", P.probationary_date, "成为预备党员时间"),
    View("member", "正式党员", "正式党员", P.full_member_date, "成为正式党员时间"),
    View("new", "新发展党员", None, P.probationary_date, "成为预备党员时间（月）", in_range=True),
]
VIEW_BY_KEY = {v.key: v for v in VIEWS}


def persons_of(view: View, start: date | None = None, end: date | None = None) -> sa.ColumnElement[bool]:
    """The condition selecting a view's persons (cancelled ones, in the 历史库, are never counted)."""
    conditions = [P.status != "cancelled"]
    if view.category:
        conditions.append(P.category == view.category)
    if view.in_range:
        conditions += [view.entered >= start, view.entered <= end]
    return sa.and_(*conditions)


# Age bands: (highest age in the band, label); older than the last is the final label.
AGE_BANDS = [(25, "25岁及以下"), (30, "26至30岁"), (35, "31至35岁"), (40, "36至40岁"), (45, "41至45岁"),
             (50, "46至50岁"), (55, "51至55岁"), (60, "56至60岁")]
AGE_OLDEST = "61岁及以上"


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band(on: date):
    """SQL: the age band of each person on ``on`` (age ≤ N ⇔ born after ``on`` minus N+1 years)."""
    whens = [(P.birth_date > years_before(on, top + 1), label) for top, label in AGE_BANDS]
    return sa.case((P.birth_date.is_(None), UNKNOWN), *whens, else_=AGE_OLDEST)


def _text(column):
    return sa.func.coalesce(sa.func.nullif(column, ""), UNKNOWN)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str                   # echarts series type: pie | bar


CHARTS = [
    Chart("category", "人员类别", "pie"),
    Chart("sex", "性别", "pie"),
    Chart("age", "年龄", "bar"),
    Chart("job", "工作岗位", "bar"),
    Chart("education", "学历", "bar"),
    Chart("entered", "进入阶段时间", "bar"),
]
CHART_BY_KEY = {c.key: c for c in CHARTS}


def chart_title(chart: Chart, view: View) -> str:
    """What a chart of a view is called on the page and in its workbook."""
    if chart.key == "category":
        return "发展步骤" if view.by_step else "人员类别"
    if chart.key == "entered":
        return view.entered_label
    return chart.title


def group_expression(chart: Chart, view: View, on: date):
    """SQL expression the chart groups the view's persons by."""
    if chart.key == "category":
        return P.current_step if view.by_step else P.category
    if chart.key == "sex":
        return _text(P.sex)
    if chart.key == "age":
        return age_band(on)
    if chart.key == "job":
        return _text(P.job)
    if chart.key == "education":
        return _text(P.education)
    year = sa.extract("year", view.entered)
    # PostgreSQL's EXTRACT gives numeric: cast, so both databases return integers.
    return sa.cast(year * 100 + sa.extract("month", view.entered) if view.in_range else year, sa.Integer)


def group_order(chart: Chart, view: View) -> list:
    """Known groups in the order they are shown (groups met but not listed follow, then 未填写)."""
    return {
        "category": [] if view.by_step else CATEGORIES,
        "sex": [value for value, _ in SEX],
        "age": [label for _, label in AGE_BANDS] + [AGE_OLDEST],
        "job": [value for value, _ in JOB],
        "education": [value for value, _ in EDUCATION],
    }.get(chart.key, [])

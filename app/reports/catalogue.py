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
    # R31: a new member counts from the 支部大会 that admitted them (入党日期).
    View("new", "新发展党员", None, P.join_date, "入党时间（月）", in_range=True),
]
VIEW_BY_KEY = {v.key: v for v in VIEWS}


def persons_of(view: View, start: date | None = None, end: date | None = None) -> sa.ColumnElement[bool]:
    """The condition selecting a view's persons (cancelled and closed ones, in the 历史库, are never counted)."""
    # "Every category" is written as IN (all five) so that the category-led statistics indexes serve it.
    conditions = [P.status.not_in(("cancelled", "closed", "disqualified")), P.category == view.category if view.category else P.category.in_(CATEGORIES)]
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


def age_band(birth_date, on: date):
    """SQL: the age band on ``on`` of a birth date (age ≤ N ⇔ born after ``on`` minus N+1 years)."""
    whens = [(birth_date > years_before(on, top + 1), label) for top, label in AGE_BANDS]
    return sa.case((birth_date.is_(None), UNKNOWN), *whens, else_=AGE_OLDEST)


def text_or_unknown(column):
    """SQL: a text column with '' and NULL shown as 未填写."""
    return sa.func.coalesce(sa.func.nullif(column, ""), UNKNOWN)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str                   # echarts series type: pie | bar
    source: str                 # which grouping pass counts it: "cube", "age" or "entered"


# The cube charts are margins of one GROUP BY (category, step, sex, education, job): one pass over the
# persons for four charts; age and entry time each group by a date, so each has a pass of its own.
CHARTS = [
    Chart("category", "人员类别", "pie", "cube"),
    Chart("sex", "性别", "pie", "cube"),
    Chart("age", "年龄", "bar", "age"),
    Chart("job", "工作岗位", "bar", "cube"),
    Chart("education", "学历", "bar", "cube"),
    Chart("entered", "进入阶段时间", "bar", "entered"),
]
CHART_BY_KEY = {c.key: c for c in CHARTS}
CUBE_COLUMNS = (P.category, P.current_step, P.sex, P.education, P.job)


def chart_title(chart: Chart, view: View) -> str:
    """What a chart of a view is called on the page and in its workbook."""
    if chart.key == "category":
        return "发展步骤" if view.by_step else "人员类别"
    if chart.key == "entered":
        return view.entered_label
    return chart.title


def cube_margin(chart: Chart, view: View, cube):
    """SQL over the cube's columns: the group of a cube chart."""
    if chart.key == "category":
        return cube.c.current_step if view.by_step else cube.c.category
    return text_or_unknown(cube.c[chart.key])


def entry_period(column, view: View):
    """SQL: the year (or, for a date range, year*100+month) of an entry date, as an integer."""
    year = sa.extract("year", column)
    # PostgreSQL's EXTRACT gives numeric: cast, so both databases return integers.
    return sa.cast(year * 100 + sa.extract("month", column) if view.in_range else year, sa.Integer)


def numeric_groups(chart: Chart, view: View) -> bool:
    """Whether a chart's groups are numbers (steps, years, months) rather than text."""
    return chart.key == "entered" or (chart.key == "category" and view.by_step)


def group_order(chart: Chart, view: View) -> list:
    """Known groups in the order they are shown (groups met but not listed follow, then 未填写)."""
    return {
        "category": [] if view.by_step else CATEGORIES,
        "sex": [value for value, _ in SEX],
        "age": [label for _, label in AGE_BANDS] + [AGE_OLDEST],
        "job": [value for value, _ in JOB],
        "education": [value for value, _ in EDUCATION],
    }.get(chart.key, [])

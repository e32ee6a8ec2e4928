"""Counting a view's persons for its charts: one statement of GROUP BY passes, bounded by scope.

The organisation has been fetched within the user's scope by the view; the scope condition is added
again here, so that no caller can count outside it.
"""
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.reports.catalogue import (CHART_BY_KEY, CHARTS, VIEW_BY_KEY, CUBE_COLUMNS, UNKNOWN, Chart, View, age_band,
                                   chart_title, cube_margin, entry_period, group_order, numeric_groups, persons_of)
from app.reports.models import StatsSummary
from app.scope import get_in_scope, path_prefix, scope_condition
from app.timeutil import local_today

# 数据统计 of organisations at these levels is read from the worker's summary (app/reports/summary.py).
SUMMARY_LEVELS = ("province", "city")


@dataclass
class ChartData:
    """One chart's numbers: groups in display order with their counts."""
    chart: Chart
    title: str
    rows: list[tuple[str, int]]
    counted_at: datetime | None = None   # read from the worker's summary (UTC), else None: counted now

    @property
    def total(self) -> int:
        """Persons in the chart (every chart of a view counts each person once)."""
        return sum(n for _, n in self.rows)


@dataclass(frozen=True)
class Selection:
    """What is counted: a view, an organisation's subtree, the date range (新发展党员) and the age reference."""
    view: View
    org: Organisation
    start: date | None
    end: date | None
    on: date                     # ages are counted on this date


def selection(user, view_key: str | None, org_id=None, start: date | None = None,
              end: date | None = None) -> Selection:
    """What the page's filter (or an API call) asks for: an unknown view is the default one, no organisation the
    user's own, an organisation outside scope 404; the range defaults to this year up to today (Beijing time),
    and ages are counted on its end for 新发展党员, on today otherwise."""
    view = VIEW_BY_KEY.get(view_key or "") or VIEW_BY_KEY["all"]
    org = get_in_scope(Organisation, org_id, user) if org_id else user.org
    today = local_today()
    start, end = start or date(today.year, 1, 1), end or today
    return Selection(view=view, org=org, start=start, end=end, on=end if view.in_range else today)


def selection_of(org: Organisation, view: View) -> Selection:
    """What the page counts for ``org`` and ``view`` with the default dates (the worker's summary)."""
    today = local_today()
    return Selection(view=view, org=org, start=date(today.year, 1, 1), end=today, on=today)


def _where(user, sel: Selection):
    # Without a user (the worker's summary) the organisation alone bounds the count.
    scope = scope_condition(Person, user) if user is not None else sa.true()
    return sa.and_(scope, path_prefix(Person.org_path, sel.org.path), persons_of(sel.view, sel.start, sel.end))


def _step_titles() -> dict[int, str]:
    from app.workflow.services import step_catalogue
    from app.workflow.versions import DEVELOPMENT, active_version
    return {s.step: s.title for s in step_catalogue(active_version(DEVELOPMENT).id)}


def _chart_select(user, sel: Selection, chart: Chart, cube):
    """SELECT chart key, group, persons for one chart, GROUP BY group.

    Each pass first groups by the category and the raw indexed columns (a covering index walked in
    order, no sort), then the outer GROUP BY turns those few rows into the chart's groups.
    """
    view = sel.view
    if chart.source == "cube":
        group, n, source = cube_margin(chart, view, cube), cube.c.n, cube
    else:
        column = Person.birth_date if chart.source == "age" else view.entered
        inner = (sa.select(Person.category, column.label("day"), sa.func.count().label("n"))
                 .where(_where(user, sel)).group_by(Person.category, column).subquery())
        group = age_band(inner.c.day, sel.on) if chart.source == "age" else entry_period(inner.c.day, view)
        n, source = inner.c.n, inner
    return (sa.select(sa.literal(chart.key).label("chart"), sa.cast(group, sa.String).label("grp"),
                      sa.func.sum(n).label("n")).select_from(source).group_by(group))


def _cube(user, sel: Selection):
    return (sa.select(*CUBE_COLUMNS, sa.func.count().label("n")).where(_where(user, sel))
            .group_by(*CUBE_COLUMNS).cte("cube"))


def _label(chart: Chart, view: View, key, titles: dict[int, str]) -> str:
    if key is None or key == "":
        return UNKNOWN
    if chart.key == "category" and view.by_step:
        return f"第{key}步 {titles.get(key, '')}".rstrip()
    if chart.key == "entered":
        return f"{key // 100}年{key % 100:02d}月" if view.in_range else f"{key}年"
    return str(key)


def _ordered(chart: Chart, view: View, counts: list[tuple[object, int]]) -> list[tuple[object, int]]:
    order = {value: k for k, value in enumerate(group_order(chart, view))}

    def key(item):
        value = item[0]
        if value in (None, UNKNOWN):
            return (2, 0, "")
        if value in order:
            return (0, order[value], "")
        return (1, value if isinstance(value, int) else 0, str(value))
    return sorted(counts, key=key)


def charts(user, sel: Selection, keys: list[str] | None = None) -> list[ChartData]:
    """The view's charts (or those named in ``keys``): the worker's summary for a province or city organisation
    (``counted_at`` says when), else counted now within the user's scope."""
    return _stored(sel, keys) or count(sel, keys, user)


def _stored(sel: Selection, keys: list[str] | None) -> list[ChartData] | None:
    if sel.org.level not in SUMMARY_LEVELS or sel.view.in_range:
        return None
    rows = db.session.scalars(sa.select(StatsSummary).where(
        StatsSummary.org_id == sel.org.id, StatsSummary.view == sel.view.key)
        .order_by(StatsSummary.chart, StatsSummary.seq)).all()
    if not rows:
        return None
    found: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        if row.chart:   # "" is the marker row of a counted view
            found.setdefault(row.chart, []).append((row.label, row.n))
    return [ChartData(chart=c, title=chart_title(c, sel.view), rows=found.get(c.key, []),
                      counted_at=rows[0].counted_at) for c in CHARTS if keys is None or c.key in keys]


def count(sel: Selection, keys: list[str] | None = None, user=None) -> list[ChartData]:
    """The view's charts counted now: one statement, a UNION ALL of GROUP BY queries; within ``user``'s scope
    when given (the worker's summary counts a whole organisation)."""
    wanted = [c for c in CHARTS if keys is None or c.key in keys]
    cube = _cube(user, sel)
    stmt = sa.union_all(*(_chart_select(user, sel, c, cube) for c in wanted))
    found: dict[str, list[tuple[object, int]]] = {c.key: [] for c in wanted}
    for chart_key, grp, n in db.session.execute(stmt):
        chart = CHART_BY_KEY[chart_key]
        value = int(grp) if grp is not None and numeric_groups(chart, sel.view) else grp
        found[chart_key].append((value, int(n)))
    titles = _step_titles() if sel.view.by_step else {}
    return [ChartData(chart=c, title=chart_title(c, sel.view),
                      rows=[(_label(c, sel.view, g, titles), n) for g, n in _ordered(c, sel.view, found[c.key])])
            for c in wanted]


def chart_data(user, sel: Selection, chart: Chart) -> ChartData:
    """One chart's counts (for its workbook)."""
    return charts(user, sel, [chart.key])[0]

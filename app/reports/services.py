"""Counting a view's persons for each chart: one GROUP BY query per chart, bounded by scope.

The organisation has been fetched within the user's scope by the view; the scope condition is added
again here, so that no caller can count outside it.
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.reports.catalogue import (CHARTS, UNKNOWN, Chart, View, chart_title, group_expression, group_order,
                                   persons_of)
from app.scope import path_prefix, scope_condition


@dataclass
class ChartData:
    """One chart's numbers: groups in display order with their counts."""
    chart: Chart
    title: str
    rows: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.rows)


@dataclass(frozen=True)
class Selection:
    """What is counted: a view, an organisation's subtree, the date range (新发展党员) and the age reference."""
    view: View
    org: Organisation
    start: date | None
    end: date | None
    on: date                     # ages are counted on this date


def _where(user, sel: Selection):
    return sa.and_(scope_condition(Person, user), path_prefix(Person.org_path, sel.org.path),
                   persons_of(sel.view, sel.start, sel.end))


def count_persons(user, sel: Selection) -> int:
    """How many persons the view holds under the organisation."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(_where(user, sel)))


def _step_titles() -> dict[int, str]:
    from app.workflow.services import step_catalogue
    from app.workflow.versions import DEVELOPMENT, active_version
    return {s.step: s.title for s in step_catalogue(active_version(DEVELOPMENT).id)}


def _label(chart: Chart, view: View, key, titles: dict[int, str]) -> str:
    if key is None or key == "":
        return UNKNOWN
    if chart.key == "category" and view.by_step:
        return f"第{int(key)}步 {titles.get(int(key), '')}".rstrip()
    if chart.key == "entered":
        key = int(key)
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
        return (1, value if isinstance(value, (int, float)) else 0, str(value))
    return sorted(counts, key=key)


def chart_data(user, sel: Selection, chart: Chart) -> ChartData:
    """The counts of one chart: SELECT group, COUNT(*) ... GROUP BY group."""
    inner = (sa.select(group_expression(chart, sel.view, sel.on).label("grp")).select_from(Person)
             .where(_where(user, sel)).subquery())
    stmt = sa.select(inner.c.grp, sa.func.count()).group_by(inner.c.grp)
    counts = [(grp, int(n)) for grp, n in db.session.execute(stmt)]
    titles = _step_titles() if chart.key == "category" and sel.view.by_step else {}
    rows = [(_label(chart, sel.view, grp, titles), n) for grp, n in _ordered(chart, sel.view, counts)]
    return ChartData(chart=chart, title=chart_title(chart, sel.view), rows=rows)


def all_charts(user, sel: Selection) -> list[ChartData]:
    """Every chart of the view."""
    return [chart_data(user, sel, chart) for chart in CHARTS]

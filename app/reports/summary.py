"""The stored 数据统计 of the province and the cities, recounted by the worker every SUMMARY_MINUTES.

A page for an organisation at those levels reads the stored rows (a few hundred) instead of counting up to the
whole province, and says when they were counted; a county, a committee or a branch, and 新发展党员 (any date
range), are counted live. Why not counts kept by the person projection in the same transaction: the age chart
moves with the calendar, not with any action, and per-branch counts of a province are about as many rows as
its persons (about a hundred persons a branch), so they would not make the province's sum cheaper.
"""
import sqlalchemy as sa

from app.extensions import db
from app.orgs.models import Organisation
from app.reports import services
from app.reports.catalogue import VIEWS
from app.reports.models import StatsSummary
from app.reports.services import SUMMARY_LEVELS
from app.timeutil import utcnow


SUMMARY_MINUTES = 10


def refresh() -> int:
    """Recount every non-range view of every province and city organisation and replace the stored rows (in the
    caller's transaction: readers see the old rows until it commits). Returns the rows stored."""
    counted_at = utcnow()
    rows = []
    for org in db.session.scalars(sa.select(Organisation).where(Organisation.level.in_(SUMMARY_LEVELS))):
        for view in VIEWS:
            if view.in_range:
                continue
            sel = services.selection_of(org, view)
            # A marker row (chart "") says the view was counted, also when it counted nobody.
            rows.append({"org_id": org.id, "view": view.key, "chart": "", "seq": 0, "label": "", "n": 0,
                         "counted_at": counted_at})
            for data in services.count(sel):
                rows += [{"org_id": org.id, "view": view.key, "chart": data.chart.key, "seq": seq, "label": label,
                          "n": n, "counted_at": counted_at} for seq, (label, n) in enumerate(data.rows)]
    db.session.execute(sa.delete(StatsSummary))
    if rows:
        db.session.execute(sa.insert(StatsSummary), rows)
    return len(rows)

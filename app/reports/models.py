"""Indexes on the person projection that serve the statistics' GROUP BY queries, and the stored summary of
the largest organisations (``StatsSummary``).

The statistics own them, so they are declared here, on the ``person`` table, where Alembic and
``create_all`` see them with the rest of the metadata. Each leads with the category (a view is one
category, or all five as IN), then the columns a pass groups by, then status and organisation path, so
a pass reads only the index, in group order, without a sort (see app/reports/services.py).
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.people.models import Person

_TAIL = (Person.status, Person.org_path)

STATISTICS_INDEXES = [
    # join_date (入党日期, R31) last: 新发展党员 (a range of it) is then served by the same two indexes.
    sa.Index("ix_person_stats_cube", Person.category, Person.current_step, Person.sex, Person.education,
             Person.job, *_TAIL, Person.join_date),
    sa.Index("ix_person_stats_birth", Person.category, Person.birth_date, *_TAIL, Person.join_date),
] + [
    sa.Index(f"ix_person_stats_{column.key}", Person.category, column, *_TAIL)
    for column in (Person.apply_date, Person.activist_date, Person.candidate_date, Person.probationary_date,
                   Person.join_date, Person.full_member_date)
]


class StatsSummary(db.Model):
    """数据统计 of a province or city, as the worker last counted it (app/reports/summary.py): one row per group
    of a chart, in display order. A province's persons are too many to count on every page view (about 1.4 s
    for 1,000,000); a county and anything below it is counted live."""
    __tablename__ = "stats_summary"

    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    view: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    chart: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(120))
    n: Mapped[int]
    counted_at: Mapped[datetime]

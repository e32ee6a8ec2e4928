"""Indexes on the person projection that serve the statistics' GROUP BY queries.

The statistics own them, so they are declared here, on the ``person`` table, where Alembic and
``create_all`` see them with the rest of the metadata. Each leads with the category (a view is one
category, or all five as IN), then the columns a pass groups by, then status and organisation path, so
a pass reads only the index, in group order, without a sort (see app/reports/services.py).
"""
import sqlalchemy as sa

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

"""Running the catalogue: counts per organisation in one pass, and the persons failing a check.

Every query is bounded by the user's scope (``app.scope``) and by the chosen organisation, which the
view has already fetched within scope. Cancelled persons (历史库) are not checked.
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.checks.catalogue import CATALOGUE, Check
from app.checks.models import CheckFact
from app.extensions import db
from app.orgs.models import Organisation
from app.paging import CappedPage
from app.people.models import Person
from app.scope import path_prefix, scope_condition


def _checked(user, org: Organisation):
    """Persons under ``org`` (within the user's scope) that the checks look at: not those in the 历史库, nor
    those paused abroad (暂停发展-出国(境)), whose deadlines wait with them."""
    return sa.and_(scope_condition(Person, user), path_prefix(Person.org_path, org.path),
                   Person.status.not_in(("cancelled", "closed", "suspended", "disqualified")))


def _failing_sums(today: date) -> list:
    # One SUM(CASE ...) per check: the whole catalogue in one scan of the persons.
    return [sa.func.coalesce(sa.func.sum(sa.case((check.condition(today), 1), else_=0)), 0).label(check.id)
            for check in CATALOGUE]


@dataclass
class FailingCounts:
    """Persons failing each check: under the organisation, and under each of its child organisations."""
    total: dict[str, int]
    children: list[tuple[Organisation, dict[str, int]]]


def failing_counts(user, org: Organisation, today: date) -> FailingCounts:
    """Count the persons failing each check under ``org`` and under each child (above 党小组): one pass.

    The pass groups the persons by their organisation path with one SUM(CASE ...) per check (the whole
    catalogue evaluated once per person); the organisation's total and each child's subtree are then
    sums over those few rows, in the same statement.
    """
    by_path = (sa.select(Person.org_path.label("path"), *_failing_sums(today)).select_from(Person)
               .outerjoin(CheckFact, CheckFact.person_id == Person.id).where(_checked(user, org))
               .group_by(Person.org_path).cte("by_path"))
    sums = [sa.func.coalesce(sa.func.sum(by_path.c[check.id]), 0).label(check.id) for check in CATALOGUE]
    child = aliased(Organisation)
    # The child's subtree as a range on the path (see app.scope.path_prefix).
    subtree_end = sa.func.substr(child.path, 1, sa.func.length(child.path) - 1, type_=sa.String).concat("0")
    per_child = (sa.select(child.id.label("org_id"), *sums).select_from(child)
                 .outerjoin(by_path, sa.and_(by_path.c.path >= child.path, by_path.c.path < subtree_end))
                 .where(child.parent_id == org.id, child.level != "group").group_by(child.id))
    total = sa.select(sa.literal(None, sa.Integer).label("org_id"), *sums).select_from(by_path)
    rows = db.session.execute(sa.union_all(total, per_child)).all()
    counts = {row.org_id: {check.id: int(row._mapping[check.id]) for check in CATALOGUE} for row in rows}
    children = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(
        [k for k in counts if k is not None])).order_by(Organisation.path)).all()
    return FailingCounts(total=counts[None], children=[(c, counts[c.id]) for c in children])


def failing_persons(user, org: Organisation, check: Check, today: date, page: int = 1,
                    per_page: int = 20) -> CappedPage:
    """One page of the persons under ``org`` failing ``check``, with their organisation loaded; the count stops
    at COUNT_CAP (a check failed by much of a province would otherwise be counted on every page)."""
    stmt = (sa.select(Person).outerjoin(CheckFact, CheckFact.person_id == Person.id)
            .where(_checked(user, org), check.condition(today))
            .options(joinedload(Person.org)).order_by(Person.id))
    return CappedPage(stmt, page=page, per_page=per_page)


def evidence(check: Check, persons) -> dict[int, list]:
    """{person id: the values of the check's evidence columns}, for the persons of one page (one query)."""
    if not check.evidence or not persons:
        return {p.id: [] for p in persons}
    columns = [column for _, column in check.evidence]
    rows = db.session.execute(sa.select(Person.id, *columns).select_from(Person)
                              .outerjoin(CheckFact, CheckFact.person_id == Person.id)
                              .where(Person.id.in_([p.id for p in persons])))
    return {row[0]: list(row[1:]) for row in rows}


def upper_orgs(persons) -> dict[int, dict[str, str]]:
    """{person id: {level: name}} of the 市级 and 县级 organisations above each person (one query)."""
    ids = {int(x) for p in persons for x in p.org_path.strip("/").split("/") if x}
    names = {o.id: (o.level, o.name) for o in db.session.execute(
        sa.select(Organisation.id, Organisation.level, Organisation.name)
        .where(Organisation.id.in_(ids), Organisation.level.in_(("city", "county"))))}
    out = {}
    for p in persons:
        found = [names[int(x)] for x in p.org_path.strip("/").split("/") if x and int(x) in names]
        out[p.id] = dict(found)
    return out


def org_trail(user, org: Organisation) -> list[Organisation]:
    """The organisations from the user's own down to ``org`` (for the breadcrumb of the drill-down)."""
    ids = [int(x) for x in org.path.strip("/").split("/") if x]
    rows = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids),
                                                            scope_condition(Organisation, user))).all()
    return sorted(rows, key=lambda o: len(o.path))

"""Running the catalogue: counts per organisation in one pass each, and the persons failing a check.

Every query is bounded by the user's scope (``app.scope``) and by the chosen organisation, which the
view has already fetched within scope. Cancelled persons (历史库) are not checked.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.checks.catalogue import CATALOGUE, Check
from app.checks.models import CheckFact
from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.scope import path_prefix, scope_condition


def _checked(user, org: Organisation):
    """Persons under ``org`` (within the user's scope) that the checks look at."""
    return sa.and_(scope_condition(Person, user), path_prefix(Person.org_path, org.path),
                   Person.status != "cancelled")


def _failing_sums(today: date) -> list:
    # One SUM(CASE ...) per check: the whole catalogue in one scan of the persons.
    return [sa.func.coalesce(sa.func.sum(sa.case((check.condition(today), 1), else_=0)), 0).label(check.id)
            for check in CATALOGUE]


def count_failing(user, org: Organisation, today: date) -> dict[str, int]:
    """{check id: number of persons under ``org`` failing it}."""
    stmt = (sa.select(*_failing_sums(today)).select_from(Person)
            .outerjoin(CheckFact, CheckFact.person_id == Person.id).where(_checked(user, org)))
    row = db.session.execute(stmt).one()
    return {check.id: int(row._mapping[check.id]) for check in CATALOGUE}


def count_failing_by_child(user, org: Organisation, today: date) -> list[tuple[Organisation, dict[str, int]]]:
    """For each child organisation of ``org`` (above 党小组), {check id: persons in its subtree failing it}."""
    child = aliased(Organisation)
    # The child's subtree as a range on the person's path (see app.scope.path_prefix), joined per child.
    subtree_end = sa.func.substr(child.path, 1, sa.func.length(child.path) - 1, type_=sa.String).concat("0")
    on = sa.and_(Person.org_path >= child.path, Person.org_path < subtree_end, _checked(user, org))
    stmt = (sa.select(child.id, *_failing_sums(today)).select_from(child)
            .outerjoin(Person, on).outerjoin(CheckFact, CheckFact.person_id == Person.id)
            .where(child.parent_id == org.id, child.level != "group").group_by(child.id))
    counts = {row.id: {check.id: int(row._mapping[check.id]) for check in CATALOGUE}
              for row in db.session.execute(stmt)}
    children = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(counts))
                                  .order_by(Organisation.path)).all()
    return [(c, counts[c.id]) for c in children]


def failing_persons(user, org: Organisation, check: Check, today: date, page: int = 1, per_page: int = 20):
    """One page of the persons under ``org`` failing ``check``, with their organisation loaded."""
    stmt = (sa.select(Person).outerjoin(CheckFact, CheckFact.person_id == Person.id)
            .where(_checked(user, org), check.condition(today))
            .options(joinedload(Person.org)).order_by(Person.id))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


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

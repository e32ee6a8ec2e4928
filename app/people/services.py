"""Queries over the person projection for the 发展流程 stage lists."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.orgs.models import Organisation
from app.paging import CallablePage
from app.people.models import Person
from app.scope import path_prefix, scope_path


def stage_page(user, stage: int, *, name: str = "", org: Organisation | None = None, page: int = 1,
               per_page: int = 20):
    """One page of active persons at a stage, within scope, optionally filtered by name and organisation.

    The filter is one range of ``ix_person_stage_status_path``; the page's ids are picked on that index
    before the 20 rows (and their organisations) are read, so page 50 costs about what page 1 does.
    """
    prefix = org.path if org is not None and org.path.startswith(scope_path(user)) else scope_path(user)
    where = [Person.stage == stage, Person.status == "active", path_prefix(Person.org_path, prefix)]
    if name.strip():
        where.append(Person.name.contains(name.strip(), autoescape=True))

    def items(offset: int, limit: int) -> list[Person]:
        ids = (sa.select(Person.id).where(*where).order_by(Person.id.desc()).offset(offset).limit(limit)
               .scalar_subquery())
        return list(db.session.scalars(sa.select(Person).where(Person.id.in_(ids))
                                       .options(joinedload(Person.org)).order_by(Person.id.desc())).unique())

    def total() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Person.id).where(*where).subquery()))

    return CallablePage(page=page, per_page=per_page, items=items, total=total)


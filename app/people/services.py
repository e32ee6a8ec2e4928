"""Queries over the person projection for the 发展流程 stage lists."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.orgs.models import Organisation
from app.paging import KeysetPage
from app.people.models import Person
from app.scope import below_root, path_prefix, scope_path


def stage_page(user, stage: int, *, name: str = "", org: Organisation | None = None, page: int = 1,
               per_page: int = 20, after: int | None = None, before: int | None = None) -> KeysetPage:
    """One page of active persons at a stage, within scope, optionally filtered by name and organisation.

    The filter is one range of ``ix_person_stage_list`` (stage, status, path, id); the page's ids are picked on
    that index alone (keyset: ``after``/``before`` from 下一页/上一页; sorted from the range for a subtree, see
    ``app.scope.below_root``) before the 20 rows and their organisations are read, and the count stops at
    ``COUNT_CAP``, so the page costs the same at 10,000 and 1,000,000 persons.
    """
    prefix = org.path if org is not None and org.path.startswith(scope_path(user)) else scope_path(user)
    where = [Person.stage == stage, Person.status == "active", path_prefix(Person.org_path, prefix)]
    if name.strip():
        where.append(Person.name.contains(name.strip(), autoescape=True))
    return KeysetPage(page=page, per_page=per_page, keys=sa.select(Person.id).where(*where), key=Person.id,
                      load=persons_with_orgs, after=after, before=before, ranged=below_root(prefix))


def persons_with_orgs(ids) -> list[Person]:
    """The persons of ``ids`` with their organisations (one query)."""
    return list(db.session.scalars(sa.select(Person).where(Person.id.in_(ids))
                                   .options(joinedload(Person.org))).unique())

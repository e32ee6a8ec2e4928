"""Queries over the person projection for the 发展流程 stage lists."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.scope import path_prefix, scope_path


def stage_page(user, stage: int, *, name: str = "", org: Organisation | None = None, page: int = 1,
               per_page: int = 20):
    """One page of active persons at a stage, within scope, optionally filtered by name and organisation."""
    prefix = org.path if org is not None and org.path.startswith(scope_path(user)) else scope_path(user)
    stmt = (sa.select(Person).where(path_prefix(Person.org_path, prefix), Person.stage == stage,
                                    Person.status == "active")
            .options(joinedload(Person.org)).order_by(Person.id.desc()))
    if name.strip():
        stmt = stmt.where(Person.name.contains(name.strip(), autoescape=True))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def filter_orgs(user, limit: int = 500) -> list[Organisation]:
    """Organisations offered in the list filter: the user's subtree above 党小组 level."""
    return list(db.session.scalars(
        sa.select(Organisation).where(path_prefix(Organisation.path, scope_path(user)),
                                      Organisation.level != "group")
        .order_by(Organisation.path).limit(limit)))

"""The inbox query: one indexed read of the human_task table, never a workflow load."""
import sqlalchemy as sa

from app.auth.roles import ADMIN_ROLES, admin_rank
from app.extensions import db
from app.inbox.models import HumanTask
from app.scope import path_prefix, scope_path

# mine: tasks of the user's own role; below: tasks of lower roles the user may also do.
VIEWS = {"mine": "本级待办", "below": "下级待办"}


def roles_for(user, view: str) -> list[str]:
    """The task roles an inbox view lists for this user."""
    rank = admin_rank(user.role)
    if rank < 0:
        return []
    return [user.role] if view == "mine" else ADMIN_ROLES[:rank]


def inbox_page(user, view: str = "mine", page: int = 1, per_page: int = 20):
    """One page of the user's ready tasks, newest first."""
    roles = roles_for(user, view)
    stmt = (sa.select(HumanTask).where(HumanTask.role.in_(roles or [""]),
                                       path_prefix(HumanTask.org_path, scope_path(user)))
            .order_by(HumanTask.arrived_at.desc(), HumanTask.id.desc()))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def stage_label(stage: int) -> str:
    from app.people.models import STAGES
    return STAGES.get(stage, "")

"""Creating, renaming and moving organisations while keeping materialised paths right."""
import sqlalchemy as sa

from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import LEVEL_ORDER, LEVELS, Organisation


class OrgError(ValueError):
    """A rule about the organisation tree was broken; the message is for the user."""


def _check_level(level: str, parent: Organisation | None) -> None:
    if level not in LEVELS:
        raise OrgError("未知的组织层级")
    if parent is not None and LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent.level):
        raise OrgError(f"{LEVELS[level]}不能设在{parent.level_label}之下")


def create_org(name: str, level: str, parent: Organisation | None, actor=None) -> Organisation:
    """Add an organisation under ``parent`` (None for a root)."""
    name = (name or "").strip()
    if not name:
        raise OrgError("请填写组织名称")
    _check_level(level, parent)
    org = Organisation(name=name, level=level, parent=parent,
                       parent_id=parent.id if parent else None, path="")
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    log_operation(actor, "org.create", target=name, detail={"id": org.id, "level": level,
                                                            "parent_id": parent.id if parent else None})
    return org


def rename_org(org: Organisation, name: str, actor=None) -> None:
    """Change an organisation's name."""
    name = (name or "").strip()
    if not name:
        raise OrgError("请填写组织名称")
    old, org.name = org.name, name
    log_operation(actor, "org.rename", target=name, detail={"id": org.id, "old": old})


# Tables that copy their organisation's path for scoped queries; a move rewrites their prefix too.
def _path_tables():
    from app.attachments.models import Attachment
    from app.inbox.models import HumanTask
    from app.people.models import Person
    return [(Person, Person.org_path), (HumanTask, HumanTask.org_path), (Attachment, Attachment.org_path)]


def move_org(org: Organisation, new_parent: Organisation, actor=None) -> None:
    """Move an organisation (and its subtree) under another parent."""
    if new_parent.path.startswith(org.path):
        raise OrgError("不能移动到自身或其下级组织之下")
    _check_level(org.level, new_parent)
    old_prefix, new_prefix = org.path, f"{new_parent.path}{org.id}/"
    cut = len(old_prefix) + 1
    db.session.execute(sa.update(Organisation).where(Organisation.path.startswith(old_prefix))
                       .values(path=new_prefix + sa.func.substr(Organisation.path, cut)),
                       execution_options={"synchronize_session": False})
    for model, column in _path_tables():
        db.session.execute(sa.update(model).where(column.startswith(old_prefix))
                           .values({column: new_prefix + sa.func.substr(column, cut)}),
                           execution_options={"synchronize_session": False})
    org.parent_id = new_parent.id
    db.session.flush()
    db.session.expire_all()
    log_operation(actor, "org.move", target=org.name, detail={"id": org.id, "from": old_prefix,
                                                              "to": new_prefix})


def children(org: Organisation) -> list[Organisation]:
    """Direct children, by name."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.parent_id == org.id)
                                   .order_by(Organisation.id)))


def branches_in_scope(user) -> list[Organisation]:
    """党支部 the user may add applicants to (for the step 1 form)."""
    return list(db.session.scalars(sa.select(Organisation).where(
        Organisation.level == "branch", Organisation.path.startswith(user.org.path)).order_by(Organisation.id)))

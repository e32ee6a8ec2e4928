"""Creating, renaming and moving organisations while keeping materialised paths right."""
from dataclasses import dataclass

import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import LEVEL_ORDER, LEVELS, Organisation
from app.scope import get_in_scope, scoped, select_in_scope

# How many levels below the shown organisation the tree page lists; a province holds tens of
# thousands of branches, so deeper levels are reached by opening an organisation.
TREE_DEPTH = 2


class OrgError(ValueError):
    """A rule about the organisation tree was broken; the message is for the user.

    ``field`` names the form field the message belongs beside (None: the form as a whole).
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def lock_tree(shared: bool = False) -> None:
    """Serialise changes to the tree's paths for the rest of the transaction.

    A move rewrites the paths of a whole subtree; anything that copies a path (a new child, a new
    person) while a move is under way would keep the old one. Moves take this lock exclusively,
    writers that copy a path may take it shared. PostgreSQL only: SQLite already lets one writer
    in at a time.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        db.session.execute(sa.select(getattr(sa.func, fn)(_TREE_LOCK_KEY)))


# Any fixed number; it only has to be the same for every process.
_TREE_LOCK_KEY = 0x6F726773  # "orgs"


def _reload(*orgs: Organisation) -> None:
    # Paths read before the tree lock may be stale if another move committed meanwhile. Flush
    # first so that reloading cannot discard this transaction's own pending changes.
    db.session.flush()
    for org in orgs:
        db.session.refresh(org)


def _check_level(level: str, parent: Organisation | None, field: str = "level") -> None:
    if level not in LEVELS:
        raise OrgError("未知的组织层级", field)
    if parent is not None and LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(parent.level):
        raise OrgError(f"{LEVELS[level]}不能设在{parent.level_label}之下", field)


def child_levels(parent: Organisation) -> list[str]:
    """The levels a new child of ``parent`` may have: every level below the parent's."""
    return LEVEL_ORDER[LEVEL_ORDER.index(parent.level) + 1:]


def create_org(name: str, level: str, parent: Organisation | None, actor=None) -> Organisation:
    """Add an organisation under ``parent`` (None for a root)."""
    name = (name or "").strip()
    if not name:
        raise OrgError("请填写组织名称", "name")
    _check_level(level, parent)
    if parent is not None:
        # The child's path is copied from the parent's; a concurrent move must not change it meanwhile.
        lock_tree(shared=True)
        _reload(parent)
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
        raise OrgError("请填写组织名称", "name")
    old, org.name = org.name, name
    log_operation(actor, "org.rename", target=name, detail={"id": org.id, "old": old})


# Tables that copy their organisation's path for scoped queries; a move rewrites their prefix too.
# A new table with ``__scope_path__`` belongs here or in FROZEN_PATH_TABLES (tests check this).
def _path_tables():
    from app.attachments.models import Attachment
    from app.inbox.models import HumanTask
    from app.movebacks.models import MoveBackRequest
    from app.people.models import Person
    from app.realname.models import RealnameRequest
    from app.registry.models import RegistryEvent
    from app.publicity.models import PublicityNotice
    from app.roster.models import RosterMember
    from app.sms.models import SmsMessage
    from app.suspensions.models import ResumeRequest, Suspension
    from app.transfers.models import Transfer
    return [(Person, Person.org_path), (HumanTask, HumanTask.org_path), (Attachment, Attachment.org_path),
            (SmsMessage, SmsMessage.org_path), (Transfer, Transfer.from_org_path),
            (Transfer, Transfer.to_org_path), (RealnameRequest, RealnameRequest.org_path),
            (Suspension, Suspension.org_path), (ResumeRequest, ResumeRequest.org_path),
            (RegistryEvent, RegistryEvent.org_path), (PublicityNotice, PublicityNotice.org_path),
            (RosterMember, RosterMember.org_path), (MoveBackRequest, MoveBackRequest.org_path)]


# Tables whose path records where the actor stood at the time and must not be rewritten: the
# operations log is hash-chained over its path, so a rewrite would read as tampering.
FROZEN_PATH_TABLES = {"operation_log"}


def move_org(org: Organisation, new_parent: Organisation, actor=None) -> None:
    """Move an organisation (and its subtree) under another parent.

    Rewrites the path of every organisation in the subtree and of every row that copies one
    (people, tasks, attachments), so scope follows the move at once.
    """
    lock_tree()
    _reload(org, new_parent)
    if new_parent.path.startswith(org.path):
        raise OrgError("不能移动到自身或其下级组织之下", "parent_id")
    if org.parent_id == new_parent.id:
        raise OrgError("该组织已在所选上级组织之下", "parent_id")
    _check_level(org.level, new_parent, "parent_id")
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
    """Direct children, in the order they were created."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.parent_id == org.id)
                                   .order_by(Organisation.id)))


def branches_in_scope(user) -> list[Organisation]:
    """党支部 the user may add applicants to (for the step 1 form)."""
    return list(db.session.scalars(sa.select(Organisation).where(
        Organisation.level == "branch", Organisation.path.startswith(user.org.path)).order_by(Organisation.id)))


# --- Queries for the organisation pages; every one is bounded by the user's scope. ---

@dataclass(frozen=True)
class TreeRow:
    org: Organisation
    depth: int  # levels below the organisation the tree starts from (0 for that organisation)
    child_count: int


def _depth_expr():
    # Number of "/" in the path minus one, matching Organisation.depth, computed in SQL.
    path = Organisation.path
    return sa.func.length(path) - sa.func.length(sa.func.replace(path, "/", "")) - 1


def _tree_key(org: Organisation) -> list[int]:
    # Sorting by the ids along the path lists every organisation right after its parent,
    # siblings in creation order.
    return [int(x) for x in org.path.strip("/").split("/")]


def subtree_rows(root: Organisation, user, depth: int = TREE_DEPTH) -> list[TreeRow]:
    """``root`` and its descendants down to ``depth`` levels, in tree order, with child counts.

    ``root`` must already have been fetched through the scope helper.
    """
    limit = root.depth + depth
    orgs = db.session.scalars(scoped(
        sa.select(Organisation).where(Organisation.path.startswith(root.path), _depth_expr() <= limit),
        Organisation, user)).all()
    # Counted over one more level so that the deepest rows shown still say whether they have children.
    counts = dict(db.session.execute(scoped(
        sa.select(Organisation.parent_id, sa.func.count())
        .where(Organisation.path.startswith(root.path), _depth_expr() <= limit + 1,
               Organisation.id != root.id)
        .group_by(Organisation.parent_id), Organisation, user)).all())
    return [TreeRow(org, org.depth - root.depth, counts.get(org.id, 0))
            for org in sorted(orgs, key=_tree_key)]


def ancestors_in_scope(org: Organisation, user) -> list[Organisation]:
    """The organisation's ancestors that the user may see, from the top down (for breadcrumbs)."""
    ids = org.ancestor_ids()
    if not ids:
        return []
    return sorted(db.session.scalars(select_in_scope(Organisation, user).where(Organisation.id.in_(ids))),
                  key=_tree_key)


def move_targets(org: Organisation, user) -> list[Organisation]:
    """Organisations in scope that ``org`` could be moved under, in tree order.

    Those are the ones of a higher level, outside ``org``'s own subtree, other than its current
    parent. ``move_org_in_scope`` checks the same rules again for whatever is submitted.
    """
    higher = LEVEL_ORDER[:LEVEL_ORDER.index(org.level)] if org.level in LEVEL_ORDER else []
    stmt = select_in_scope(Organisation, user).where(
        Organisation.level.in_(higher), sa.not_(Organisation.path.startswith(org.path)))
    if org.parent_id is not None:
        stmt = stmt.where(Organisation.id != org.parent_id)
    return sorted(db.session.scalars(stmt), key=_tree_key)


def may_change(org: Organisation, user) -> bool:
    """True if ``user`` may rename or move ``org`` (already known to be in scope).

    An admin's own organisation is in scope but is named and placed by the level above, so only
    organisations strictly below it can be changed.
    """
    return org.id != user.org_id


def move_org_in_scope(org: Organisation, new_parent_id, user) -> None:
    """Move ``org`` under the organisation ``new_parent_id``, which must lie in the user's scope.

    A target outside scope is reported like one that does not exist, so ids cannot be probed.
    """
    try:
        new_parent = get_in_scope(Organisation, new_parent_id, user)
    except NotFound:
        raise OrgError("所选上级组织不存在或不在您的管理范围内", "parent_id") from None
    move_org(org, new_parent, actor=user)


# --- The organisation-tree component (static/js/org_tree.js): children on demand, search by name. ---

TREE_SEARCH_LIMIT = 30


def child_counts(orgs: list[Organisation], user) -> dict[int, int]:
    """org id → number of direct children in the user's scope (one grouped count; absent: none)."""
    ids = [o.id for o in orgs]
    return dict(db.session.execute(scoped(
        sa.select(Organisation.parent_id, sa.func.count()).where(Organisation.parent_id.in_(ids))
        .group_by(Organisation.parent_id), Organisation, user)).all()) if ids else {}


def _tree_nodes(orgs: list[Organisation], user) -> list[dict]:
    # One grouped count says which of the nodes can be opened further.
    with_children = child_counts(orgs, user)
    root_depth = user.org.depth
    return [{"id": o.id, "name": o.name, "level": o.level_label, "has_children": o.id in with_children,
             # ids from the user's own organisation down to this one, for opening the tree at a search hit
             "path": [int(x) for x in o.path.strip("/").split("/")][root_depth - 1:]}
            for o in orgs]


def tree_children(parent: Organisation | None, user) -> list[dict]:
    """Tree nodes below ``parent`` (fetched through the scope helper), or the user's own organisation for None."""
    if parent is None:
        return _tree_nodes([user.org], user)
    return _tree_nodes(list(db.session.scalars(scoped(
        sa.select(Organisation).where(Organisation.parent_id == parent.id), Organisation, user)
        .order_by(Organisation.id))), user)


def search_in_scope(text: str, user, limit: int = TREE_SEARCH_LIMIT) -> list[Organisation]:
    """Organisations in the user's scope whose name contains ``text``, in path order (at most ``limit``)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(db.session.scalars(scoped(
        sa.select(Organisation).where(Organisation.name.like(pattern, escape="\\")), Organisation, user)
        .order_by(Organisation.path).limit(limit)))


def tree_search(text: str, user) -> list[dict]:
    """Tree nodes of the organisations in the user's scope whose name contains ``text``."""
    return _tree_nodes(search_in_scope(text, user), user)

"""The one place where data scope is enforced.

A user sees and acts only inside their organisation's subtree. Every list query goes through
``scoped()`` and every lookup of one object by id goes through ``get_in_scope()``, so that no page
or API can reach an object outside it; an object outside scope is answered with 404, exactly as if
it did not exist, so ids cannot be probed.
"""
from typing import TypeVar

import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.orgs.models import Organisation
from app.request_input import bounded_int

T = TypeVar("T")


def scope_path(user) -> str:
    """The materialised path prefix that bounds what ``user`` may see."""
    return user.org.path


def path_prefix(column, prefix: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix``, written as a range so that an ordinary index serves it.

    Paths hold only digits and "/" and end with "/", so every path under "/1/5/" sorts between
    "/1/5/" and "/1/50" ("0" is the character after "/"). LIKE 'prefix%' would need
    case-sensitive LIKE on SQLite and text_pattern_ops on PostgreSQL to use an index.
    """
    return sa.and_(column >= prefix, column < _range_end(prefix))


def _range_end(prefix: str) -> str:
    # The first path after every path under ``prefix`` (see path_prefix).
    return prefix[:-1] + "0"


def below_root(prefix: str) -> bool:
    """Whether the path ``prefix`` is a subtree under the top organisation rather than the whole tree.

    A list narrowed to such a subtree is read by its path range and sorted, not by walking the id index
    newest first: the walk assumes matches spread evenly over the ids, while a county's persons may sit in
    a few stretches of ids (an import, a transfer of a whole branch), so it can read most of the table
    before it finds 20 rows of the subtree.
    """
    return prefix.count("/") > 2


def _path_column(model):
    # Scoped models name the column (or SQL expression) holding the owning organisation's path.
    column = getattr(model, "__scope_path__", None)
    if column is None:
        raise TypeError(f"{model.__name__} has no __scope_path__; it cannot be queried with scope")
    return getattr(model, column) if isinstance(column, str) else column


def scope_condition(model, user) -> sa.ColumnElement[bool]:
    """A WHERE condition restricting ``model`` rows to the user's subtree."""
    if model is Organisation:
        return path_prefix(Organisation.path, scope_path(user))
    join_model = getattr(model, "__scope_join__", None)
    if join_model is not None:
        return join_model(scope_path(user))
    return path_prefix(_path_column(model), scope_path(user))


def scoped(stmt: sa.Select, model, user) -> sa.Select:
    """Add the scope condition for ``model`` to a select statement."""
    return stmt.where(scope_condition(model, user))


def select_in_scope(model, user) -> sa.Select:
    """``select(model)`` already restricted to the user's subtree."""
    return scoped(sa.select(model), model, user)


def get_in_scope(model: type[T], object_id, user, *, along: tuple | None = None):
    """Fetch one object by primary key, or 404 if it does not exist or lies outside scope.

    ``along``: (other model, ON clause) of a row the caller needs next, fetched by the same SELECT (outer
    join); the answer is then the pair (object, that row or None)."""
    try:
        object_id = bounded_int(object_id)
    except (TypeError, ValueError):
        abort(404)
    stmt = select_in_scope(model, user).where(model.id == object_id)
    if along is None:
        obj = db.session.scalar(stmt)
    else:
        row = db.session.execute(stmt.add_columns(along[0]).outerjoin(*along)).first()
        if row is None:
            abort(404)
        return row[0], row[1]
    if obj is None:
        abort(404)
    return obj


def range_in_scope(model) -> sa.ColumnElement[bool]:
    """For a statement built once: ``model``'s path lies in the range ``:lo`` … ``:hi`` (``scope_range``)."""
    if model is Organisation or getattr(model, "__scope_join__", None) is not None:
        raise TypeError(f"{model.__name__} is scoped by a join: use scope_condition()")
    column = _path_column(model)
    return sa.and_(column >= sa.bindparam("lo"), column < sa.bindparam("hi"))


def scope_range(user) -> dict:
    """The ``:lo`` and ``:hi`` parameters of ``range_in_scope`` for ``user`` (``path_prefix``'s range)."""
    prefix = scope_path(user)
    return {"lo": prefix, "hi": _range_end(prefix)}


def by_id_in_scope(model, *along) -> sa.Select:
    """A statement to build once, at import: the ``model`` row with id ``:id`` whose path lies in the range
    ``:lo`` … ``:hi`` (``scope_params``), with the rows of ``along`` ((model, ON clause) pairs, outer joins)
    in the same SELECT. A hot lookup then skips building the statement and its cache key on every request."""
    stmt = sa.select(model, *(other for other, _ in along))
    for other, on in along:
        stmt = stmt.outerjoin(other, on)
    return stmt.where(model.id == sa.bindparam("id"), range_in_scope(model))


def scope_params(user, object_id) -> dict:
    """The parameters of a ``by_id_in_scope`` statement for ``user`` (404 for an id out of bounds)."""
    try:
        object_id = bounded_int(object_id)
    except (TypeError, ValueError):
        abort(404)
    return {"id": object_id, **scope_range(user)}


def fetch_in_scope(stmt: sa.Select, object_id, user) -> sa.Row:
    """The row of a ``by_id_in_scope`` statement for ``object_id`` within ``user``'s scope, or 404."""
    row = db.session.execute(stmt, scope_params(user, object_id)).first()
    if row is None:
        abort(404)
    return row


def get_by_path_in_scope(model: type[T], object_id, user, column) -> T:
    """Fetch one object whose ``column`` (one of its paths) lies in the user's subtree, or 404.

    For a grant narrower than the model's own scope: the sending side of a 接续培养 reads the transfer by
    its ``from_org_path`` alone, whatever the person's path is now."""
    try:
        object_id = bounded_int(object_id)
    except (TypeError, ValueError):
        abort(404)
    obj = db.session.scalar(sa.select(model).where(model.id == object_id, path_prefix(column, scope_path(user))))
    if obj is None:
        abort(404)
    return obj


def org_in_scope(org: Organisation, user) -> bool:
    """True if the organisation lies in the user's subtree."""
    return org.path.startswith(scope_path(user))


def can_act_as(user, role: str, org_path: str) -> bool:
    """True if ``user`` may do work assigned to ``role`` for an object owned at ``org_path``.

    The role itself may, within its subtree; so may any higher admin whose subtree covers it
    (manual §2.3.2: the 基层党委 may edit everything a branch enters).
    """
    from app.auth.roles import admin_rank
    if not org_path.startswith(scope_path(user)):
        return False
    if user.role == role:
        return True
    return admin_rank(user.role) > admin_rank(role) >= 0

"""The account of a login session as every web request reads it: one prebuilt Core SELECT of the account's and
its organisation's columns into two light read-only objects.

An ORM load of the account (with its joined organisation) cost every page and POST about twice as much CPU as
this statement on the driver's connection (identity map, instance states, the ORM's execute path); the objects
answer everything the guard, the scope helpers, the services and the templates read of the user. What they
do not hold (a relationship, a secret hash) is read from the ORM row, loaded on first use, and so is any
change: ``record`` is that row (``services.end_sessions(current_user.record)``); assigning to the light
object raises, so a write can never be lost silently. API requests still get the ORM account from their
token (``app/api/auth.py``); both kinds answer the same attributes.

The statement reads only the columns requests use (who, which role and organisation, whether the session still
holds): each column of a result costs the driver an object per execution (psycopg's ``cursor.description``) and
SQLAlchemy its processing, and the other columns (contact, lockout and activation details, creation times) are
read by a few account pages only, through ``record``, like the secrets.
"""
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.orgs.models import Organisation

# What pages, the guard, the scope helpers and the services read of every request's account (the suite's
# requests read nothing else of it). Secrets stay out of the object the templates can reach; ``record`` reads
# them, and the rest of the row, where a service needs them.
_USER_COLUMNS = ("id", "username", "name", "role", "org_id", "activated", "disabled", "session_epoch")
# The organisation's id is the account's org_id: not read twice.
_ORG_COLUMNS = ("name", "level", "parent_id", "path")

_user, _org = User.__table__, Organisation.__table__
# Built once at import: bound parameter, compiled form cached by SQLAlchemy.
_ACCOUNT = (sa.select(*[_user.c[k] for k in _USER_COLUMNS], *[_org.c[k].label("org__" + k) for k in _ORG_COLUMNS])
            .join_from(_user, _org, _user.c.org_id == _org.c.id)
            .where(_user.c.id == sa.bindparam("id")))
_ORG_ID = _USER_COLUMNS.index("org_id")
_USER_END = len(_USER_COLUMNS)


class _ReadOnly:
    __slots__ = ()
    _model = None
    _stores = ()   # each slot's setter, in the order of __slots__ (set below the classes)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only: change {name} on .record (the ORM row)")

    def __getattr__(self, name):
        # Only reached for what the slots do not hold: relationships and the rest of the ORM row.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)

    @property
    def record(self):
        """The ORM row (identity-mapped: loaded once per request, then the same object)."""
        return db.session.get(self._model, self.id)

    @classmethod
    def _from(cls, values):
        # Positional, through the slots' own descriptors: no dict of the row, no name lookups per request.
        obj = object.__new__(cls)
        for store, value in zip(cls._stores, values):
            store(obj, value)
        return obj


class SessionOrg(_ReadOnly):
    """The session account's organisation: its columns, and the model's computed attributes."""
    __slots__ = ("id",) + _ORG_COLUMNS
    _model = Organisation
    level_label = Organisation.level_label
    depth = Organisation.depth
    ancestor_ids = Organisation.ancestor_ids
    is_within = Organisation.is_within

    def __repr__(self) -> str:
        return f"<SessionOrg {self.id} {self.name}>"


class SessionAccount(_ReadOnly):
    """The account of a login session, as Flask-Login's ``current_user`` on web pages."""
    __slots__ = _USER_COLUMNS + ("org",)
    _model = User
    is_authenticated = True
    is_anonymous = False
    is_active = User.is_active
    role_label = User.role_label
    get_id = User.get_id

    def __eq__(self, other) -> bool:
        # Flask-Login's UserMixin compares accounts by session id; the ORM row and this object are one account.
        if isinstance(other, (SessionAccount, User)):
            return self.get_id() == other.get_id()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.get_id())

    def __repr__(self) -> str:
        return f"<SessionAccount {self.username} {self.role}>"


SessionOrg._stores = tuple(SessionOrg.__dict__[k].__set__ for k in SessionOrg.__slots__)
SessionAccount._stores = tuple(SessionAccount.__dict__[k].__set__ for k in SessionAccount.__slots__)


def session_account(user_id: int) -> SessionAccount | None:
    """The account ``user_id`` with its organisation from one statement, or None if there is no such account."""
    row = db.session.connection().execute(_ACCOUNT, {"id": user_id}).first()
    if row is None:
        return None
    values = tuple(row)
    org = SessionOrg._from((values[_ORG_ID], *values[_USER_END:]))
    return SessionAccount._from((*values[:_USER_END], org))

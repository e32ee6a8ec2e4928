"""The account of a login session as every web request reads it: one prebuilt Core SELECT of the account's and
its organisation's columns into two light read-only objects.

An ORM load of the account (with its joined organisation) cost every page and POST about twice as much CPU as
this statement on the driver's connection (identity map, instance states, the ORM's execute path); the objects
answer everything the guard, the scope helpers, the services and the templates read of the user. What they
do not hold (a relationship, a secret hash) is read from the ORM row, loaded on first use, and so is any
change: ``record`` is that row (``services.end_sessions(current_user.record)``); assigning to the light
object raises, so a write can never be lost silently. API requests still get the ORM account from their
token (``app/api/auth.py``); both kinds answer the same attributes.
"""
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.orgs.models import Organisation

# Secrets stay out of the object the templates can reach; ``record`` reads them where a service needs them.
_SECRET = {"password_hash", "auth_code_hash"}
_USER_COLUMNS = tuple(c.key for c in User.__table__.c if c.key not in _SECRET)
_ORG_COLUMNS = tuple(c.key for c in Organisation.__table__.c)

# Built once at import: bound parameter, compiled form cached by SQLAlchemy.
_ACCOUNT = (sa.select(*[User.__table__.c[k] for k in _USER_COLUMNS],
                      *[Organisation.__table__.c[k].label("org__" + k) for k in _ORG_COLUMNS])
            .join_from(User.__table__, Organisation.__table__, User.__table__.c.org_id == Organisation.__table__.c.id)
            .where(User.__table__.c.id == sa.bindparam("id")))


class _ReadOnly:
    __slots__ = ()
    _model = None

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

    def _fill(self, values: dict) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


class SessionOrg(_ReadOnly):
    """The session account's organisation: its columns, and the model's computed attributes."""
    __slots__ = _ORG_COLUMNS
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


def session_account(user_id: int) -> SessionAccount | None:
    """The account ``user_id`` with its organisation from one statement, or None if there is no such account."""
    row = db.session.connection().execute(_ACCOUNT, {"id": user_id}).first()
    if row is None:
        return None
    values = row._asdict()
    org = SessionOrg()
    org._fill({k: values["org__" + k] for k in _ORG_COLUMNS})
    account = SessionAccount()
    account._fill({k: values[k] for k in _USER_COLUMNS})
    object.__setattr__(account, "org", org)
    return account

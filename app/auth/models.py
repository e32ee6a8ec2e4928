"""Accounts. One account has one role and belongs to one organisation."""
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.roles import role_label
from app.extensions import db
from app.orgs.models import Organisation
from app.timeutil import utcnow


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The login name is the holder's ID number (manual §1.3.3).
    username: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    id_number: Mapped[str] = mapped_column(sa.String(18))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    role: Mapped[str] = mapped_column(sa.String(32))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    # Accounts created by a 安全员 wait for activation with an authorisation code.
    activated: Mapped[bool] = mapped_column(default=False)
    auth_code_hash: Mapped[str | None] = mapped_column(sa.String(256))
    auth_code_expires: Mapped[datetime | None]
    # Wrong authorisation codes (or names) entered at activation; at the limit the code is voided.
    auth_code_failures: Mapped[int] = mapped_column(default=0)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(default=False)
    # Part of the id kept in every login session (``get_id``); raising it ends all of the account's sessions.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined")

    @classmethod
    def __scope_join__(cls, prefix: str) -> sa.ColumnElement[bool]:
        # Accounts carry no path of their own; scope goes through their organisation's path.
        return cls.org_id.in_(sa.select(Organisation.id).where(Organisation.path.startswith(prefix)))

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot hold a session
        return self.activated and not self.disabled

    def get_id(self) -> str:
        """The session's user id for Flask-Login: account id and session epoch (see ``load_session_user``)."""
        return f"{self.id}:{self.session_epoch or 0}"

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


@sa.event.listens_for(User.role, "set")
@sa.event.listens_for(User.org_id, "set")
def _rights_changed(user: User, value, old, initiator) -> None:
    # A new role or organisation changes what the account may see: sessions opened before must end.
    if old not in (value, sa.orm.attributes.NO_VALUE, None) and user.id is not None:
        user.session_epoch = (user.session_epoch or 0) + 1


class CaptchaChallenge(db.Model):
    """One captcha image shown: the session carries only this row's random id, the answer stays here.

    It is spent by the first answer (right or wrong) and expires after a few minutes.
    """
    __tablename__ = "captcha_challenge"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    answer: Mapped[str] = mapped_column(sa.String(8))
    expires_at: Mapped[datetime] = mapped_column(index=True)

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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined")

    @classmethod
    def __scope_join__(cls, prefix: str) -> sa.ColumnElement[bool]:
        # Accounts carry no path of their own; scope goes through their organisation's path.
        return cls.org_id.in_(sa.select(Organisation.id).where(Organisation.path.startswith(prefix)))

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot hold a session
        return self.activated and not self.disabled

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

"""Issuing, checking and revoking API tokens (all queries of the API foundation live here)."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.api.models import ApiToken
from app.auth.models import User
from app.events.services import log_operation
from app.extensions import db
from app.timeutil import utcnow

DEFAULT_TOKEN_HOURS = 12
# last_used_at is informative only; writing it on every call would turn every read into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass
class IssuedToken:
    """A new token: ``token`` is the only time the plain text exists outside the client."""
    token: str
    expires_at: datetime
    row: ApiToken


class TokenError(Exception):
    """The presented token cannot be used; the message is for the client."""


def hash_token(token: str) -> str:
    """Hex sha256 of a token's text, the form in which tokens are stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_lifetime() -> timedelta:
    """How long a new token lives (``API_TOKEN_HOURS``, default 12)."""
    return timedelta(hours=float(current_app.config.get("API_TOKEN_HOURS", DEFAULT_TOKEN_HOURS)))


def issue_token(user: User) -> IssuedToken:
    """Create a token for an authenticated user (caller commits). Also drops the user's expired tokens
    so that the table does not grow without a cleanup job."""
    now = utcnow()
    purge_expired_tokens(user, now)
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=now,
                   expires_at=now + token_lifetime())
    db.session.add(row)
    db.session.flush()
    log_operation(user, "api.token.issue", target=user.username,
                  detail={"token_id": row.id, "expires_at": row.expires_at.isoformat(timespec="seconds")})
    return IssuedToken(token=token, expires_at=row.expires_at, row=row)


def user_for_token(token: str) -> tuple[User, ApiToken]:
    """The account and token row for a presented token; raises TokenError if it cannot be used.

    Updates ``last_used_at`` at most once a minute (caller commits).
    """
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        raise TokenError("访问令牌无效或已撤销")
    now = utcnow()
    if row.expires_at <= now:
        raise TokenError("访问令牌已过期，请重新获取")
    user = row.user
    if not user.is_active:
        # Disabling an account must cut off its tokens at once, not after they expire.
        raise TokenError("账号已停用或未激活")
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        row.last_used_at = now
    return user, row


def revoke_token(row: ApiToken, actor: User) -> None:
    """Revoke one token (caller commits)."""
    log_operation(actor, "api.token.revoke", target=row.user.username, detail={"token_id": row.id})
    db.session.delete(row)


def revoke_user_tokens(user: User, actor=None) -> int:
    """Revoke every token of an account, e.g. after a password reset or when it is disabled
    (caller commits); returns how many were revoked."""
    count = db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount or 0
    if count:
        log_operation(actor, "api.token.revoke_all", target=user.username, detail={"count": count})
    return count


def purge_expired_tokens(user: User | None = None, now: datetime | None = None) -> int:
    """Delete expired tokens (of one user, or of everybody); returns how many were deleted."""
    stmt = sa.delete(ApiToken).where(ApiToken.expires_at <= (now or utcnow()))
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return db.session.execute(stmt).rowcount or 0

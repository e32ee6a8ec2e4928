"""Accounts: creation, authentication with lockout."""
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.auth.passwords import hash_password, password_problem, verify_password
from app.events.services import log_operation
from app.extensions import db
from app.timeutil import utcnow

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


class AccountError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


def find_user(username: str) -> User | None:
    """The account with this login name (ID number, X upper-cased), or None."""
    return db.session.scalar(sa.select(User).where(User.username == (username or "").strip().upper()))


def create_user(*, username: str, name: str, role: str, org, phone: str = "", password: str | None = None,
                id_number: str | None = None, actor=None) -> User:
    """Create an account; with a password it is active at once (operator CLI, seeding)."""
    username = username.strip().upper()
    if find_user(username):
        raise AccountError("该用户名已存在")
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)
    user = User(username=username, name=name, id_number=(id_number or username).upper(), phone=phone,
                role=role, org=org, org_id=org.id,
                password_hash=hash_password(password) if password else None,
                activated=password is not None)
    db.session.add(user)
    db.session.flush()
    log_operation(actor, "account.create", target=username, detail={"role": role, "org_id": org.id})
    return user


def authenticate(username: str, password: str) -> tuple[User | None, str | None]:
    """Check a login; returns (user, None) or (None, message). Five failures lock for 15 minutes."""
    user = find_user(username)
    now = utcnow()
    if user is None:
        log_operation(None, "login.failed", target=(username or "")[:32], detail={"reason": "unknown"})
        return None, "用户名或密码错误"
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        log_operation(user, "login.failed", target=user.username, detail={"reason": "locked"})
        return None, f"账号已锁定，请{minutes}分钟后再试"
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            log_operation(user, "login.locked", target=user.username)
            return None, f"密码连续错误{MAX_FAILED_LOGINS}次，账号已锁定{LOCK_MINUTES}分钟"
        log_operation(user, "login.failed", target=user.username, detail={"reason": "password"})
        return None, f"用户名或密码错误（还可尝试{MAX_FAILED_LOGINS - user.failed_logins}次）"
    if not user.activated:
        return None, "账号尚未激活，请使用授权码激活"
    if user.disabled:
        return None, "账号已停用"
    user.failed_logins = 0
    user.locked_until = None
    log_operation(user, "login", target=user.username)
    return user, None


def set_password(user: User, password: str, actor=None) -> None:
    """Replace a password (policy enforced) and lift any lock."""
    if problem := password_problem(password):
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.activated = True
    log_operation(actor, "account.password_reset", target=user.username)

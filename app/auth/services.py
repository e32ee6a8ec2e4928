"""Accounts: creation by the 安全员, authorisation codes, activation, password reset, login with lockout."""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from forms.validators import normalize_id_number

from app.auth.attempts import claim_attempt, update_row
from app.auth.models import User
from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.roles import ROLE_LEVEL, role_label
from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import Organisation
from app.scope import org_in_scope, select_in_scope
from app.sms.services import SmsCodeError, check_code, issue_code, send_sms, use_code
from app.timeutil import utcnow

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
LOGIN_FAILED = (f"用户名或密码错误。连续错误{MAX_FAILED_LOGINS}次账号将锁定{LOCK_MINUTES}分钟，"
                "锁定期间可通过“忘记密码”重置密码解锁")
_DUMMY_HASHES: dict[str, str] = {}
AUTH_CODE_DAYS = 7
AUTH_CODE_LENGTH = 8
MAX_ACTIVATION_FAILURES = 5
# Roles that do not handle the procedure and so fit an organisation of any level.
STAFF_ROLES = ("security_officer", "designer", "auditor")
_AUTH_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXY3456789"  # no 0/O, 1/I/L, 2/Z: the code is read off a phone

ACTIVATION_SMS = "您的账号激活验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。"
RESET_SMS = "您正在找回登录密码，验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。"


class AccountError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


class FieldError(AccountError):
    """An AccountError that belongs beside one form field, named by ``field``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def find_user(username: str) -> User | None:
    """The account with this login name (an ID number, normalised as R17 reads it: ASCII digits, X
    upper-cased), or None."""
    return db.session.scalar(sa.select(User).where(User.username == normalize_id_number(username or "")))


def create_user(*, username: str, name: str, role: str, org, phone: str = "", password: str | None = None,
                id_number: str | None = None, actor=None) -> User:
    """Create an account; with a password it is active at once (operator CLI, seeding)."""
    username = normalize_id_number(username)
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
    """Check a login; returns (user, None) or (None, LOGIN_FAILED).

    Five failures lock the account for 15 minutes. Each attempt is counted before the password is
    evaluated (``claim_attempt``), so parallel guesses cannot get more than five evaluations; a locked
    account refuses even the right password. An unknown account, a wrong password and a lock get the same
    answer (and an unknown account costs the same hashing time), so the page does not tell which
    accounts exist. The caller must keep the request's writes when it refuses (``keep_on_error``).
    """
    user = find_user(username)
    if user is None:
        verify_password(_dummy_hash(), password)
        log_operation(None, "login.failed", target=(username or "")[:32], detail={"reason": "unknown"})
        return None, LOGIN_FAILED
    now = utcnow()
    # An expired lock is lifted first; both statements are single conditional UPDATEs.
    update_row(User, user.id, User.locked_until <= now, failed_logins=0, locked_until=None)
    attempt = claim_attempt(User.failed_logins, user.id, MAX_FAILED_LOGINS, User.locked_until.is_(None), values={
        User.locked_until: sa.case((User.failed_logins + 1 >= MAX_FAILED_LOGINS,
                                    now + timedelta(minutes=LOCK_MINUTES)), else_=None)})
    if attempt is None:
        log_operation(user, "login.failed", target=user.username, detail={"reason": "locked"})
        return None, LOGIN_FAILED
    if not verify_password(user.password_hash, password):
        log_operation(user, "login.locked" if attempt >= MAX_FAILED_LOGINS else "login.failed",
                      target=user.username, detail={"reason": "password", "attempt": attempt})
        return None, LOGIN_FAILED
    if not user.activated:
        return None, "账号尚未激活，请使用授权码激活"
    if user.disabled:
        return None, "账号已停用"
    user.failed_logins = 0
    user.locked_until = None
    log_operation(user, "login", target=user.username)
    return user, None


def _dummy_hash() -> str:
    # A hash of the configured method, so that a login to an unknown account takes as long as a real one.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_hex(8))
    return _DUMMY_HASHES[method]


def end_sessions(user: User) -> None:
    """End every login session the account holds (they carry the old session epoch)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def set_password(user: User, password: str, actor=None, action: str = "account.password_reset") -> None:
    """Replace a password (policy enforced), lift any lock, and end the account's sessions and API tokens."""
    if problem := password_problem(password):
        raise FieldError("password", problem)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.activated = True
    end_sessions(user)
    log_operation(actor, action, target=user.username)
    _revoke_api_tokens(user, actor)


# --- account management by the 安全员 ---------------------------------------------------------

def account_orgs(actor) -> list[Organisation]:
    """Organisations in the actor's subtree that can hold accounts (党小组 have no admin), by path."""
    return list(db.session.scalars(select_in_scope(Organisation, actor).where(Organisation.level != "group")
                                   .order_by(Organisation.path)))


def roles_for_org(org: Organisation) -> list[str]:
    """Roles an account at ``org`` may hold: the admin role of the org's level, and the staff roles."""
    return [role for role, level in ROLE_LEVEL.items() if level == org.level] + list(STAFF_ROLES)


def accounts_page(actor, page: int, query: str = ""):
    """Accounts in the actor's subtree, newest first, filtered by name or ID number; one page of them."""
    stmt = select_in_scope(User, actor).order_by(User.created_at.desc(), User.id.desc())
    if query := (query or "").strip():
        stmt = stmt.where(sa.or_(User.name.contains(query, autoescape=True),
                                 User.username.contains(query.upper(), autoescape=True)))
    return db.paginate(stmt, page=page, per_page=current_app.config.get("PAGE_SIZE", 20), error_out=False)


def create_account(actor, *, name: str, id_number: str, phone: str, org: Organisation, role: str) -> User:
    """Open an account waiting for activation and send its authorisation code to the holder's phone."""
    if not org_in_scope(org, actor):
        raise FieldError("org_id", "只能在本单位及下级组织中开通账号")
    if role not in roles_for_org(org):
        raise FieldError("role", f"{role_label(role)}不能设在{org.level_label}，请选择与组织层级相符的角色")
    if find_user(id_number):
        raise FieldError("id_number", "该身份证号已开通账号")
    user = create_user(username=id_number, name=name.strip(), role=role, org=org, phone=phone, actor=actor)
    issue_auth_code(user, actor)
    return user


def issue_auth_code(user: User, actor) -> None:
    """Give a not-yet-activated account a fresh authorisation code (valid 7 days) and text it to its phone.

    Only the hash is kept; a new code voids the previous one and resets the failure count.
    """
    if user.activated:
        raise AccountError("该账号已激活，无需授权码；忘记密码请使用“忘记密码”找回")
    if user.disabled:
        raise AccountError("该账号已停用，请先启用")
    code = "".join(secrets.choice(_AUTH_CODE_ALPHABET) for _ in range(AUTH_CODE_LENGTH))
    user.auth_code_hash = hash_password(code)
    user.auth_code_expires = utcnow() + timedelta(days=AUTH_CODE_DAYS)
    user.auth_code_failures = 0
    send_sms(user.phone, f"您的授权码为{code}，{AUTH_CODE_DAYS}天内有效，请在“用户激活”页面完成账号激活。",
             "auth_code", org_path=user.org.path, secret=code)
    log_operation(actor, "account.code_issued", target=user.username,
                  detail={"expires": user.auth_code_expires.isoformat(timespec="seconds")})


def set_disabled(user: User, disabled: bool, actor) -> None:
    """Disable an account (it can no longer log in, and its sessions end) or enable it again."""
    if user.id == actor.id:
        raise AccountError("不能停用或启用自己的账号")
    if user.disabled == disabled:
        return
    user.disabled = disabled
    # Both ways end the sessions: a cookie from before the account was disabled must not come back to life.
    end_sessions(user)
    log_operation(actor, "account.disable" if disabled else "account.enable", target=user.username)
    if disabled:
        _revoke_api_tokens(user, actor)


# --- activation and password reset (not logged in) ----------------------------------------------

def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else phone


def request_activation_code(phone: str) -> None:
    """Text an activation code if an account waiting for activation has this phone.

    The caller answers the same whether or not a message went out, so phones cannot be probed.
    """
    user = db.session.scalar(sa.select(User).where(User.phone == phone, User.activated.is_(False),
                                                   User.disabled.is_(False)).order_by(User.id).limit(1))
    issue_code(phone, "activate", ACTIVATION_SMS, deliver=user is not None,
               org_path=user.org.path if user else "")
    log_operation(None, "sms.code_requested", target=_mask_phone(phone),
                  detail={"purpose": "activate", "account": user.username if user else None})


def _check_sms_code(phone: str, purpose: str, code: str):
    try:
        return check_code(phone, purpose, code)
    except SmsCodeError as exc:
        raise FieldError("sms_code", str(exc)) from None


def _use_sms_code(code_row) -> None:
    try:
        use_code(code_row)
    except SmsCodeError as exc:
        raise FieldError("sms_code", str(exc)) from None


def _activation_failed(user: User, attempt: int, field: str, message: str) -> FieldError:
    # Counted per account (not per SMS code), so guessing across many SMS codes still hits the limit.
    left = MAX_ACTIVATION_FAILURES - attempt
    if left > 0:
        log_operation(None, "activation.failed", target=user.username, detail={"field": field})
        return FieldError(field, f"{message}（还可尝试{left}次）")
    user.auth_code_hash = None
    user.auth_code_expires = None
    log_operation(None, "activation.code_voided", target=user.username, detail={"field": field})
    return FieldError(field, f"{message}；错误次数过多，授权码已作废，请联系安全员重新发放")


def activate_account(*, phone: str, sms_code: str, auth_code: str, password: str, name: str,
                     id_number: str) -> User:
    """Activate an account with SMS code + authorisation code + name and ID number; set its password.

    Raises FieldError naming the field at fault. Failure counts are written, so the caller keeps the
    request's writes when it refuses (``keep_on_error``).
    """
    code_row = _check_sms_code(phone, "activate", sms_code)
    user = find_user(id_number)
    if user is None or user.phone != phone:
        raise FieldError("id_number", "身份证号与安全员开通的账号信息不符")
    if user.disabled:
        raise FieldError("id_number", "该账号已停用，请联系安全员")
    if user.activated:
        raise FieldError("id_number", "该账号已激活，请直接登录")
    if not user.auth_code_hash:
        raise FieldError("auth_code", "授权码已作废，请联系安全员重新发放")
    if user.auth_code_expires is None or user.auth_code_expires <= utcnow():
        raise FieldError("auth_code", "授权码已过期，请联系安全员重新发放")
    # Counted before the code is compared, so parallel guesses get at most MAX_ACTIVATION_FAILURES looks.
    attempt = claim_attempt(User.auth_code_failures, user.id, MAX_ACTIVATION_FAILURES,
                            User.auth_code_hash.is_not(None))
    if attempt is None:
        raise FieldError("auth_code", "授权码错误次数过多，已作废，请联系安全员重新发放")
    if (name or "").strip() != user.name:
        raise _activation_failed(user, attempt, "name", "姓名与安全员开通的账号信息不符")
    if not verify_password(user.auth_code_hash, (auth_code or "").strip().upper()):
        raise _activation_failed(user, attempt, "auth_code", "授权码错误")
    _use_sms_code(code_row)
    user.auth_code_hash = None
    user.auth_code_expires = None
    user.auth_code_failures = 0
    set_password(user, password, actor=user, action="account.activate")
    return user


def request_reset_code(username: str, phone: str) -> None:
    """Text a password-reset code if an active account has this login name and phone; answer alike otherwise."""
    user = find_user(username)
    match = user is not None and user.phone == phone and user.activated and not user.disabled
    issue_code(phone, "reset", RESET_SMS, deliver=match, org_path=user.org.path if match else "")
    log_operation(None, "sms.code_requested", target=_mask_phone(phone),
                  detail={"purpose": "reset", "account": user.username if match else None})


def reset_password(*, username: str, phone: str, sms_code: str, password: str) -> User:
    """Set a new password after the SMS code sent to the account's phone is confirmed; lifts any lock."""
    code_row = _check_sms_code(phone, "reset", sms_code)
    user = find_user(username)
    if user is None or user.phone != phone or not user.activated:
        raise FieldError("username", "用户名与手机号码不匹配")
    if user.disabled:
        raise FieldError("username", "该账号已停用，请联系安全员")
    _use_sms_code(code_row)
    set_password(user, password, actor=user)
    return user


def _revoke_api_tokens(user: User, actor) -> None:
    # A new password or a disabled account ends every API token issued before it.
    from app.api.services import revoke_user_tokens
    revoke_user_tokens(user, actor)

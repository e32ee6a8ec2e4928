"""Sending SMS through a pluggable sender, and one-time SMS verification codes.

The sender is chosen by the ``SMS_SENDER`` setting: a name registered with ``register_sender`` or a
``package.module:factory`` path, so that a real gateway plugs in without touching this module. The
default "outbox" sender delivers nowhere: in development the text (with its code) goes to the server log
only. Whatever the sender, the ``sms_message`` row keeps the text with the code masked, and the
安全员's 短信发件箱 page shows recipient, purpose, time and status, never a text: a code sent to another
account's phone is never readable through the application.
"""
import hashlib
import hmac
import importlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from app.auth.attempts import claim_attempt, update_row
from app.extensions import db
from app.scope import select_in_scope
from app.sms.models import SmsCode, SmsMessage
from app.timeutil import utcnow

CODE_MINUTES = 5
RESEND_SECONDS = 60
MAX_CODE_ATTEMPTS = 5

PURPOSE_LABELS = {"auth_code": "授权码", "activate": "激活验证码", "reset": "找回密码验证码"}


STATUS_LABELS = {"sent": "已发送", "logged": "未发送（开发模式，仅写入服务器日志）", "failed": "发送失败"}


class SmsSender(Protocol):
    """What a sender provides: ``send`` hands one message to the gateway and raises if it was not accepted.
    ``delivers`` is False for a sender that only logs (development)."""
    delivers: bool

    def send(self, phone: str, text: str) -> None: ...


_SENDERS: dict[str, Callable[[], SmsSender]] = {}


def register_sender(name: str):
    """Decorator: make a sender class (or factory) available under ``name`` for ``SMS_SENDER``."""
    def decorate(factory):
        _SENDERS[name] = factory
        return factory
    return decorate


@register_sender("outbox")
class OutboxSender:
    """Delivers nowhere: the text goes to the server log (development, demonstrations)."""
    delivers = False

    def send(self, phone: str, text: str) -> None:
        current_app.logger.info("SMS (outbox, not delivered) to %s: %s", phone, text)


def sender_name() -> str:
    """The configured sender's name."""
    return current_app.config.get("SMS_SENDER") or "outbox"


def get_sender(name: str | None = None) -> SmsSender:
    """A sender instance for ``name`` (default: the configured one)."""
    name = name or sender_name()
    factory = _SENDERS.get(name)
    if factory is None and ":" in name:
        module, _, attribute = name.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
    if factory is None:
        # A misspelt setting must fail loudly rather than silently drop codes.
        raise RuntimeError(f"SMS_SENDER {name!r} is neither registered nor a module:factory path")
    return factory()


def send_sms(phone: str, text: str, purpose: str, *, org_path: str = "", secret: str | None = None) -> SmsMessage:
    """Send ``text`` to ``phone`` through the configured sender and record it in the outbox.

    ``org_path`` is the recipient account's organisation (it scopes the outbox page); ``secret`` is the
    code inside the text, masked in the stored copy. A gateway refusal is logged and recorded as 发送失败
    (the user asks again), not turned into an error page.
    """
    name = sender_name()
    sender = get_sender(name)
    try:
        sender.send(phone, text)
    except Exception:  # noqa: BLE001  (any gateway failure: the row says so, the log has the details)
        current_app.logger.exception("SMS sender %s failed for %s", name, phone)
        status = "failed"
    else:
        status = "sent" if getattr(sender, "delivers", True) else "logged"
    stored = text.replace(secret, "*" * len(secret)) if secret else text
    message = SmsMessage(phone=phone, text=stored, purpose=purpose, sender=name, org_path=org_path,
                         status=status, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


class SmsCodeError(ValueError):
    """A verification code was refused or cannot be sent yet; the message is for the user."""


def _code_hash(phone: str, purpose: str, code: str) -> str:
    # Keyed with the app secret: six digits are a million guesses away from any unkeyed hash.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _latest_code(phone: str, purpose: str) -> SmsCode | None:
    return db.session.scalar(sa.select(SmsCode).where(SmsCode.phone == phone, SmsCode.purpose == purpose)
                             .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).limit(1))


def issue_code(phone: str, purpose: str, text: str, *, deliver: bool, org_path: str = "") -> SmsCode:
    """Make a fresh 6-digit code for (phone, purpose), valid 5 minutes, and send it only if ``deliver``.

    ``text`` holds ``{code}`` and ``{minutes}``. The row is written either way, so the one-a-minute
    throttle behaves the same for phones with and without an account.
    """
    now = utcnow()
    last = _latest_code(phone, purpose)
    if last is not None:
        wait = RESEND_SECONDS - int((now - last.created_at).total_seconds())
        if wait > 0:
            raise SmsCodeError(f"验证码发送过于频繁，请{wait}秒后再试")
    code = f"{secrets.randbelow(10 ** 6):06d}"
    row = SmsCode(phone=phone, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
                  expires_at=now + timedelta(minutes=CODE_MINUTES), created_at=now)
    db.session.add(row)
    db.session.flush()
    if deliver:
        send_sms(phone, text.format(code=code, minutes=CODE_MINUTES), purpose, org_path=org_path, secret=code)
    return row


def check_code(phone: str, purpose: str, code: str) -> SmsCode:
    """The phone's latest code for ``purpose`` if ``code`` matches it; else SmsCodeError.

    Only the latest code counts (asking again voids the previous one). Every entry is counted before it
    is compared (one conditional UPDATE), so of any number of parallel guesses at most five are compared;
    five wrong ones void the code. The count is written, so the caller keeps the request's writes when it refuses.
    """
    row = _latest_code(phone, purpose)
    if row is None or row.used_at is not None:
        raise SmsCodeError("请先获取短信验证码")
    if row.expires_at <= utcnow():
        raise SmsCodeError("短信验证码已过期，请重新获取")
    attempt = claim_attempt(SmsCode.attempts, row.id, MAX_CODE_ATTEMPTS, SmsCode.used_at.is_(None))
    if attempt is None:
        raise SmsCodeError("短信验证码错误次数过多，请重新获取")
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, (code or "").strip())):
        left = MAX_CODE_ATTEMPTS - attempt
        raise SmsCodeError(f"短信验证码错误（还可尝试{left}次）" if left else "短信验证码错误次数过多，请重新获取")
    # The right code gives its slot back (this transaction holds the row), so only wrong entries use it up.
    update_row(SmsCode, row.id, attempts=SmsCode.attempts - 1)
    return row


def use_code(row: SmsCode) -> None:
    """Mark a checked code as used, so it cannot serve a second time (a concurrent use loses: SmsCodeError)."""
    if update_row(SmsCode, row.id, SmsCode.used_at.is_(None), used_at=utcnow()) != 1:
        raise SmsCodeError("短信验证码已使用，请重新获取")


def resend_wait(phone: str, purpose: str) -> int:
    """Seconds until another code may be requested for (phone, purpose); 0 if now."""
    last = _latest_code(phone, purpose) if phone else None
    if last is None:
        return 0
    return max(0, RESEND_SECONDS - int((utcnow() - last.created_at).total_seconds()))


def outbox_page(actor, page: int):
    """The messages sent to accounts in the actor's subtree, newest first, one page of them."""
    stmt = select_in_scope(SmsMessage, actor).order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
    return db.paginate(stmt, page=page, per_page=current_app.config.get("PAGE_SIZE", 20), error_out=False)

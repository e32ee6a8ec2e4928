"""Login captcha drawn locally (no external service), kept on the server.

The session holds only the random id of a ``captcha_challenge`` row; the answer never leaves the server.
The first answer spends the challenge (one conditional DELETE, so two requests cannot both use it), and
a challenge expires after CAPTCHA_MINUTES. A replayed cookie therefore answers nothing.
"""
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from captcha.image import ImageCaptcha
from flask import current_app, session

from app.auth.models import CaptchaChallenge
from app.extensions import db
from app.timeutil import utcnow
from app.transaction import keep_on_error

CAPTCHA_MINUTES = 5
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXY3456789"  # no 0/O, 1/I/L, 2/Z look-alikes
_SESSION_KEY = "captcha_id"


def new_captcha() -> bytes:
    """Make a fresh 4-character captcha for this session and return the PNG bytes.

    Replaces the session's previous challenge and sweeps expired ones, so the table stays small.
    """
    now = utcnow()
    stale = sa.or_(CaptchaChallenge.expires_at <= now, CaptchaChallenge.id == session.get(_SESSION_KEY, ""))
    db.session.execute(sa.delete(CaptchaChallenge).where(stale), execution_options={"synchronize_session": False})
    answer = "".join(secrets.choice(_ALPHABET) for _ in range(4))
    challenge = CaptchaChallenge(id=secrets.token_urlsafe(32), answer=answer,
                                 expires_at=now + timedelta(minutes=CAPTCHA_MINUTES))
    db.session.add(challenge)
    db.session.flush()
    session[_SESSION_KEY] = challenge.id
    return ImageCaptcha(width=120, height=44).generate(answer).getvalue()


def check_captcha(value: str) -> bool:
    """True if ``value`` answers this session's captcha, unexpired; the challenge is spent either way.

    Spending it is kept even when the request is refused (``keep_on_error``), so it cannot be tried again.
    """
    challenge_id = session.pop(_SESSION_KEY, None)
    if not challenge_id:
        return False
    keep_on_error()
    answer = db.session.execute(
        sa.delete(CaptchaChallenge).where(CaptchaChallenge.id == challenge_id,
                                          CaptchaChallenge.expires_at > utcnow())
        .returning(CaptchaChallenge.answer), execution_options={"synchronize_session": False}).scalar()
    return bool(answer) and hmac.compare_digest(answer.upper(), (value or "").strip().upper())


def test_answer() -> str | None:
    """The current answer, only when the test hook is configured on (never in production)."""
    if not current_app.config.get("CAPTCHA_TEST_HOOK"):
        return None
    challenge_id = session.get(_SESSION_KEY)
    return db.session.scalar(sa.select(CaptchaChallenge.answer).where(CaptchaChallenge.id == challenge_id)) \
        if challenge_id else None

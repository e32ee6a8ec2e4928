"""Login captcha drawn locally (no external service); the answer lives in the signed session."""
import hmac
import secrets

from captcha.image import ImageCaptcha
from flask import current_app, session

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXY3456789"  # no 0/O, 1/I/L, 2/Z look-alikes


def new_captcha() -> bytes:
    """Make a fresh 4-character captcha, remember its answer, and return the PNG bytes."""
    answer = "".join(secrets.choice(_ALPHABET) for _ in range(4))
    session["captcha"] = answer
    return ImageCaptcha(width=120, height=44).generate(answer).getvalue()


def check_captcha(value: str) -> bool:
    """True if ``value`` matches the current answer; each answer can be used once."""
    answer = session.pop("captcha", None)
    return bool(answer) and hmac.compare_digest(answer.upper(), (value or "").strip().upper())


def test_answer() -> str | None:
    """The current answer, only when the test hook is configured on (never in production)."""
    if not current_app.config.get("CAPTCHA_TEST_HOOK"):
        return None
    return session.get("captcha")

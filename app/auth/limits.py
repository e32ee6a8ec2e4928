"""Request rate limits of the sign-in endpoints (Flask-Limiter), per client address and per account.

Counters live in ``RATELIMIT_STORAGE_URI``: process memory by default (one server), Redis
(``redis://host:6379/0``) when several servers must share them. Behind a reverse proxy the client address
is the proxy's unless the proxy's ``X-Forwarded-For`` is trusted (``TRUSTED_PROXIES``, see create_app).

Login page and API token share their counters (scope "login"), so the two doors cannot be used to double
an attacker's budget. The account key is the login name (or phone) from the request body: guessing one
account's password from many addresses is held by the per-account limit, and one address trying many
accounts (or locking them) by the per-address limit.
"""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def _configured(name: str):
    # The limit text is read per request, so tests and deployments can change it in the configuration.
    return lambda: current_app.config[name]


def _body_value(*names: str) -> str:
    """The first of ``names`` found in the form or the (small) JSON body, normalised; "" if none."""
    for name in names:
        value = request.form.get(name)
        if value is None and request.is_json and (request.content_length or 0) <= 4096:
            try:
                body = request.get_json(silent=True)
            except RecursionError:
                body = None
            value = body.get(name) if isinstance(body, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip().upper()[:64]
    return ""


def account_key() -> str:
    """The account a sign-in request names (login name or phone), for per-account limits."""
    return "account:" + _body_value("username", "id_number", "phone")


def _post_only() -> bool:
    return request.method != "POST"


def login_limits(view):
    """Per address and per account limits of the login page and the API token endpoint (POST only)."""
    view = limiter.shared_limit(_configured("LOGIN_LIMIT_PER_ACCOUNT"), scope="login-account",
                                key_func=account_key, exempt_when=_post_only)(view)
    return limiter.shared_limit(_configured("LOGIN_LIMIT_PER_IP"), scope="login-ip",
                                exempt_when=_post_only)(view)


def code_limits(view):
    """Per address and per account (phone / login name) limits of the activation and 忘记密码 pages (POST:
    sending SMS codes and submitting them)."""
    view = limiter.shared_limit(_configured("CODE_LIMIT_PER_ACCOUNT"), scope="code-account",
                                key_func=account_key, exempt_when=_post_only)(view)
    return limiter.shared_limit(_configured("CODE_LIMIT_PER_IP"), scope="code-ip", exempt_when=_post_only)(view)


def captcha_limit(view):
    """Per address limit of captcha images (each is a row on the server)."""
    return limiter.limit(_configured("CAPTCHA_LIMIT_PER_IP"))(view)

"""The page's CSRF token, signed once per session and worker instead of on every page.

Flask-WTF keeps a random token in the session and puts a signed copy of it in every form and page (itsdangerous:
JSON, base64, a timestamp, an HMAC), signing it anew on each request that renders one: nearly every page. Here the
token never expires (``WTF_CSRF_TIME_LIMIT`` None, app/config.py), so its timestamp decides nothing and the copy
signed for one page is as valid for the next: the worker remembers the signed copy by (key, session token) and
hands it to Flask-WTF before the view runs, in ``g.csrf_token``, where Flask-WTF keeps the request's token and
looks first. What a POST must carry is unchanged and checked by Flask-WTF alone: a valid signature, under the
app's key, of the token in this session (a login renews it, see ``auth.views._renew_session``). Only a request
whose session holds the token is handed its copy. With a time limit configured nothing is remembered, since the
timestamp then matters.
"""
from flask import Flask, current_app, g, session

from app.lru import LRU

# (signing key, session token) → the signed copy. A cache only: each worker keeps its own, bounded, and a
# worker that has none signs a copy as Flask-WTF always did.
_SIGNED = LRU(10_000)


def _key(config) -> tuple | None:
    if config["WTF_CSRF_TIME_LIMIT"] is not None:
        return None
    token = session.get(config["WTF_CSRF_FIELD_NAME"])
    if not isinstance(token, str):
        return None
    return config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, token


def _reuse_signed_copy() -> None:
    config = current_app.config
    key = _key(config)
    if key is not None:
        signed = _SIGNED.get(key)
        if signed is not None:
            setattr(g, config["WTF_CSRF_FIELD_NAME"], signed)


def _remember_signed_copy(response):
    config = current_app.config
    signed = g.get(config["WTF_CSRF_FIELD_NAME"])
    if signed is not None:
        # The copy in g signs the session's current token: Flask-WTF sets a new session token only when g holds
        # none, and the login drops both together.
        key = _key(config)
        if key is not None and key not in _SIGNED:
            _SIGNED.put(key, signed)
    return response


def init_app(app: Flask) -> None:
    """Hand each request its session's signed token if this worker signed it before, and remember new ones."""
    app.before_request(_reuse_signed_copy)
    app.after_request(_remember_signed_copy)

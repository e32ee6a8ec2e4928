"""The login session's cookie: Flask's signed cookie, with its signing serializer built once per key and each
cookie's signature checked once per worker.

Flask builds a new ``URLSafeTimedSerializer`` (key list, signer settings) for every request that opens a
session and again for every response that saves one; the serializer holds no per-request state, so one per
secret key (and fallback keys) serves every request of the worker. The cookie itself is unchanged: written
only when the session changed (a login, a new CSRF token, a flashed message and the page that shows it).

A browser sends the same cookie with every request until the session changes, and Flask checks its signature and
decodes it (HMAC, base64, JSON) each time. The result depends only on the cookie's text, the keys and the
clock, so the worker remembers it by the text and the serializer (a new key builds a new one): a cookie seen
before opens without the HMAC, its age checked against the session lifetime as itsdangerous checks it; a
cookie never seen, changed by one character or signed with another key takes Flask's path. Only sessions of
plain values (text, numbers) are remembered: each request gets its own copy of them, and a list (flashed
messages) could be changed in place.
"""
import time

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from app.lru import LRU

# (cookie text) → (serializer, the session's values, signed at): a cache, each worker its own, bounded (a
# forgotten cookie is checked again once).
_OPENED = LRU(10_000)
_PLAIN = (str, int, float, bool, type(None))


class SessionCookieInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session; the serializer is rebuilt only when the keys change."""

    def __init__(self):
        self._serializer = (None, None)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached_keys, serializer = self._serializer
        if cached_keys != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)   # one assignment: threads see the old pair or the new one
        return serializer

    def open_session(self, app: Flask, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = _OPENED.get(text)
        if known is not None and known[0] is serializer and 0 <= int(time.time()) - known[2] <= max_age:
            return self.session_class(known[1])
        try:
            values, signed_at = serializer.loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(values, dict) and all(type(v) in _PLAIN for v in values.values()):
            _OPENED.put(text, (serializer, values, int(signed_at.timestamp())))
        return self.session_class(values)

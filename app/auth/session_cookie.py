"""The login session's cookie: Flask's signed cookie, with its signing serializer built once per key.

Flask builds a new ``URLSafeTimedSerializer`` (key list, signer settings) for every request that opens a
session and again for every response that saves one; the serializer holds no per-request state, so one per
secret key (and fallback keys) serves every request of the worker. The cookie itself is unchanged: written
only when the session changed (a login, a new CSRF token, a flashed message and the page that shows it).
"""
from flask import Flask
from flask.sessions import SecureCookieSessionInterface


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

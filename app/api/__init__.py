"""JSON API under /api/v1, authenticated with bearer tokens.

The blueprint is CSRF-exempt because it never trusts cookies: the session cookie is not even read
for /api/v1 requests (see ``app.api.auth``), so a cross-site form cannot act with a browser's login.

Adding endpoints: create a module (e.g. ``app/api/people.py``) that does ``from app.api import bp``,
defines routes on it, calls ``app.api.openapi.register_path`` for each of them, and add the module
to ``ENDPOINT_MODULES`` in ``app/api/views.py``. Every route requires a token unless decorated
with ``app.api.auth.public``.
"""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

"""Bearer-token authentication for every /api/v1 route.

One ``before_request`` hook on the API blueprint reads ``Authorization: Bearer <token>``, answers
401 JSON when it is missing, unknown, revoked or expired, and otherwise sets ``g.api_user``. The
Flask-Login ``request_loader`` returns that user, so ``flask_login.current_user`` (and therefore
services and the scope helpers) works exactly as on web pages; ``login_user`` is never called, so
no session is created.

Cookies are never trusted here: for /api/v1 paths the session cookie is not read (and no cookie is
written), which is what makes the blueprint's CSRF exemption safe.

For other engineers:
- routes need a token by default; mark an open route with ``@public``;
- which roles may call a route is the access policy's business (``app/access/routes.py``);
- ``api_user()`` returns the authenticated account (same object as ``current_user``).
"""

from flask import current_app, g, request
from flask.sessions import SecureCookieSession, SessionInterface
from flask_login import current_user

from app.api import bp
from app.api import services
from app.api.errors import api_error
from app.extensions import login_manager

API_PREFIX = bp.url_prefix


def public(view):
    """Mark a view as reachable without a token (token issue, the OpenAPI document)."""
    view.api_public = True
    return view


def api_user():
    """The account authenticated by the bearer token of this request."""
    user = g.get("api_user")
    if user is None:  # only reachable from a @public view, which must not need a user
        api_error(401)
    return user


def bearer_token() -> str | None:
    """The token text of ``Authorization: Bearer <token>``, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def is_api_path(path: str) -> bool:
    """True for paths served by the API blueprint."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def token_account(token: str):
    """The (account, token row) for ``token``, looked up once per request (the access hook asks first, this
    blueprint's hook again); raises TokenError like ``services.user_for_token``."""
    cached = g.get("_token_account")
    if cached is None or cached[0] != token:
        try:
            cached = (token, services.user_for_token(token), None)
        except services.TokenError as exc:
            cached = (token, None, exc)
        g._token_account = cached
    if cached[2] is not None:
        raise cached[2]
    return cached[1]


@bp.before_request
def _authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_public", False):
        return None
    token = bearer_token()
    if token is None:
        api_error(401, "缺少访问令牌，请在请求头中提供 Authorization: Bearer <令牌>")
    try:
        user, row = token_account(token)
    except services.TokenError as exc:
        api_error(401, str(exc))
    g.api_user, g.api_token = user, row
    # Something earlier in the request may already have resolved current_user (to anonymous);
    # dropping Flask-Login's per-request cache makes it resolve again through the request_loader.
    g.pop("_login_user", None)
    if current_user._get_current_object() is not user:
        # Only a remember-me cookie could win over the request_loader; never let a cookie decide who
        # acts through the API.
        api_error(401, "接口只接受访问令牌，不接受登录Cookie")
    return None


@login_manager.request_loader
def _load_api_user(_request):
    # Consulted by Flask-Login when the session has no user, which is always the case under /api/v1
    # (the session is not read there); returns None on web pages.
    return g.get("api_user")


class _ApiSession(SecureCookieSession):
    """The always-empty, never-saved session of an API request."""


class ApiSessionInterface(SessionInterface):
    """Wraps the app's session interface: for API paths the cookie is ignored and nothing is saved.

    Ignoring it (rather than rejecting requests that carry it) lets a browser page call the API
    with a token while its own session cookie is sent along.
    """

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def open_session(self, app, request):
        if is_api_path(request.path):
            return _ApiSession()
        return self.inner.open_session(app, request)

    def save_session(self, app, session, response):
        if isinstance(session, _ApiSession):
            return None
        return self.inner.save_session(app, session, response)

    def is_null_session(self, obj) -> bool:
        return self.inner.is_null_session(obj)

    def make_null_session(self, app):
        return self.inner.make_null_session(app)


@bp.record_once
def _install_session_interface(state) -> None:
    app = state.app
    if not isinstance(app.session_interface, ApiSessionInterface):
        app.session_interface = ApiSessionInterface(app.session_interface)

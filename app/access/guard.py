"""The one mechanism that applies the policy: a hook before every request of every blueprint.

It looks up the right the endpoint needs (``routes.needed``) and asks the policy whether the requester's role
holds it. A route the table does not name is refused for everyone, so a new route is closed until someone
decides who may use it. Answers: anonymous → the login page (pages) or 401 (API, from the API's own token
check); a role without the right → 403 (HTML page, or JSON under /api/v1). Scope (which objects) is decided
later, in the view, by ``app/scope.py``.
"""
from flask import Flask, abort, request
from flask_login import current_user

from app.access import policy
from app.access.routes import needed
from app.api.auth import bearer_token, is_api_path, token_account
from app.api.services import TokenError
from app.extensions import login_manager


def requester():
    """The account making this request: the API bearer token's owner under /api/v1, else the session's user."""
    if is_api_path(request.path):
        token = bearer_token()
        if token is None:
            return None
        try:
            return token_account(token)[0]
        except TokenError:
            return None
    return current_user if current_user.is_authenticated else None


def check_request():
    """before_request hook: refuse the request unless the policy grants its route's right to the requester."""
    if request.endpoint is None:
        return None  # no route matched: the 404/405 handlers answer
    key = needed(request.endpoint, request.method)
    if key is None:
        abort(403)
    if policy.right(*key).public:
        return None
    user = requester()
    if user is None:
        if is_api_path(request.path):
            return None  # the API blueprint's token check answers 401 with its message
        return login_manager.unauthorized()
    if not policy.role_may(user.role, *key):
        abort(403)
    return None


def may_visit(user, endpoint: str, method: str = "GET") -> bool:
    """True if ``user`` may request ``endpoint`` (for links and menus; objects are still scoped)."""
    key = needed(endpoint, method)
    return key is not None and policy.allows(user, *key)


def init_app(app: Flask) -> None:
    """Install the hook on the app (before every blueprint's own hooks)."""
    app.before_request(check_request)

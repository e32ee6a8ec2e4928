"""Auditors read everything in their scope and change nothing.

One hook before every request refuses (403) any state-changing method from an auditor, on web pages
and on the API alike, so a route added later cannot forget the rule. Logging in and out, and issuing
or revoking the auditor's own API token, stay open: they change no record.
"""
from flask import abort, request
from flask_login import current_user

AUDITOR = "auditor"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints an auditor may POST to: their own session and API token only.
OPEN_ENDPOINTS = frozenset({"auth.login", "auth.logout", "api.issue_token", "api.revoke_token"})


def _requester():
    """The account making this request: the session's user, or the API bearer token's owner."""
    from app.api.auth import bearer_token, is_api_path
    from app.api.services import TokenError, user_for_token
    if is_api_path(request.path):
        token = bearer_token()
        if token is None:
            return None
        try:
            return user_for_token(token)[0]
        except TokenError:
            return None  # the API's own hook answers 401
    return current_user if current_user.is_authenticated else None


def refuse_auditor_writes():
    """before_request hook: 403 for an auditor's POST/PUT/PATCH/DELETE outside OPEN_ENDPOINTS."""
    if request.method in SAFE_METHODS or request.endpoint in OPEN_ENDPOINTS:
        return None
    user = _requester()
    if user is not None and user.role == AUDITOR:
        abort(403)
    return None

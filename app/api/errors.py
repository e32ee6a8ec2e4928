"""Error responses of the JSON API: ``{"error": "...", "fields": {"name": ["..."]}, "rule": "R05"}`` (``fields``
when the input was refused per field, ``rule`` when a rule of the procedure refused it).

Use ``api_error(status, message, fields=None)`` anywhere in an API request to stop with a JSON
error (it raises, like ``abort``). Plain ``abort(404)`` and uncaught exceptions also answer in JSON
under /api/ (``app.errors``), only without ``fields``.
"""
from typing import NoReturn

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.errors import MESSAGES
from app.transaction import CONFLICT_MESSAGE
from app.workflow.errors import Conflict

JSON_BODY_REQUIRED = "请求体须为JSON"


class ApiError(HTTPException):
    """An HTTP error with a Chinese message and optional per-field messages, rendered as JSON."""

    def __init__(self, status: int, message: str | None = None,
                 fields: dict[str, str | list[str]] | None = None, headers: dict | None = None,
                 rule: str | None = None):
        super().__init__(description=message or MESSAGES.get(status, "请求失败"))
        self.rule = rule
        # Set on the instance: the class must keep code None so Flask looks its handler up by class.
        self.code = status
        self.fields = normalise_fields(fields)
        self.headers = dict(headers or {})

    def get_response(self, environ=None, scope=None):
        """The JSON response for this error (also used by the error handler below)."""
        return error_response(self.code, self.description, self.fields, self.headers, self.rule)


def normalise_fields(fields: dict | None) -> dict[str, list[str]]:
    """``{"name": "msg"}`` or ``{"name": ["msg", ...]}`` (e.g. a WTForms ``form.errors``) → lists."""
    result = {}
    for name, messages in (fields or {}).items():
        if isinstance(messages, str):
            messages = [messages]
        elif isinstance(messages, dict):  # nested WTForms FormField errors: flatten with dotted names
            for sub, value in normalise_fields(messages).items():
                result[f"{name}.{sub}"] = value
            continue
        result[str(name)] = [str(m) for m in messages]
    return result


def error_response(status: int, message: str | None = None, fields: dict | None = None,
                   headers: dict | None = None, rule: str | None = None):
    """Build (without raising) the JSON error response used throughout the API; ``rule`` names the rule of the
    procedure (domain-rules.md) that refused the input, when one did."""
    body = {"error": message or MESSAGES.get(status, "请求失败")}
    fields = normalise_fields(fields)
    if fields:
        body["fields"] = fields
    if rule:
        body["rule"] = rule
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        # RFC 6750: tells clients which scheme to use.
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    response.headers.update(headers or {})
    return response


def api_error(status: int, message: str | None = None,
              fields: dict[str, str | list[str]] | None = None, rule: str | None = None) -> NoReturn:
    """Stop the request with a JSON error; ``message`` defaults to the standard one for ``status``."""
    raise ApiError(status, message, fields, rule=rule)


def refuse(exc) -> NoReturn:
    """Answer a refused action (a ``WorkflowError`` of any procedure): a lost race is 409 已被他人处理, a rule's
    refusal 422 with its per-field messages and ``rule``, anything else its own status and message."""
    if isinstance(exc, Conflict):
        api_error(409, CONFLICT_MESSAGE)
    api_error(exc.status, exc.message, exc.fields or None, rule=getattr(exc, "rule", None))


def json_body() -> dict:
    """The request's JSON object, or a 400 "请求体须为JSON" if the body is missing, malformed or not
    an object (so views never deal with ``None`` or lists by accident)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        api_error(400, JSON_BODY_REQUIRED)
    return data


@bp.app_errorhandler(ApiError)
def _render_api_error(exc: ApiError):
    # Registered app-wide (and more specific than app.errors' HTTPException handler) so that an
    # ApiError raised in a before_request or a shared service still renders with its fields.
    return exc.get_response()

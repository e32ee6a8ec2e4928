"""Foundation endpoints of /api/v1: token issue and revocation, the current account, the OpenAPI
document. Endpoint modules of other features are imported at the bottom (``ENDPOINT_MODULES``, "app.api.onboarding")."""
import importlib

from flask import g, jsonify

from app.api import bp
from app.api import auth as _auth  # noqa: F401  (registers the token check and the request_loader)
from app.api import services
from app.api.auth import api_user, public
from app.api.errors import api_error, json_body
from app.api.shapes import iso_utc, organisation_json
from app.api.openapi import build_spec, json_request, ref, register_path, register_schema, responses
from app.auth import services as auth_services
from app.auth.limits import login_limits
from app.transaction import keep_on_error

__all__ = ["bp"]


def user_json(user) -> dict:
    """The public fields of an account (never hashes, codes or lock state)."""
    return {"id": user.id, "username": user.username, "name": user.name, "role": user.role,
            "role_label": user.role_label, "organisation": organisation_json(user.org)}


@bp.post("/auth/token")
@public
@login_limits
def issue_token():
    """Exchange username and password for a bearer token (lockout rules as for the login page)."""
    data = json_body()
    fields = {}
    for name, label in (("username", "用户名"), ("password", "密码")):
        if not isinstance(data.get(name), str) or not data[name].strip():
            fields[name] = [f"请填写{label}"]
    if fields:
        api_error(422, "请填写用户名和密码", fields)
    user, message = auth_services.authenticate(data["username"], data["password"])
    if user is None:
        keep_on_error()  # the lockout counter and the operations log outlive the refusal
        api_error(401, message)
    issued = services.issue_token(user)
    response = jsonify(token=issued.token, token_type="Bearer", expires_at=iso_utc(issued.expires_at))
    # RFC 6749 §5.1: responses carrying credentials must not be cached.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/auth/token")
def revoke_token():
    """Revoke the token this request was made with."""
    services.revoke_token(g.api_token, api_user())
    return "", 204


@bp.get("/me")
def me():
    """The account the token belongs to."""
    return jsonify(user_json(api_user()))


@bp.get("/openapi.json")
@public
def openapi_document():
    """The OpenAPI 3.0 description of this API."""
    return jsonify(build_spec())


register_schema("TokenRequest", {
    "type": "object", "required": ["username", "password"],
    "properties": {"username": {"type": "string", "description": "登录名（身份证号）"},
                   "password": {"type": "string", "format": "password"}},
})
register_schema("Token", {
    "type": "object", "required": ["token", "token_type", "expires_at"],
    "properties": {"token": {"type": "string", "description": "访问令牌，仅此一次返回"},
                   "token_type": {"type": "string", "enum": ["Bearer"]},
                   "expires_at": {"type": "string", "format": "date-time", "description": "UTC"}},
})
register_schema("Me", {
    "type": "object", "required": ["id", "username", "name", "role", "role_label", "organisation"],
    "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "name": {"type": "string"},
                   "role": {"type": "string"}, "role_label": {"type": "string"},
                   "organisation": ref("Organisation")},
})
register_path("/auth/token", "post", {
    "summary": "获取访问令牌", "tags": ["认证"], "operationId": "issueToken",
    "description": "连续5次密码错误锁定15分钟（与登录页共用计数）；未知账号、密码错误与锁定的回答相同。"
                   "按IP和按账号限制请求频率（超过时429）。",
    "requestBody": json_request(ref("TokenRequest")),
    "responses": {**responses(200, ref("Token"), errors=(400, 413, 422, 429)),
                  "401": {"description": "用户名或密码错误、账号锁定或未激活",
                          "content": {"application/json": {"schema": ref("Error")}}}},
}, public=True)
register_path("/auth/token", "delete", {
    "summary": "撤销当前访问令牌", "tags": ["认证"], "operationId": "revokeToken",
    "responses": responses(204, description="已撤销"),
})
register_path("/me", "get", {
    "summary": "当前账号", "tags": ["认证"], "operationId": "getMe",
    "responses": responses(200, ref("Me")),
})
register_path("/openapi.json", "get", {
    "summary": "本接口的OpenAPI文档", "tags": ["文档"], "operationId": "getOpenApi",
    "responses": responses(200, {"type": "object"}),
}, public=True)

# Modules defining further /api/v1 endpoints on ``bp``; each is imported once, before the blueprint
# is registered, so its routes and register_path() entries exist in every app. Add yours here.
ENDPOINT_MODULES: tuple[str, ...] = ("app.api.process", "app.api.people", "app.api.actions", "app.api.transfers",
                                   "app.api.realname", "app.api.plans", "app.api.query", "app.api.stats",
                                   "app.api.checks", "app.api.audit", "app.api.designer", "app.api.suspensions",
                                   "app.registry.api", "app.api.onboarding")

for _module in ENDPOINT_MODULES:
    importlib.import_module(_module)

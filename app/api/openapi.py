"""The OpenAPI 3.0 document of /api/v1, assembled from a registry filled at import time.

How to document your endpoints (in the module that defines them, next to the routes)::

    from app.api.openapi import path_param, ref, register_path, register_schema, responses

    register_schema("Person", {"type": "object", "properties": {"id": {"type": "integer"}}})

    register_path("/people/{person_id}", "get", {
        "summary": "查看发展对象",
        "tags": ["发展对象"],
        "parameters": [path_param("person_id")],
        "responses": responses(200, ref("Person"), errors=(404,)),
    })

Rules (a test enforces them against ``app.url_map``):
- paths are relative to the server URL ``/api/v1`` and use ``{name}`` where Flask has ``<int:name>``;
- every route of the blueprint has exactly one entry per method, and every entry has a route;
- operations need a bearer token unless registered with ``public=True`` (the view then carries
  ``@public``); a 401 response is added to protected operations automatically, and a 400 to every
  operation (any request may be refused before its view: a NUL character, a malformed JSON body), and a 405
  to operations with path parameters;
- ``errors=(...)`` adds the shared error responses (400, 403, 404, 405, 409, 413, 422, 500),
  all with the ``Error`` schema ``{"error": "...", "fields": {...}}``.
"""
import copy

API_VERSION = "1.0.0"
SERVER_URL = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")

# Shared error responses, by status code.
ERROR_RESPONSES = {
    400: ("BadRequest", "请求有误（如：请求体须为JSON）"),
    401: ("Unauthorized", "缺少、无效、已撤销或已过期的访问令牌"),
    403: ("Forbidden", "没有权限执行此操作"),
    404: ("NotFound", "数据不存在或不在本人管理范围内"),
    405: ("MethodNotAllowed", "不支持的请求方式"),
    409: ("Conflict", "数据已被他人处理，请刷新后重试"),
    413: ("PayloadTooLarge", "请求体过大"),
    422: ("UnprocessableEntity", "提交的数据有误，见 fields"),
    429: ("TooManyRequests", "请求过于频繁（按IP和按账号限流），请稍后再试"),
    500: ("ServerError", "服务器内部错误"),
}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "中文错误信息", "example": "提交的数据有误"},
            "fields": {
                "type": "object",
                "description": "各字段的错误信息（仅校验失败时出现）",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "example": {"username": ["请填写用户名"]},
            },
            "rule": {"type": "string", "description": "拒绝输入的规则编号（如 R05），仅规则拒绝时出现",
                     "example": "R05"},
        },
    },
}

# path -> method -> operation object
PATHS: dict[str, dict[str, dict]] = {}


def ref(schema_name: str) -> dict:
    """A ``$ref`` to a registered schema."""
    return {"$ref": f"#/components/schemas/{schema_name}"}


def path_param(name: str, description: str = "", schema: dict | None = None) -> dict:
    """A required path parameter (integer unless ``schema`` says otherwise)."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "integer"}}


def json_request(schema: dict, required: bool = True) -> dict:
    """A ``requestBody`` of JSON with the given schema."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def error_ref(status: int) -> dict:
    """The shared response object for an error status."""
    return {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}


def responses(status: int = 200, schema: dict | None = None, description: str = "成功",
              errors: tuple[int, ...] = ()) -> dict:
    """A ``responses`` object: one success (JSON ``schema``, or no body) plus shared errors."""
    success = {"description": description}
    if schema is not None:
        success["content"] = {"application/json": {"schema": schema}}
    result = {str(status): success}
    for code in errors:
        result[str(code)] = error_ref(code)
    return result


def register_schema(name: str, schema: dict) -> None:
    """Add a component schema; registering a different schema under a taken name is an error."""
    if name in SCHEMAS and SCHEMAS[name] != schema:
        raise ValueError(f"OpenAPI schema {name!r} already registered")
    SCHEMAS[name] = schema


def register_path(path: str, method: str, operation: dict, *, public: bool = False) -> None:
    """Document one operation; ``path`` is relative to /api/v1, e.g. ``"/people/{person_id}"``."""
    method = method.lower()
    if method not in METHODS:
        raise ValueError(f"unsupported method {method!r}")
    if not path.startswith("/"):
        raise ValueError("OpenAPI paths start with '/'")
    operations = PATHS.setdefault(path, {})
    if method in operations:
        raise ValueError(f"{method.upper()} {path} already documented")
    operation = copy.deepcopy(operation)
    operation.setdefault("responses", responses())
    operation["responses"].setdefault("400", error_ref(400))
    if any(p.get("in") == "path" for p in operation.get("parameters", ())):
        # An id too large for an INTEGER column does not match ``<int:…>``; werkzeug then answers 405 when the
        # same path matches another method's rule.
        operation["responses"].setdefault("405", error_ref(405))
    if public:
        operation["security"] = []
    else:
        operation["responses"].setdefault("401", error_ref(401))
    operations[method] = operation


def build_spec() -> dict:
    """The complete document (a fresh copy, safe to modify)."""
    return copy.deepcopy({
        "openapi": "3.0.3",
        "info": {
            "title": "发展党员纪实公示系统 API",
            "version": API_VERSION,
            "description": (
                "用于成员名册同步、e支部公示对接与脚本调用的JSON接口。\n\n"
                "先以 `POST /auth/token` 用账号密码换取访问令牌，之后每个请求带 "
                "`Authorization: Bearer <令牌>`。接口不接受登录Cookie。"
                "错误统一返回 `{\"error\": \"...\", \"fields\": {...}}`。"),
        },
        "servers": [{"url": SERVER_URL}],
        "security": [{"bearerAuth": []}],
        "paths": {path: dict(sorted(ops.items())) for path, ops in sorted(PATHS.items())},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "POST /auth/token 返回的访问令牌（默认12小时有效）"},
            },
            "schemas": dict(sorted(SCHEMAS.items())),
            "responses": {
                name: {"description": description,
                       "content": {"application/json": {"schema": ref("Error")}}}
                for name, description in ERROR_RESPONSES.values()
            },
        },
    })

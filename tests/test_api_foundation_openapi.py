"""The OpenAPI document of /api/v1 is valid and matches the routes that exist."""
import re

import pytest
from openapi_spec_validator import validate

from app.api import openapi
from app.api.openapi import build_spec, register_path

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def flask_to_openapi(rule: str) -> str:
    """``/api/v1/people/<int:person_id>`` → ``/people/{person_id}``."""
    path = rule[len(openapi.SERVER_URL):]
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)


def api_routes(app) -> dict[tuple[str, str], object]:
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(openapi.SERVER_URL + "/") or rule.rule == openapi.SERVER_URL:
            for method in rule.methods - IGNORED_METHODS:
                routes[(flask_to_openapi(rule.rule), method.lower())] = app.view_functions[rule.endpoint]
    return routes


def documented(spec) -> dict[tuple[str, str], dict]:
    return {(path, method): op for path, ops in spec["paths"].items() for method, op in ops.items()}


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.0")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]
        ["bearerAuth"]["description"]}
    assert "Error" in spec["components"]["schemas"]
    for path in ("/auth/token", "/me", "/openapi.json"):
        assert path in spec["paths"]


def test_every_documented_operation_exists_and_vice_versa(app):
    routes = api_routes(app)
    docs = documented(build_spec())
    assert sorted(set(docs) - set(routes)) == [], "documented but no such route"
    assert sorted(set(routes) - set(docs)) == [], "route missing from the OpenAPI document"


def test_public_operations_match_public_views(app):
    routes = api_routes(app)
    for key, operation in documented(build_spec()).items():
        is_public = getattr(routes[key], "api_public", False)
        assert (operation.get("security") == []) == is_public, key
        if not is_public:
            assert "401" in operation["responses"], key


def test_registering_twice_is_an_error():
    with pytest.raises(ValueError):
        register_path("/me", "get", {"responses": {"200": {"description": "x"}}})
    with pytest.raises(ValueError):
        register_path("me", "trace", {})

"""逻辑校验 over the API: the failing counts per check for an organisation and each child, and one check's
failing persons (paged) — ``app.checks.services`` as the pages use it."""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error
from app.api.openapi import path_param, ref, register_path, register_schema, responses
from app.api.shapes import PAGE_PARAMS, iso_date, organisation_json, page_args, page_json, page_schema, person_json
from app.checks import services as checks
from app.checks.catalogue import BY_ID, CATALOGUE
from app.orgs.models import Organisation
from app.scope import get_in_scope
from app.timeutil import local_today


def _org(user) -> Organisation:
    org_id = request.args.get("org_id", type=int)
    return get_in_scope(Organisation, org_id, user) if org_id else user.org


def check_json(check) -> dict:
    """A check of the catalogue."""
    return {"id": check.id, "rule": check.rule, "name": check.name, "severity": check.severity,
            "rule_version": check.rule_version}


@bp.get("/checks")
def check_counts():
    """The catalogue, and how many persons fail each check under ``org_id`` (default: the caller's) and each child."""
    user = api_user()
    org = _org(user)
    counts = checks.failing_counts(user, org, local_today())
    return jsonify(organisation=organisation_json(org), checks=[check_json(c) for c in CATALOGUE],
                   counts=counts.total,
                   children=[{"organisation": organisation_json(child), "counts": numbers}
                             for child, numbers in counts.children])


def _evidence_value(value):
    return iso_date(value) if hasattr(value, "isoformat") else value


@bp.get("/checks/<check_id>")
def check_persons(check_id: str):
    """The persons failing one check under ``org_id``, with the values the check looked at."""
    user = api_user()
    check = BY_ID.get(check_id)
    if check is None:
        api_error(404)
    org = _org(user)
    page, per_page = page_args()
    result = checks.failing_persons(user, org, check, local_today(), page=page, per_page=per_page)
    evidence = checks.evidence(check, result.items)
    labels = [label for label, _ in check.evidence]
    items = [{"person": person_json(p),
              "evidence": {label: _evidence_value(v) for label, v in zip(labels, evidence.get(p.id, []))}}
             for p in result.items]
    return jsonify(check=check_json(check), organisation=organisation_json(org), **page_json(result, items))


register_schema("Check", {"type": "object", "properties": {
    "id": {"type": "string"}, "rule": {"type": "string"}, "name": {"type": "string"},
    "severity": {"type": "string"}, "rule_version": {"type": "string"}}})
_TAGS = ["逻辑校验"]
_ORG = {"name": "org_id", "in": "query", "description": "组织ID（默认本组织）", "schema": {"type": "integer"}}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}, "description": "校验ID → 人数"}
register_path("/checks", "get", {
    "summary": "逻辑校验：各校验项的问题人数（本组织与各下级）", "tags": _TAGS, "parameters": [_ORG],
    "responses": responses(200, {"type": "object", "properties": {
        "organisation": ref("Organisation"), "checks": {"type": "array", "items": ref("Check")},
        "counts": _COUNTS, "children": {"type": "array", "items": {"type": "object", "properties": {
            "organisation": ref("Organisation"), "counts": _COUNTS}}}}}, errors=(403, 404))})
_LIST = page_schema({"type": "object", "properties": {"person": ref("Person"), "evidence": {"type": "object"}}})
_LIST["properties"].update({"check": ref("Check"), "organisation": ref("Organisation")})
register_path("/checks/{check_id}", "get", {
    "summary": "某校验项的问题人员（分页）", "tags": _TAGS,
    "parameters": [path_param("check_id", "校验ID", {"type": "string"}), _ORG, *PAGE_PARAMS],
    "responses": responses(200, _LIST, errors=(403, 404, 422))})

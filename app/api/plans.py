"""计划分配 over the API: the year's numbers of the caller's organisation and its children, and setting them
(R21 both ways, checked by ``app.plans.services.save_plans`` like the page; a refusal names ``"rule": "R21"``)."""
from datetime import date

from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body
from app.api.openapi import json_request, path_param, ref, register_path, register_schema, responses
from app.api.shapes import organisation_json
from app.orgs.models import Organisation
from app.plans import services as plans
from app.scope import get_in_scope

MIN_YEAR, MAX_YEAR = 2000, 2100


def _year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        api_error(404)
    return year


def plan_json(view) -> dict:
    """A year's plan: this organisation's number and actual count, and each direct child's."""
    return {"year": view.year, "organisation": organisation_json(view.org), "quota": view.own_quota,
            "actual": view.own_actual, "quota_editable": view.own_editable, "assigned": view.assigned,
            "children": [{"organisation": organisation_json(row.org), "quota": row.quota, "actual": row.actual,
                          "handed_down": row.handed_down} for row in view.children]}


@bp.get("/plans")
def current_plan():
    """This year's plan (``year`` for another)."""
    return get_plan(request.args.get("year", date.today().year, type=int))


@bp.get("/plans/<int:year>")
def get_plan(year: int):
    """The plan of ``year``."""
    return jsonify(plan_json(plans.plan_view(api_user(), _year(year))))


@bp.put("/plans/<int:year>")
def set_plan(year: int):
    """Set children's numbers (``quotas``: {org id: number or null}); the province admin also ``quota``.
    Children left out keep their numbers; an organisation outside scope is 404, one in scope but not a direct
    child 422."""
    user = api_user()
    year = _year(year)
    body = json_body()
    quotas = body.get("quotas") or {}
    if not isinstance(quotas, dict) or len(quotas) > 1000:
        api_error(422, fields={"quotas": "quotas 须为 {组织ID: 计划数} 的对象"})
    for name, number in (("quota", body.get("quota")), *((f"org_{k}", v) for k, v in quotas.items())):
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
            api_error(422, fields={name: "计划数须为非负整数或 null"})
    view = plans.plan_view(user, year)
    form = {f"org_{row.org.id}": row.quota for row in view.children}
    form["own"] = body["quota"] if "quota" in body else view.own_quota
    for key, number in quotas.items():
        if not str(key).isdigit():
            api_error(422, fields={"quotas": f"组织ID {key} 须为整数"})
        org = get_in_scope(Organisation, key, user)
        if f"org_{org.id}" not in form:
            api_error(422, fields={f"org_{org.id}": "只能为本组织的直接下级分配计划"})
        form[f"org_{org.id}"] = number
    form = {k: "" if v is None else str(v) for k, v in form.items()}
    try:
        changed = plans.save_plans(user, year, form)
    except plans.PlanError as exc:
        api_error(422, "计划分配有误", exc.fields, rule=exc.rule)
    return jsonify(changed=changed, plan=plan_json(plans.plan_view(user, year)))


register_schema("Plan", {"type": "object", "properties": {
    "year": {"type": "integer"}, "organisation": ref("Organisation"),
    "quota": {"type": "integer", "nullable": True}, "actual": {"type": "integer"},
    "quota_editable": {"type": "boolean"}, "assigned": {"type": "integer"},
    "children": {"type": "array", "items": {"type": "object", "properties": {
        "organisation": ref("Organisation"), "quota": {"type": "integer", "nullable": True},
        "actual": {"type": "integer"}, "handed_down": {"type": "integer"}}}}}})
_TAGS = ["计划分配"]
_YEAR = [path_param("year", "年度 2000–2100")]
register_path("/plans", "get", {
    "summary": "本年度（或 year）计划分配", "tags": _TAGS,
    "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}],
    "responses": responses(200, ref("Plan"), errors=(403, 404))})
register_path("/plans/{year}", "get", {
    "summary": "某年度计划分配：本级与各直接下级的计划数、实际发展数", "tags": _TAGS, "parameters": _YEAR,
    "responses": responses(200, ref("Plan"), errors=(403, 404))})
register_path("/plans/{year}", "put", {
    "summary": "分配计划（R21：下级合计不超过本级；不能调低到已向下分配的数）", "tags": _TAGS, "parameters": _YEAR,
    "requestBody": json_request({"type": "object", "properties": {
        "quota": {"type": "integer", "nullable": True, "description": "本级计划数（仅省级可设）"},
        "quotas": {"type": "object", "additionalProperties": {"type": "integer", "nullable": True},
                   "description": "{下级组织ID: 计划数}；未列出的保持不变"}}}),
    "responses": responses(200, {"type": "object", "properties": {
        "changed": {"type": "integer"}, "plan": ref("Plan")}}, errors=(403, 404, 409, 422))})

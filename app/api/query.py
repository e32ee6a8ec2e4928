"""综合查询 over the API: the condition catalogue (every field with the modes that fit it: 模糊, 精准, 左匹配, 右匹配,
多选, 时间区间) and a search — the page's own ``parse_conditions`` and ``search`` (``app.query.services``), so
the rules, limits and the 10,000 cap (``total_is_lower_bound``) are the page's."""
from flask import jsonify
from werkzeug.datastructures import MultiDict

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error, json_body
from app.api.openapi import json_request, ref, register_path, responses
from app.api.shapes import MAX_PER_PAGE, page_json, page_schema, person_json
from app.query import catalogue, services as query


@bp.get("/query/fields")
def query_fields():
    """The fields a condition may name, with their type, modes and choices."""
    return jsonify(modes=catalogue.MODES, fields=[
        {"key": f.key, "label": f.label, "group": f.group, "kind": f.kind, "step": f.step,
         "modes": list(catalogue.modes_for(f)), "choices": [[str(v), str(label)] for v, label in f.choices]}
        for f in catalogue.catalogue()])


def _args(body: dict) -> MultiDict:
    """The JSON conditions as the page's query-string rows (``c<i>_f``, ``c<i>_m``, ``c<i>_v``, ``c<i>_to``)."""
    conditions = body.get("conditions") or []
    if not isinstance(conditions, list) or len(conditions) > query.MAX_CONDITIONS:
        api_error(422, fields={"conditions": f"conditions 须为至多{query.MAX_CONDITIONS}项的列表"})
    args = MultiDict()
    for i, cond in enumerate(conditions):
        values = cond.get("values", []) if isinstance(cond, dict) else None
        if isinstance(values, str):
            values = [values]
        if (not isinstance(cond, dict) or not isinstance(values, list) or len(values) > 100
                or not all(isinstance(cond.get(k, ""), str) for k in ("field", "mode", "to"))
                or not all(isinstance(v, str) for v in values)):
            api_error(422, fields={f"conditions.{i}": "条件须为 {field, mode, values: [文本], to}"})
        args.add(f"c{i}_f", cond.get("field", ""))
        args.add(f"c{i}_m", cond.get("mode", ""))
        args.add(f"c{i}_to", cond.get("to", ""))
        for value in values:
            args.add(f"c{i}_v", value)
    return args


@bp.post("/query")
def run_query():
    """Persons in scope matching every condition, sorted and paged."""
    user = api_user()
    body = json_body()
    sort = body.get("sort", "newest")
    if sort not in query.SORTS:
        api_error(422, fields={"sort": "sort 须为 " + "、".join(query.SORTS)})
    page, per_page = body.get("page", 1), body.get("per_page", query.PER_PAGE)
    for name, value, top in (("page", page, 10**6), ("per_page", per_page, MAX_PER_PAGE)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
            api_error(422, fields={name: f"{name} 须为1到{top}的整数"})
    conditions = query.parse_conditions(_args(body))
    errors = {f"conditions.{c.index}": c.error for c in conditions if c.error}
    if errors:
        api_error(422, "查询条件有误", errors)
    result = query.search(user, conditions, sort=sort, descending=body.get("descending") is True,
                          page=page, per_page=per_page)
    items = [{"person": person_json(p), "organisation_chain": chain} for p, chain in result.rows]
    shaped = page_json(result, items)
    shaped["total_is_lower_bound"] = result.limited
    return jsonify(shaped)


_TAGS = ["综合查询"]
register_path("/query/fields", "get", {
    "summary": "综合查询可用的条件字段及其查询方式", "tags": _TAGS,
    "responses": responses(200, {"type": "object", "properties": {
        "modes": {"type": "object"}, "fields": {"type": "array", "items": {"type": "object"}}}}, errors=(403,))})
register_path("/query", "post", {
    "summary": "综合查询（六种方式：fuzzy 模糊、exact 精准、prefix 左匹配、suffix 右匹配、multi 多选、range 时间区间）",
    "tags": _TAGS,
    "requestBody": json_request({"type": "object", "properties": {
        "conditions": {"type": "array", "maxItems": query.MAX_CONDITIONS, "items": {"type": "object", "properties": {
            "field": {"type": "string", "description": "GET /query/fields 的 key"},
            "mode": {"type": "string", "enum": list(catalogue.MODES)},
            "values": {"type": "array", "items": {"type": "string", "maxLength": query.MAX_VALUE_LENGTH}},
            "to": {"type": "string", "description": "时间区间的结束日期"}}}},
        "sort": {"type": "string", "enum": list(query.SORTS)}, "descending": {"type": "boolean"},
        "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1,
                                                                "maximum": MAX_PER_PAGE}}}),
    "responses": responses(200, page_schema({"type": "object", "properties": {
        "person": ref("Person"), "organisation_chain": {"type": "array", "items": {"type": "string"}}}}),
        errors=(403, 422))})

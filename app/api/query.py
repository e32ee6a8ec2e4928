"""综合查询 over the API: the condition catalogue (every field with the modes that fit it: 模糊, 精准, 左匹配, 右匹配,
多选, 时间区间) and a search — the page's own ``parse_conditions`` and ``search`` (``app.query.services``), so
the rules, limits and the 1,000 cap (``total_is_lower_bound``) are the page's."""
from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error
from app.api.openapi import ref, register_path, responses
from app.api.shapes import PAGE_PARAMS, page_args, page_json, page_schema, person_json, query_param
from app.query import catalogue, services as query


@bp.get("/query/fields")
def query_fields():
    """The fields a condition may name, with their type, modes and choices."""
    return jsonify(modes=catalogue.MODES, fields=[
        {"key": f.key, "label": f.label, "group": f.group, "kind": f.kind, "step": f.step,
         "modes": list(catalogue.modes_for(f)), "choices": [[str(v), str(label)] for v, label in f.choices]}
        for f in catalogue.catalogue()])


@bp.get("/query")
def run_query():
    """Persons in scope matching every condition, sorted and paged. The conditions are the page's own query
    string, parsed by the page's parser: ``c<i>_f`` (field key), ``c<i>_m`` (mode), ``c<i>_v`` (value; repeated
    for 多选, the start day for 时间区间), ``c<i>_to`` (the end day), i from 0, at most 30 rows."""
    user = api_user()
    sort = request.args.get("sort", "newest")
    if sort not in query.SORTS:
        api_error(422, fields={"sort": "sort 须为 " + "、".join(query.SORTS)})
    page, per_page = page_args()
    conditions = query.parse_conditions(request.args)
    errors = {f"c{c.index}": c.error for c in conditions if c.error}
    if errors:
        api_error(422, "查询条件有误", errors)
    result = query.search(user, conditions, sort=sort, descending=request.args.get("dir") == "desc",
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
_ROWS = 3  # documented rows; the parser reads up to query.MAX_CONDITIONS
_CONDITION_PARAMS = [param for i in range(_ROWS) for param in (
    query_param(f"c{i}_f", "条件字段（GET /query/fields 的 key）", {"type": "string", "maxLength": 100}),
    query_param(f"c{i}_m", "查询方式", {"type": "string", "enum": list(catalogue.MODES)}),
    {"name": f"c{i}_v", "in": "query", "description": "值（多选时可重复；时间区间为开始日期）",
     "schema": {"type": "array", "items": {"type": "string", "maxLength": query.MAX_VALUE_LENGTH}},
     "style": "form", "explode": True},
    query_param(f"c{i}_to", "时间区间的结束日期", {"type": "string", "maxLength": query.MAX_VALUE_LENGTH}))]
register_path("/query", "get", {
    "summary": "综合查询（六种方式：fuzzy 模糊、exact 精准、prefix 左匹配、suffix 右匹配、multi 多选、range 时间区间）",
    "description": f"条件行 c<i>_f / c<i>_m / c<i>_v / c<i>_to，i 从0起，至多{query.MAX_CONDITIONS}行（此处列出前{_ROWS}行），"
                   "与综合查询页面的查询串相同。计数在1000处停止（total_is_lower_bound）。",
    "tags": _TAGS,
    "parameters": [*_CONDITION_PARAMS, query_param("sort", "", {"type": "string", "enum": list(query.SORTS)}),
                   query_param("dir", "desc 为降序", {"type": "string", "enum": ["asc", "desc"]}), *PAGE_PARAMS],
    "responses": responses(200, page_schema({"type": "object", "properties": {
        "person": ref("Person"), "organisation_chain": {"type": "array", "items": {"type": "string"}}}}),
        errors=(403, 422))})

"""数据统计 over the API: the numbers behind each chart of one of the seven views, for an organisation in scope
and (新发展党员) a date range — ``app.reports.services.selection`` and ``charts`` as the page uses them."""
from datetime import date

from flask import jsonify, request

from app.api import bp
from app.api.auth import api_user
from app.api.errors import api_error
from app.api.openapi import ref, register_path, responses
from app.api.shapes import iso_date, iso_utc, organisation_json
from app.reports import services as reports
from app.reports.catalogue import VIEW_BY_KEY, VIEWS


def _date(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        api_error(422, fields={name: "日期格式应为“年-月-日”，如 2020-01-02"})
    if not 1900 <= value.year <= 2100:
        api_error(422, fields={name: "日期须在1900年至2100年之间"})
    return value


@bp.get("/stats")
def statistics():
    """The six charts of ``view`` (default all) under ``org_id``; ``start``/``end`` bound 新发展党员."""
    user = api_user()
    view = request.args.get("view", "all")
    if view not in VIEW_BY_KEY:
        api_error(422, fields={"view": "view 须为 " + "、".join(VIEW_BY_KEY)})
    start, end = _date("start"), _date("end")
    if start and end and end < start:
        api_error(422, fields={"end": "结束日期不能早于开始日期"})
    sel = reports.selection(user, view, request.args.get("org_id", type=int), start, end)
    charts = reports.charts(user, sel)
    return jsonify(view={"key": sel.view.key, "label": sel.view.label}, organisation=organisation_json(sel.org),
                   start=iso_date(sel.start), end=iso_date(sel.end), on=iso_date(sel.on), total=charts[0].total,
                   counted_at=iso_utc(charts[0].counted_at),
                   charts=[{"key": c.chart.key, "title": c.title, "kind": c.chart.kind, "total": c.total,
                            "rows": [{"label": str(label), "count": n} for label, n in c.rows]} for c in charts])


register_path("/stats", "get", {
    "summary": "数据统计：某统计类别的六个图表的数据", "tags": ["数据统计"],
    "parameters": [{"name": "view", "in": "query", "schema": {"type": "string", "enum": [v.key for v in VIEWS]},
                    "description": "；".join(f"{v.key}={v.label}" for v in VIEWS)},
                   {"name": "org_id", "in": "query", "schema": {"type": "integer"}},
                   {"name": "start", "in": "query", "schema": {"type": "string", "format": "date"}},
                   {"name": "end", "in": "query", "schema": {"type": "string", "format": "date"}}],
    "responses": responses(200, {"type": "object", "properties": {
        "view": {"type": "object"}, "organisation": ref("Organisation"), "start": {"type": "string"},
        "end": {"type": "string"}, "on": {"type": "string", "description": "年龄计算日"},
        "total": {"type": "integer"},
        "counted_at": {"type": "string", "nullable": True, "description": "省、市级：后台统计的时间（UTC）；实时统计为 null"},
        "charts": {"type": "array", "items": {"type": "object", "properties": {
            "key": {"type": "string"}, "title": {"type": "string"}, "kind": {"type": "string"},
            "total": {"type": "integer"}, "rows": {"type": "array", "items": {"type": "object", "properties": {
                "label": {"type": "string"}, "count": {"type": "integer"}}}}}}}}}, errors=(403, 404, 422))})

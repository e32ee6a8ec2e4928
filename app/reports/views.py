"""数据统计 pages: a view's six charts for an organisation in scope, and each chart's numbers as .xlsx."""
from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from app.reports import services
from app.reports.catalogue import CHART_BY_KEY, VIEWS
from app.reports.forms import StatsFilterForm
from app.reports.summary import SUMMARY_MINUTES
from app.reports.workbook import chart_workbook

bp = Blueprint("reports", __name__, url_prefix="/stats", template_folder="templates", static_folder="static")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _selection(form: StatsFilterForm) -> services.Selection:
    valid = not form.errors
    return services.selection(current_user, form.view.data, form.org.data,
                              form.start.data if valid else None, form.end.data if valid else None)


@bp.get("/")
def index():
    form = StatsFilterForm(request.args)
    form.validate()
    sel = _selection(form)
    charts = services.charts(current_user, sel)
    return render_template("reports/index.html", form=form, sel=sel, views=VIEWS,
                           total=charts[0].total, charts=charts, summary_minutes=SUMMARY_MINUTES,
                           active_menu="stats")


@bp.get("/export/<chart>.xlsx")
def export(chart: str):
    form = StatsFilterForm(request.args)
    if not form.validate():
        abort(400)
    sel = _selection(form)
    chart = CHART_BY_KEY.get(chart) or abort(404)
    data = services.chart_data(current_user, sel, chart)
    name = f"数据统计-{sel.view.label}-{data.title}.xlsx"
    return send_file(BytesIO(chart_workbook(data, sel)), mimetype=XLSX, as_attachment=True, download_name=name)

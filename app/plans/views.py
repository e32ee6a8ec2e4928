"""计划分配 page: the year's numbers, 【编辑】 to change the children's numbers, 【保存】."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.orgs.models import Organisation
from app.plans import services
from app.scope import get_in_scope

bp = Blueprint("plans", __name__, url_prefix="/plans", template_folder="templates")


def _year() -> int:
    year = request.values.get("year", type=int) or date.today().year
    return year if 2000 <= year <= 2100 else date.today().year


@bp.route("/", methods=["GET", "POST"])
def index():
    year = _year()
    errors, status = {}, 200
    editing = request.args.get("edit") == "1"
    if request.method == "POST":
        try:
            changed = services.save_plans(current_user, year, request.form)
        except services.PlanError as exc:
            errors, status, editing = exc.fields, 422, True
        else:
            flash(f"已保存（{changed} 项变更）" if changed else "没有变更")
            return redirect(url_for("plans.index", year=year)), 303
    org_id = request.args.get("org", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id and org_id != current_user.org_id else None
    view = services.plan_view(current_user, year, org)
    this_year = date.today().year
    return render_template("plans/index.html", view=view, errors=errors, editing=editing and org is None,
                           org=org, own=org is None,
                           values=request.form if request.method == "POST" else None,
                           years=range(this_year + 1, this_year - 6, -1), active_menu="plans"), status

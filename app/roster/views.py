"""党员名册 pages: a branch's (or a subtree's) members, the import with its dry run, the template download."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access.policy import allows
from app.orgs.models import Organisation
from app.orgs.services import branches_in_scope
from app.roster import importer, services
from app.scope import get_in_scope

bp = Blueprint("roster", __name__, url_prefix="/roster", template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
def index():
    org_id = request.args.get("org", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id else current_user.org
    return _roster_page(org)


@bp.get("/org/<int:org_id>")
def org_roster(org_id: int):
    return _roster_page(get_in_scope(Organisation, org_id, current_user))


def _roster_page(org):
    page = services.roster_page(org, page=request.args.get("page", 1, type=int))
    return render_template("roster/index.html", org=org, page=page,
                           can_import=allows(current_user, "roster", "import"), active_menu="roster")


@bp.get("/template.xlsx")
def template():
    return Response(importer.template(), mimetype=XLSX,
                    headers={"Content-Disposition": "attachment; filename=roster_template.xlsx"})


@bp.route("/import", methods=["GET", "POST"])
def import_members():
    branches = branches_in_scope(current_user)
    report, status, chosen = None, 200, request.form.get("org_id", type=int)
    if request.method == "POST":
        if chosen and not any(b.id == chosen for b in branches):
            abort(404)  # a branch outside the subtree, as if it did not exist
        branch = next((b for b in branches if b.id == chosen), None)
        upload = request.files.get("file")
        if branch is None:
            flash("请选择导入到的党支部", "error")
            status = 422
        elif upload is None or not upload.filename:
            flash("请选择要导入的.xlsx文件", "error")
            status = 422
        else:
            report = importer.check(upload.read(importer.MAX_BYTES + 1))
            if not report.ok:
                status = 422
            elif request.form.get("action") == "import":
                count = services.add_members(current_user, branch, report.rows)
                flash(f"已导入{count}名党员")
                return redirect(url_for("roster.org_roster", org_id=branch.id)), 303
    return render_template("roster/import.html", branches=branches, chosen=chosen, report=report,
                           columns=importer.COLUMNS, active_menu="roster"), status

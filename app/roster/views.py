"""党员名册 pages: a branch's (or a subtree's) members, the import with its dry run, the template download."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access.policy import allows
from app.orgs.models import Organisation
from app.orgs.services import branches_in_scope
from app.roster import importer, services, uploads
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
    report, kept, status, chosen = None, None, 200, request.form.get("org_id", type=int)
    if request.method == "POST":
        if chosen and not any(b.id == chosen for b in branches):
            abort(404)  # a branch outside the subtree, as if it did not exist
        branch = next((b for b in branches if b.id == chosen), None)
        upload = request.files.get("file")
        key = request.form.get("checked", "")
        if branch is None:
            flash("请选择导入到的党支部", "error")
            status = 422
        elif upload is not None and upload.filename:
            content = upload.read(importer.MAX_BYTES + 1)
            report = importer.check(content)
            if not report.ok:
                status = 422
            elif request.form.get("action") == "import":
                return _imported(branch, report)
            else:
                # A clean dry run keeps the file, so 导入 uses exactly this file without choosing it again.
                kept = uploads.keep(current_user, branch, upload.filename, content, len(report.rows))
        elif key and request.form.get("action") == "import":
            found = uploads.checked(current_user, branch, key)
            if found is None:
                flash("校验过的文件已失效或不属于该党支部，请重新选择文件校验", "error")
                status = 422
            else:
                kept, content = found
                report = importer.check(content)  # the rosters may have changed since the dry run
                if report.ok:
                    uploads.forget(kept)
                    return _imported(branch, report)
                kept, status = None, 422
        else:
            flash("请选择要导入的.xlsx文件", "error")
            status = 422
    return render_template("roster/import.html", branches=branches, chosen=chosen, report=report, kept=kept,
                           columns=importer.COLUMNS, active_menu="roster"), status


def _imported(branch, report):
    count = services.add_members(current_user, branch, report.rows)
    flash(f"已导入{count}名党员")
    return redirect(url_for("roster.org_roster", org_id=branch.id)), 303

"""调整申请 pages: the request (reason, files, decision) and the county's 县级审核."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.movebacks import services
from app.movebacks.forms import MoveBackReviewForm
from app.transaction import attempt
from app.workflow.binding import apply_errors
from app.workflow.errors import Conflict, WorkflowError
from app.workflow.services import MOVE_BACK

bp = Blueprint("movebacks", __name__, url_prefix="/movebacks", template_folder="templates")


@bp.get("/<int:moveback_id>")
def show(moveback_id: int):
    return _show_page(services.get_request(current_user, moveback_id))


def _show_page(row, *, form=None, status: int = 200):
    can_decide = services.can_decide(current_user, row)
    if form is None and can_decide:
        form = MoveBackReviewForm(data={"version": services.instance_version(row)})
    return render_template("movebacks/show.html", row=row, label=MOVE_BACK[row.target]["label"],
                           can_decide=can_decide, form=form, active_menu="process"), status


@bp.post("/<int:moveback_id>/review")
def review(moveback_id: int):
    row = services.get_request(current_user, moveback_id)
    form = MoveBackReviewForm()
    decision = request.form.get("decision", "")
    if not form.validate_on_submit():
        return _show_page(row, form=form, status=422)
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        with attempt():
            services.decide(current_user, row, decision, form.opinion.data, expected_version=version)
    except WorkflowError as exc:
        if exc.status == 403:
            abort(403)
        if exc.status == 409:
            flash(exc.message, "error")
        else:
            apply_errors(form, exc)
        return _show_page(row, form=form, status=exc.status)
    flash("已审核通过，该人员已调整" if decision == "approve" else "已审核不通过，该人员不作调整")
    return redirect(url_for(".show", moveback_id=row.id))

"""调整申请 pages: the request (reason, files, decision) and the county's 县级审核."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.movebacks import services
from app.movebacks.forms import MoveBackReviewForm
from app.workflow.binding import decide_from_form
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
    refused = decide_from_form(form, lambda version: services.decide(current_user, row, decision, form.opinion.data,
                                                                     expected_version=version))
    if refused is not None:
        return _show_page(row, form=form, status=refused.status)
    flash("已审核通过，该人员已调整" if decision == "approve" else "已审核不通过，该人员不作调整")
    return redirect(url_for(".show", moveback_id=row.id))

"""接续培养 pages: 省内转入 (requests to my organisation) and 省内转出 (requests for my persons)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.transaction import attempt
from app.transfers import services
from app.transfers.forms import TransferRequestForm, TransferReviewForm
from app.workflow.binding import apply_errors
from app.workflow.services import Conflict, WorkflowError

bp = Blueprint("transfers", __name__, url_prefix="/transfers", template_folder="templates")


@bp.get("/")
def index():
    tab = request.args.get("tab", "in")
    tab = tab if tab in services.TABS else "in"
    filters = {key: request.args.get(key, "") for key in ("name", "id_number", "to_org")}
    page = services.transfer_page(current_user, tab, page=request.args.get("page", 1, type=int), **filters)
    return render_template("transfers/index.html", page=page, tab=tab, tabs=services.TABS, filters=filters,
                           can_request=services.can_request(current_user), can_review=services.can_review,
                           active_menu="transfers")


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = TransferRequestForm()
    form.to_org_id.choices = [("", "请选择")] + [(str(o.id), o.name)
                                              for o in services.receiving_branches(current_user)]
    if form.validate_on_submit():
        try:
            transfer = services.request_transfer(current_user, form.name.data, form.id_number.data,
                                                 form.to_org_id.data)
        except WorkflowError as exc:
            apply_errors(form, exc)
        else:
            flash(f"已发起{transfer.person_name}的接续培养申请，等待转出党组织审核")
            return redirect(url_for(".index", tab="in"))
    status = 422 if request.method == "POST" else 200
    return render_template("transfers/form.html", form=form, active_menu="transfers"), status


@bp.get("/<int:transfer_id>")
def show(transfer_id: int):
    transfer = services.get_transfer(current_user, transfer_id)
    return _show_page(transfer, TransferReviewForm(data={"version": transfer.version}))


def _show_page(transfer, form, status: int = 200):
    return render_template("transfers/show.html", transfer=transfer, form=form,
                           can_review=services.can_review(current_user, transfer),
                           can_withdraw=services.can_withdraw(current_user, transfer),
                           person_link=services.person_in_scope(current_user, transfer),
                           active_menu="transfers"), status


@bp.post("/<int:transfer_id>/withdraw")
def withdraw(transfer_id: int):
    transfer = services.get_transfer(current_user, transfer_id)
    form = TransferReviewForm()
    if not form.validate_on_submit():
        return _show_page(transfer, form, 400)
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        with attempt():
            services.withdraw(current_user, transfer, expected_version=version)
    except Conflict as exc:
        flash(exc.message, "error")
        return _show_page(transfer, form, 409)
    except WorkflowError as exc:
        # The role holds the right; only this request is not the actor's to withdraw (the sending side's).
        flash(exc.message, "error")
        return _show_page(transfer, form, 400 if exc.status == 403 else exc.status)
    flash("已撤回接续培养申请，该人员继续保留在原党组织")
    return redirect(url_for(".index", tab="in"))


@bp.post("/<int:transfer_id>/review")
def review(transfer_id: int):
    transfer = services.get_transfer(current_user, transfer_id)
    form = TransferReviewForm()
    decision = request.form.get("decision", "")
    if not form.validate_on_submit():
        return _show_page(transfer, form, 422)
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        # A refusal must undo its own writes.
        with attempt():
            services.decide(current_user, transfer, decision, form.opinion.data, expected_version=version)
    except Conflict as exc:
        flash(exc.message, "error")
        return _show_page(transfer, form, 409)
    except WorkflowError as exc:
        if exc.status == 403:
            abort(403)
        apply_errors(form, exc)
        return _show_page(transfer, form, exc.status)
    flash("已通过，人员已转入接受党组织" if decision == "approve" else "已不通过，人员继续保留在本党组织")
    return redirect(url_for(".index", tab="out"))

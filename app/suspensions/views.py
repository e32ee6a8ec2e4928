"""暂停发展-出国(境) and 归国恢复 pages: suspend a person, a suspension's record, apply, 审核."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.attachments import services as attachments
from app.people.models import Person
from app.scope import get_in_scope
from app.suspensions import services
from app.suspensions.forms import ResumeApplyForm, ResumeReviewForm, SuspendForm
from app.workflow.binding import apply_errors, decide_from_form
from app.workflow.errors import Conflict, WorkflowError

bp = Blueprint("suspensions", __name__, url_prefix="/suspensions", template_folder="templates")


@bp.route("/new/<int:person_id>", methods=["GET", "POST"])
def new(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    if not services.can_suspend(current_user, person):
        abort(403 if person.status == "active" else 404)
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            hashes = attachments.store_uploads(current_user, [f for f in request.files.getlist("files") if f.filename])
            suspension = services.suspend(current_user, person, reason=form.reason.data,
                                          destination=form.destination.data, expected_from=form.expected_from.data,
                                          expected_to=form.expected_to.data, attachments=hashes)
        except attachments.UploadError as exc:
            form.files.errors = [str(getattr(exc, "message", exc))]
        except WorkflowError as exc:
            if exc.status == 403:
                abort(403)
            apply_errors(form, exc)
            if isinstance(exc, Conflict):
                return _suspend_page(form, person, 409)
        else:
            flash(f"已暂停发展：{person.name}转入历史库“暂停发展”，待归国后发起恢复申请")
            return redirect(url_for("suspensions.show", suspension_id=suspension.id))
    return _suspend_page(form, person, 422 if request.method == "POST" else 200)


def _suspend_page(form, person, status: int):
    return render_template("suspensions/new.html", form=form, person=person, active_menu="history"), status


@bp.get("/<int:suspension_id>")
def show(suspension_id: int):
    suspension = services.get_suspension(current_user, suspension_id)
    return _show_page(suspension)


@bp.get("/requests/<int:resume_id>")
def request_page(resume_id: int):
    """Where a 待办 row of a 归国恢复 review leads: its suspension's page."""
    row = services.get_request(current_user, resume_id)
    return redirect(url_for(".show", suspension_id=row.suspension_id) + "#review")


def _show_page(suspension, *, apply_form=None, review_form=None, status: int = 200):
    requests = services.requests_of(suspension)
    pending = next((r for r in requests if r.pending_suspension_id is not None), None)
    can_review = pending is not None and services.can_review(current_user, pending)
    if review_form is None and can_review:
        review_form = ResumeReviewForm(data={"version": services.instance_version(pending)})
    return render_template("suspensions/show.html", suspension=suspension, requests=requests, pending=pending,
                           can_apply=services.can_apply(current_user, suspension),
                           apply_form=apply_form or ResumeApplyForm(), can_review=can_review,
                           review_form=review_form, active_menu="history"), status


@bp.post("/<int:suspension_id>/resume")
def apply(suspension_id: int):
    suspension = services.get_suspension(current_user, suspension_id)
    form = ResumeApplyForm()
    if not form.validate_on_submit():
        return _show_page(suspension, apply_form=form, status=422)
    try:
        services.apply_resume(current_user, suspension, form.opinion.data)
    except WorkflowError as exc:
        if exc.status == 403:
            abort(403)
        apply_errors(form, exc)
        return _show_page(suspension, apply_form=form, status=exc.status)
    flash("已发起归国恢复申请，等待基层党委审核")
    return redirect(url_for(".show", suspension_id=suspension.id))


@bp.post("/requests/<int:resume_id>/review")
def review(resume_id: int):
    row = services.get_request(current_user, resume_id)
    form = ResumeReviewForm()
    decision = request.form.get("decision", "")
    suspension = row.suspension
    if not form.validate_on_submit():
        return _show_page(suspension, review_form=form, status=422)
    refused = decide_from_form(form, lambda version: services.decide(current_user, row, decision, form.opinion.data,
                                                                     expected_version=version))
    if refused is not None:
        return _show_page(suspension, review_form=form, status=refused.status)
    flash("已审核通过" if decision == "approve" else "已审核不通过，该人员仍暂停发展")
    return redirect(url_for(".show", suspension_id=suspension.id))

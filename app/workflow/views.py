"""发展流程 pages: add an applicant, a person's 25 steps, one step's page with its actions,
取消发展 and 调整 (move back a stage). Views stay thin: the procedure lives in services and the diagram."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access import duties
from app.access.policy import allows
from app.attachments import services as attachments
from app.movebacks import services as movebacks
from app.notices import redirect_done
from app.people.models import Person
from app.scope import get_in_scope
from app.suspensions import services as suspensions
from app.transaction import CONFLICT_MESSAGE, attempt, keep_on_error
from app.workflow import binding, diagram, field_html, history, services, versions
from app.workflow.services import WorkflowError
from forms.codec import to_data
from forms.fields import iter_attachment_fields

bp = Blueprint("workflow", __name__, url_prefix="/process", template_folder="templates")
bp.add_app_template_global(binding.blank_entry, "blank_entry")
bp.add_app_template_global(field_html.field_row, "field_row")
bp.add_app_template_global(field_html.control, "control")
bp.add_app_template_global(field_html.label, "field_label")
bp.add_app_template_global(services.may_cancel_person, "may_cancel_person")
bp.add_app_template_global(services.list_move_back_choices, "list_move_back_choices")


def form_hashes(form) -> list[str]:
    """The files a form cites now (stored before, or just uploaded)."""
    return [] if form is None else [h for f in iter_attachment_fields(form) for h in f.data]


def form_files(form) -> dict:
    """sha → attachment row for the files a form cites now."""
    return attachments.describe(current_user, form_hashes(form))


@bp.route("/new", methods=["GET", "POST"])
def new_applicant():
    form = binding.form_for(services.application_form_key(), current_user,
                            formdata=request.form | request.files if request.method == "POST" else None)
    if request.method == "POST" and attachments.store_form_uploads(current_user, form):
        keep_on_error()  # files survive a refusal: the form shown again cites them
    if request.method == "POST" and form.validate():
        action = "save" if request.form.get("action") == "save" else "submit"
        try:
            with attempt():
                person = services.start_application(current_user, to_data(form), action)
        except WorkflowError as exc:
            binding.apply_errors(form, exc)
        else:
            flash("已保存" if action == "save" else "已提交，进入下一步骤")
            return redirect(url_for("workflow.person", person_id=person.id))
    status = 422 if request.method == "POST" else 200
    return render_template("workflow/new.html", form=form, files=form_files(form),
                           active_menu="process"), status


@bp.get("/<int:person_id>")
def person(person_id: int):
    ctx = services.load_in_scope(person_id, current_user)
    return _person_page(ctx.person, ctx=ctx)


def _person_page(person, status: int = 200, posted_reason: str = "", ctx=None, posted_form: str = "",
                 posted_errors=()):
    # posted_form names the dialog that was refused (cancel, move_back:<target>): it opens again with the
    # reason typed and the messages beside it.
    ctx = ctx or services.load(person)
    steps = services.step_rows(ctx)
    # A pending 调整申请 is always the person's newest (no second one while one is pending): one query for both.
    latest = movebacks.latest_request(person)
    pending = latest if latest is not None and latest.pending_person_id == person.id else None
    return render_template("workflow/person.html", person=person, ctx=ctx, steps=steps,
                           # The diagram view's markers only: the step list does not show them.
                           trail=diagram.trail(ctx.instance.process_version_id, ctx.wf)
                           if request.args.get("view") == "diagram" else None,
                           move_back=[] if pending else services.move_back_options(current_user, ctx),
                           move_back_request=latest, posted_reason=posted_reason,
                           posted_form=posted_form, posted_errors=list(posted_errors),
                           can_cancel=services.can_cancel(current_user, ctx),
                           can_suspend=suspensions.can_suspend(current_user, person), active_menu="process"), status


@bp.get("/versions/<int:version_id>/diagram.bpmn")
def version_xml(version_id: int):
    """A deployed diagram's XML for the viewer (diagrams are not scoped data: every account may read them)."""
    version = versions.get_version(version_id)
    if version.state == "draft" and not allows(current_user, "design", "manage"):
        abort(404)  # drafts are the designers' work in progress
    return Response(version.bpmn_xml, mimetype="application/xml",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"})


@bp.route("/<int:person_id>/steps/<int:step>", methods=["GET", "POST"])
def step(person_id: int, step: int):
    user = current_user._get_current_object()  # one proxy lookup, not one per use below
    ctx = services.load_in_scope(person_id, user)
    person = ctx.person
    view = services.step_view(user, ctx, step)
    if view is None:
        abort(404)
    form = review_form = None
    status = 200
    own_report = duties.OWN_REPORT if view.review_task and duties.reported_by(user, ctx, view.review_task) else ""
    if view.edit_task and view.actions:
        posted = request.method == "POST" and request.form.get("task_id") == view.edit_task.id
        form = binding.form_for(view.edit_task.form_key, user, person,
                                formdata=(request.form | request.files) if posted else None,
                                data=None if posted else view.data)
        if request.method == "POST":
            result = _post_edit(ctx, view, form)
            if not isinstance(result, int):
                return result
            status = result
    elif view.review_task and view.actions:
        review_form = binding.form_for("review", user, person,
                                       formdata=request.form if request.method == "POST" else None)
        if request.method == "POST":
            result = _post_review(ctx, view, review_form)
            if not isinstance(result, int):
                return result
            status = result
    elif request.method == "POST" and own_report:
        flash(own_report, "error")
        return redirect(url_for("workflow.step", person_id=person.id, step=step)), 303
    elif request.method == "POST":
        # The task was done by someone else meanwhile: the page as it stands now, with why, and what the
        # user typed (shown without actions, so nothing can be posted over the other person's work).
        flash(CONFLICT_MESSAGE + "，请查看最新状态", "error")
        if "opinion" in request.form:
            review_form = binding.form_for("review", user, person, formdata=request.form)
        else:
            form = binding.form_for(view.step.form_key, user, person, formdata=request.form | request.files)
        status = 409
    reviews = history.step_reviews(ctx.instance.id, view.step.review_name) if view.step.review_name else []
    # The stored files and the form's (the same ones on a GET): one lookup.
    files = attachments.describe(user, list(dict.fromkeys(services.attachment_hashes(view.data) + form_hashes(form))))
    return render_template("workflow/step.html", person=person, ctx=ctx, view=view, form=form,
                           review_form=review_form, reviews=reviews, files=files, own_report=own_report,
                           # The stored data read-only only where no form shows it (a second form binding else).
                           display=[] if form is not None else binding.readonly_sections(
                               view.step.form_key, view.data, user, person),
                           active_menu="process"), status


def _version_from_form() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


def _post_edit(ctx, view, form):
    action = request.form.get("action", "")
    if action not in view.actions:
        flash("不能执行该操作", "error")
        return 422
    form.context["action"] = action
    if attachments.store_form_uploads(current_user, form):
        keep_on_error()  # files survive a refusal: the form shown again cites them
    if not form.validate():
        return 422
    try:
        with attempt():
            services.act(current_user, ctx, view.edit_task.id, action, to_data(form),
                         expected_version=_version_from_form())
    except services.Conflict as exc:
        # The page again with the user's input kept (the form still holds what was posted).
        flash(exc.message, "error")
        return 409
    except WorkflowError as exc:
        binding.apply_errors(form, exc)
        return 422
    if action == "save":
        return redirect_done(action, "workflow.step", person_id=ctx.person.id, step=view.step.step)
    return redirect_done(action, "workflow.person", person_id=ctx.person.id)


def _post_review(ctx, view, form):
    action = request.form.get("action", "")
    if action not in view.actions:
        flash("不能执行该操作", "error")
        return 422
    form.validate()
    try:
        # The optimistic version check guards the write against a change since the page was shown.
        with attempt():
            services.act(current_user, ctx, view.review_task.id, action,
                         opinion=form.opinion.data or "", expected_version=_version_from_form())
    except services.Conflict as exc:
        flash(exc.message, "error")
        return 409
    except WorkflowError as exc:
        binding.apply_errors(form, exc)
        return 422
    return redirect_done(action, "workflow.person", person_id=ctx.person.id)


@bp.post("/<int:person_id>/cancel")
def cancel(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    return _simple_action(person, lambda ctx, hashes: services.cancel(
        current_user, ctx, request.form.get("reason", ""), hashes), "已取消发展，人员转入历史库", form="cancel")


@bp.post("/<int:person_id>/restore")
def restore(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    return _simple_action(person, lambda ctx, hashes: services.restore(
        current_user, ctx, request.form.get("reason", ""), hashes), "已恢复发展")


@bp.post("/<int:person_id>/move-back")
def move_back(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    return _simple_action(person, lambda ctx, hashes: movebacks.adjust(
        current_user, ctx, request.form.get("target", ""), request.form.get("reason", ""), hashes),
        lambda filed: "已提交调整申请，待县级审核" if filed else "已调整",
        form="move_back:" + request.form.get("target", ""))


def _simple_action(person, run, done_message: str, form: str = ""):
    try:
        # The answer is a redirect either way: a refusal must undo the stored files' rows itself.
        with attempt():
            hashes = attachments.store_uploads(current_user, [f for f in request.files.getlist("files") if f.filename])
            result = run(services.load(person), hashes)
    except services.Conflict as exc:
        # A lost race: the person's page as it stands now, with the message and the reason typed kept.
        flash(exc.message, "error")
        return _person_page(person, status=409, posted_reason=request.form.get("reason", ""), posted_form=form)
    except (WorkflowError, attachments.UploadError) as exc:
        messages = [m for msgs in getattr(exc, "fields", {}).values() for m in msgs] or [str(getattr(exc, "message", exc))]
        if form and not _from_list() and (getattr(exc, "fields", None) or isinstance(exc, attachments.UploadError)):
            # Refused input on the person page: its dialog again, the reason kept, the messages beside it
            # (a refusal of the action itself, not of what was typed, is a message on the page as before).
            return _person_page(person, status=422, posted_reason=request.form.get("reason", ""),
                                posted_form=form, posted_errors=messages)
        flash("；".join(messages), "error")
    else:
        flash(done_message(result) if callable(done_message) else done_message)
    return redirect(_back_to(person)), 303


def _from_list() -> str:
    """The 人员 list a row action was started from (a same-site list path), or ''."""
    target = request.form.get("next", "")
    if target.startswith("/people/") and "\\" not in target and "//" not in target and "@" not in target:
        return target
    return ""


def _back_to(person) -> str:
    """Where a row action returns: the list it was started from, else the person."""
    return _from_list() or url_for("workflow.person", person_id=person.id)

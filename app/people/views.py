"""发展流程 lists (one tab per stage, filtered by name and organisation) and 人员信息 (search, a person's
four basic-information tabs, editing them through the procedure's services), within scope."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.access.policy import allows
from app.attachments import services as attachments
from app.orgs.models import Organisation
from app.people import profile, services
from app.people.models import STAGES, Person
from app.scope import get_in_scope
from app.transaction import attempt
from app.workflow import binding, services as workflow
from app.workflow.services import WorkflowError

bp = Blueprint("people", __name__, url_prefix="/people", template_folder="templates")


@bp.get("/")
def stage_list():
    stage = request.args.get("stage", 1, type=int)
    stage = stage if stage in STAGES else 1
    org_id = request.args.get("org", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id else None
    name = request.args.get("name", "")
    page = services.stage_page(current_user, stage, name=name, org=org,
                               page=request.args.get("page", 1, type=int),
                               after=request.args.get("after", type=int), before=request.args.get("before", type=int))
    return render_template("people/stage_list.html", stages=STAGES, stage=stage, page=page, name=name,
                           org=org,
                           can_add=allows(current_user, "process", "act"), active_menu="process")


@bp.get("/info")
def info_list():
    q = request.args.get("q", "")
    org_id = request.args.get("org", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id else None
    page = profile.search(current_user, q, org=org, page=request.args.get("page", 1, type=int),
                          after=request.args.get("after", type=int), before=request.args.get("before", type=int))
    return render_template("people/info_list.html", page=page, q=q, org=org, active_menu="people")


@bp.get("/<int:person_id>/info")
def info(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    ctx = workflow.load(person)
    current = profile.tab(request.args.get("tab", 1))
    view = profile.tab_view(current_user, ctx, current)
    photo = profile.portrait(current_user, ctx)
    cited = [h for _, (kind, value) in view.rows if kind in ("files", "photo") for h in value]
    return render_template("people/profile.html", person=person, tabs=profile.TABS, current=current, view=view,
                           identity=profile.identity_rows(current_user, ctx) + profile.membership_rows(person), photo=photo,
                           files=attachments.describe(current_user, cited + ([photo] if photo else [])),
                           active_menu="people")


@bp.route("/<int:person_id>/info/<int:tab_no>/edit", methods=["GET", "POST"])
def info_edit(person_id: int, tab_no: int):
    person = get_in_scope(Person, person_id, current_user)
    ctx = workflow.load(person)
    current = profile.tab(tab_no)
    mode, why = profile.edit_mode(current_user, ctx, current)
    if not mode:
        abort(403, description=why)
    posted = request.method == "POST"
    form, view = profile.edit_form(current_user, ctx, current, request.form if posted else None)
    problems, status = {}, 422 if posted else 200
    if posted:
        if form.validate():
            try:
                with attempt():
                    _save(ctx, current, view, form, mode)
            except attachments.UploadError as exc:
                problems = {"correction_files": [str(exc)]}
            except WorkflowError as exc:
                status = exc.status if exc.status in (403, 409) else 422
                problems = {name: msgs for name, msgs in exc.fields.items() if name.startswith("correction_")}
                if not problems:
                    binding.apply_errors(form, exc)
            else:
                flash("已更正，事件时间线中记录了更正原因与依据材料" if mode == "correct"
                      else "已保存，发展流程中的相同信息已同步更新")
                return redirect(url_for("people.info", person_id=person.id, tab=current.no)), 303
        others = [f.label.text for name, f in form._fields.items()
                  if f.errors and name not in profile.editable_fields(view.form_key, current.section)]
        if others:
            flash("该步骤的其他信息不完整（" + "、".join(others) + "），请到发展流程中补充", "error")
    return render_template("people/info_edit.html", person=person, current=current, form=form,
                           names=profile.editable_fields(view.form_key, current.section), ctx=ctx,
                           step=profile.tab_step(current, ctx.instance.process_version_id),
                           mode=mode, sealed_reason=why, problems=problems,
                           posted_reason=request.form.get("correction_reason", ""),
                           active_menu="people"), status


def _save(ctx, current, view, form, mode: str) -> None:
    version = request.form.get("version", type=int)
    if mode == "correct":
        uploads = [f for f in request.files.getlist("correction_files") if f.filename]
        hashes = attachments.store_uploads(current_user, uploads)
        profile.save_correction(current_user, ctx, current, view.form_key, form,
                                reason=request.form.get("correction_reason", ""), attachments=hashes,
                                expected_version=version)
    else:
        profile.save_edit(current_user, ctx, current, view.form_key, form, version)

"""实名校验 pages: the list (tree + search), the entry form, 上报, 备案认证 and 不通过."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.attachments import services as attachments
from app.realname import services
from app.realname.forms import RealnameForm
from app.realname.models import RealnameRequest
from app.scope import get_in_scope
from app.transaction import attempt, keep_on_error
from app.workflow.binding import apply_errors, bind_form, readonly_sections
from app.workflow.services import WorkflowError, attachment_hashes
from forms.codec import to_data

bp = Blueprint("realname", __name__, url_prefix="/realname", template_folder="templates")
_FILTERS = ("name", "id_number", "phone", "org_name")


@bp.get("/")
def index():
    filters = {key: request.args.get(key, "") for key in _FILTERS}
    status = request.args.get("status", services.PENDING)
    status = status if status in services.STATUSES else ""
    org_id = request.args.get("org_id", type=int)
    page = services.request_page(current_user, page=request.args.get("page", 1, type=int), status=status,
                                 org_id=org_id, **filters)
    return render_template("realname/index.html", page=page, filters=filters, status=status, org_id=org_id,
                           statuses=services.STATUSES, tree=services.org_tree(current_user),
                           can_confirm=services.can_confirm(current_user), active_menu="realname")


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
def edit(request_id: int | None = None):
    row = get_in_scope(RealnameRequest, request_id, current_user) if request_id else None
    if request.method == "POST":
        form = bind_form(RealnameForm, current_user, formdata=request.form | request.files)
    else:
        data = dict(row.data, proof_scans=row.proof_scans) if row else {}
        form = bind_form(RealnameForm, current_user, data=data)
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and attachments.store_form_uploads(current_user, form):
        keep_on_error()  # files survive a refusal: the form shown again cites them
    if request.method == "POST" and form.validate():
        report = request.form.get("action") == "report"
        try:
            with attempt():
                row = services.save(current_user, to_data(form), row, report=report)
        except services.Conflict as exc:
            # A lost race (reported or decided meanwhile): the form again, input kept, with the message.
            flash(exc.message, "error")
            status = 409
        except WorkflowError as exc:
            apply_errors(form, exc)
        else:
            flash("已上报县级组织部门" if report else "已保存")
            return redirect(url_for(".show", request_id=row.id))
    files = attachments.describe(current_user, attachment_hashes(to_data(form)))
    return render_template("realname/form.html", form=form, row=row, files=files,
                           active_menu="realname"), status


@bp.get("/<int:request_id>")
def show(request_id: int):
    return _show(get_in_scope(RealnameRequest, request_id, current_user))


def _show(row, status: int = 200, posted_reason: str = ""):
    data = dict(row.data, proof_scans=row.proof_scans)
    files = attachments.describe(current_user, attachment_hashes(data))
    return render_template("realname/show.html", row=row, files=files, posted_reason=posted_reason,
                           display=readonly_sections(RealnameForm, data, current_user),
                           can_confirm=services.can_confirm(current_user), active_menu="realname"), status


@bp.post("/<int:request_id>/report")
def report(request_id: int):
    row = get_in_scope(RealnameRequest, request_id, current_user)
    return _act(row, lambda: services.report_request(current_user, row), "已上报县级组织部门")


@bp.post("/confirm")
def confirm():
    """备案认证 for the ticked requests; each runs in its own savepoint, so one refusal does not undo others."""
    ids = request.form.getlist("ids", type=int)
    if not ids:
        flash("请勾选需要认证的人员", "error")
    done = []
    for request_id in ids:
        row = get_in_scope(RealnameRequest, request_id, current_user)
        try:
            with attempt():
                services.confirm(current_user, row)
            done.append(row.name)
        except WorkflowError as exc:
            flash(f"{row.name}：{exc.message}；" + "；".join(m for ms in exc.fields.values() for m in ms), "error")
    if done:
        flash("已备案认证：" + "、".join(done) + "，已转入发展流程")
    return redirect(url_for(".index"))


@bp.post("/<int:request_id>/reject")
def reject(request_id: int):
    row = get_in_scope(RealnameRequest, request_id, current_user)
    return _act(row, lambda: services.reject(current_user, row, request.form.get("reason", "")), "已退回（不通过）")


def _act(row, action, message: str):
    try:
        # The answer is a redirect either way: a refusal must undo its own writes.
        with attempt():
            action()
    except services.Conflict as exc:
        # A lost race: the request's page as it stands now, with the message and the reason typed kept.
        flash(exc.message, "error")
        return _show(row, status=409, posted_reason=request.form.get("reason", ""))
    except WorkflowError as exc:
        if exc.status == 403:
            abort(403)
        flash("；".join([exc.message] + [m for ms in exc.fields.values() for m in ms]), "error")
    else:
        flash(message)
    return redirect(url_for(".show", request_id=row.id))

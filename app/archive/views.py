"""历史库 pages: the lists, and 【恢复发展】/【重新发展】 with a reason and files."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.archive import services
from app.attachments import services as attachments
from app.people.models import Person
from app.orgs.models import Organisation
from app.scope import get_in_scope
from app.transaction import attempt
from app.suspensions import services as suspensions
from app.transfers import services as transfers
from app.workflow.services import WorkflowError

bp = Blueprint("archive", __name__, url_prefix="/archive", template_folder="templates")


@bp.get("/")
def index():
    kind = request.args.get("kind", "cancelled")
    if kind not in services.KINDS:
        kind = "cancelled"
    name = request.args.get("name", "")
    org_id = request.args.get("org_id", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id else None
    page = services.archive_page(current_user, kind, request.args.get("page", 1, type=int), name, org)
    return render_template("archive/index.html", page=page, kind=kind, kinds=services.KINDS, name=name, org=org,
                           may_act=services.may_act(current_user), active_menu="history",
                           may_apply=lambda s: suspensions.can_apply(current_user, s))


@bp.get("/transfers/<int:sent_transfer_id>")
def transfer_record(sent_transfer_id: int):
    """历史库 → 转出 → 查看: the record as it stood at the transfer, read-only, for the sending side."""
    transfer = transfers.get_sent(current_user, sent_transfer_id)
    view, sections, files = transfers.sent_record(current_user, transfer)
    return render_template("archive/transfer_record.html", transfer=transfer, view=view, sections=sections,
                           files=files, active_menu="history")


def _action(person_id: int, run, done: str):
    person = get_in_scope(Person, person_id, current_user)
    try:
        # The answer is a redirect either way: a refusal must undo the stored files' rows itself.
        with attempt():
            hashes = attachments.store_uploads(current_user, [f for f in request.files.getlist("files") if f.filename])
            run(current_user, person, request.form.get("reason", ""), hashes)
    except WorkflowError as exc:
        if exc.status == 403:
            abort(403)
        flash("；".join(m for msgs in exc.fields.values() for m in msgs) or exc.message, "error")
    except attachments.UploadError as exc:
        flash(str(getattr(exc, "message", exc)), "error")
    else:
        flash(done)
    return redirect(url_for("archive.index", kind=request.form.get("kind", "cancelled"))), 303


@bp.post("/<int:person_id>/restore")
def restore(person_id: int):
    return _action(person_id, services.restore, "已恢复发展，该人员回到停止发展时的步骤")


@bp.post("/<int:person_id>/redevelop")
def redevelop(person_id: int):
    return _action(person_id, services.redevelop, "已重新发展：原记录已关闭并保留，可用该公民身份证号码重新录入入党申请")

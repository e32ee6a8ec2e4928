"""流程设计 pages: processes and versions, viewer, modeler, upload/download, compare, activate, migrate."""
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.deadlines.rules import due_bases
from app.designer import diff, forms, migration, services
from app.designer.services import DesignerError
from app.workflow.versions import get_version
from forms import FORMS

bp = Blueprint("designer", __name__, url_prefix="/designer", template_folder="templates")


def _render(template: str, status: int = 200, **context):
    return render_template(f"designer/{template}", active_menu="designer",
                           state_labels=services.STATE_LABELS, **context), status


@bp.get("/")
def index():
    form = forms.UploadForm()
    summaries = services.processes()
    form.process_id.choices = [("", "新流程（按文件中的流程 id）")] + [(s.process_id, s.name) for s in summaries]
    return _render("index.html", processes=summaries, form=form)


@bp.post("/upload")
def upload():
    form = forms.UploadForm()
    summaries = services.processes()
    form.process_id.choices = [("", "新流程（按文件中的流程 id）")] + [(s.process_id, s.name) for s in summaries]
    if form.validate():
        data = form.file.data.read(services.MAX_DIAGRAM_BYTES + 1)
        try:
            version = services.upload(current_user, form.file.data.filename, data, form.comment.data,
                                      form.process_id.data or "")
        except DesignerError as exc:
            form.file.errors = list(form.file.errors) + [exc.message]
        else:
            flash(f"已上传为第 {version.version} 版（草稿），请校验后启用")
            return redirect(url_for("designer.version", version_id=version.id)), 303
    return _render("index.html", 422, processes=summaries, form=form)


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    version = get_version(version_id)
    return _version_page(version)


def _version_page(version, status: int = 200, problems=None):
    others = [v for v in services.versions_of(version.process_id) if v.id != version.id]
    problems = services.check(version) if problems is None else problems
    return _render("version.html", status, version=version, others=others, problems=problems,
                   problem_marks={p.element_id: "changed" for p in problems if p.element_id},
                   running=services.running_counts().get(version.id, 0),
                   sources=migration.sources_for(version), refusals=services.refused_expressions(version))


@bp.get("/versions/<int:version_id>/download")
def download(version_id: int):
    version = get_version(version_id)
    filename = f"{version.process_id}-v{version.version}.bpmn"
    return Response(version.bpmn_xml, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/versions/<int:version_id>/activate")
def activate(version_id: int):
    version = get_version(version_id)
    try:
        services.activate(current_user, version)
    except DesignerError as exc:
        flash(exc.message, "error")
        return _version_page(get_version(version_id), 422, problems=exc.problems)
    flash(f"第 {version.version} 版已启用，新添加的人员将按此版本办理")
    return redirect(url_for("designer.version", version_id=version.id)), 303


@bp.get("/versions/<int:version_id>/edit")
def edit(version_id: int):
    version = get_version(version_id)
    return _render("modeler.html", version=version, form=forms.SaveForm(), form_keys=sorted(FORMS),
                   due_bases=due_bases())


@bp.post("/versions/<int:version_id>/save")
def save(version_id: int):
    """The modeler's 保存草稿 (fetch): JSON with the draft's page and its validation problems."""
    base = get_version(version_id)
    form = forms.SaveForm()
    if not form.validate():
        return jsonify(error="；".join(m for msgs in form.errors.values() for m in msgs)), 422
    try:
        draft = services.save_draft(current_user, base.process_id, form.xml.data.encode("utf-8"),
                                    form.comment.data, base=base)
    except DesignerError as exc:
        return jsonify(error=exc.message), 422
    return jsonify(version_id=draft.id, version=draft.version, url=url_for("designer.version", version_id=draft.id),
                   edit_url=url_for("designer.edit", version_id=draft.id),
                   problems=[str(p) for p in services.check(draft)])


@bp.post("/validate")
def validate():
    """The modeler's 校验 (and its live check while editing): the problems of the XML being edited, as text
    and by element (for the markers on the diagram), nothing stored."""
    from app.designer.validation import validate as run
    form = forms.SaveForm()
    if not form.validate():
        return jsonify(error="流程图为空"), 422
    problems = run(form.xml.data.encode("utf-8"), request.form.get("process_id", ""))
    return jsonify(problems=[str(p) for p in problems],
                   items=[{"element": p.element_id, "message": str(p)} for p in problems])


@bp.get("/compare")
def compare():
    old = get_version(request.args.get("a", type=int) or 0)
    new = get_version(request.args.get("b", type=int) or 0)
    if old.process_id != new.process_id:
        abort(404)
    changes = diff.compare(old.bpmn_xml, new.bpmn_xml)
    return _render("compare.html", old=old, new=new, changes=changes, marks=diff.marks(changes),
                   versions=services.versions_of(old.process_id))


@bp.route("/versions/<int:version_id>/migrate", methods=["GET", "POST"])
def migrate(version_id: int):
    target = get_version(version_id)
    source = get_version(request.values.get("from", type=int) or 0)
    try:
        if request.method == "POST":
            ids = None if request.form.get("scope") == "all" else request.form.getlist("person_id")
            if ids == []:
                raise DesignerError("请选择要迁移的人员")
            outcomes = migration.migrate(current_user, source, target, ids)
            moved = sum(1 for c in outcomes if c.ok)
            flash(f"已迁移 {moved} 人；{len(outcomes) - moved} 人不能迁移", "error" if moved < len(outcomes) else "message")
            return redirect(url_for("designer.migrate", version_id=target.id, **{"from": source.id})), 303
        candidates = migration.preview(current_user, source, target)
    except DesignerError as exc:
        # A refusal raised before migrate() wrote anything: the redirect commits nothing.
        flash(exc.message, "error")
        return redirect(url_for("designer.version", version_id=target.id)), 303
    return _render("migrate.html", source=source, target=target, candidates=candidates,
                   steps=migration.step_moves(source, target, candidates), limit=migration.PREVIEW_LIMIT)

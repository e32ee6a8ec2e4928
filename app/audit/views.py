"""审计 pages: choose a person, timeline, replay as of event N, verification, export and dossier,
and the operations log. Every page only reads; the CLI group ``flask audit`` is attached here too."""
import json

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.audit import bundle, cli, services
from app.audit.verify import KIND_LABELS
from app.auth.roles import role_label
from app.access.policy import allows, may_read_detail
from app.attachments import services as attachments
from app.jobs import services as jobs
from app.jobs.tasks import verify_scope_job
from app.people.models import Person

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates", cli_group="audit")
cli.register(bp)


def _person(person_id: int) -> Person:
    return services.audited_person(current_user, person_id)


@bp.get("/")
def index():
    query = request.args.get("q", "")
    page = services.people_page(current_user, query, request.args.get("page", 1, type=int),
                                after=request.args.get("after", type=int), before=request.args.get("before", type=int))
    return render_template("audit/index.html", page=page, q=query, show_oplog=allows(current_user, "oplog", "read"),
                           active_menu="audit")


@bp.get("/people/<int:person_id>")
def timeline(person_id: int):
    person = _person(person_id)
    filters = services.TimelineFilter.from_args(request.args)
    rows = services.timeline(person, filters, current_user)
    files = attachments.describe(current_user, sorted({h for row in rows for h in row.event.attachments or []}))
    return render_template("audit/timeline.html", person=person, rows=rows, files=files, filters=filters, actions=services.actions_of(person),
                           active_menu="audit")


@bp.get("/people/<int:person_id>/replay")
def replay(person_id: int):
    person = _person(person_id)
    view = services.state_at(person, request.args.get("n", type=int))
    sections, files = services.step_display(current_user, person, view)
    return render_template("audit/replay.html", person=person, view=view,
                           sections=sections, files=files, titles=services.task_titles(person),
                           role_label=role_label, active_menu="audit")


@bp.get("/versions/<int:version_id>.bpmn")
def diagram(version_id: int):
    try:
        xml = services.diagram_xml(version_id)
    except LookupError:
        abort(404)
    return Response(xml, mimetype="application/xml")


@bp.get("/people/<int:person_id>/verify")
def verify_person(person_id: int):
    person = _person(person_id)
    report = services.verify_person(current_user, person)
    return render_template("audit/verify.html", report=report, person=person, kinds=KIND_LABELS,
                           active_menu="audit")


@bp.get("/verify")
def verify_scope():
    return render_template("audit/verify.html", report=None, person=None, kinds=KIND_LABELS, active_menu="audit")


@bp.post("/verify")
def verify_scope_start():
    # A county holds thousands of instances: the worker verifies them, the job page shows progress.
    job = jobs.start(current_user, "audit.verify", verify_scope_job)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/people/<int:person_id>/export.json")
def export(person_id: int):
    person = _person(person_id)
    data = bundle.build(person, current_user)
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=record-{person.id}-{person.instance_id}.json"})


def _dossier_html(person: Person, printable_pdf: bool) -> str:
    view, steps = services.dossier(current_user, person)
    return render_template("audit/dossier.html", person=person, view=view, steps=steps, pdf=printable_pdf)


@bp.get("/people/<int:person_id>/dossier")
def dossier(person_id: int):
    person = _person(person_id)
    html = _dossier_html(person, False)
    services.log_dossier(current_user, person, "html")
    return html


@bp.get("/people/<int:person_id>/dossier.pdf")
def dossier_pdf(person_id: int):
    from app.printing.pdf import render_pdf
    person = _person(person_id)
    try:
        pdf = render_pdf(_dossier_html(person, True), base_url=request.url_root)
    except RuntimeError as exc:
        abort(503, description=str(exc))
    services.log_dossier(current_user, person, "pdf")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=dossier-{person.id}.pdf"})


@bp.get("/operations")
def operations():
    filters = services.TimelineFilter.from_args(request.args)
    page = services.operations_page(current_user, filters, request.args.get("page", 1, type=int),
                                    after=request.args.get("after", type=int),
                                    before=request.args.get("before", type=int))
    return render_template("audit/operations.html", page=page, filters=filters,
                           actions=services.operation_actions(), role_label=role_label,
                           active_menu="oplog",
                           detail_visible=lambda action: may_read_detail(current_user, action),
                           filter_args=filters.as_args())

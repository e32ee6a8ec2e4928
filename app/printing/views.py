"""采集表 pages: blank template and a person's sheet for a stage, as print-ready HTML and as PDF."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, request, url_for
from flask_login import current_user

from app.people import profile
from app.people.models import Person
from app.printing import services
from app.printing.pdf import render_pdf
from app.scope import get_in_scope
from app.workflow import services as workflow

bp = Blueprint("printing", __name__, url_prefix="/printing", template_folder="templates")


def _tab() -> profile.ProfileTab:
    return profile.tab(request.args.get("stage", 1))


def _pdf(html: str, name: str) -> Response:
    try:
        body = render_pdf(html)
    except RuntimeError as exc:
        abort(503, description=str(exc))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.pdf"})


def _person_sheet(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    return services.person_sheet(current_user, workflow.load(person), _tab())


@bp.get("/template")
def template():
    tab = _tab()
    return services.sheet_html(services.blank_sheet(tab), pdf_url=url_for("printing.template_pdf", stage=tab.no))


@bp.get("/template.pdf")
def template_pdf():
    tab = _tab()
    return _pdf(services.sheet_html(services.blank_sheet(tab), for_pdf=True), tab.sheet_title + "模板")


@bp.get("/person/<int:person_id>")
def person_sheet(person_id: int):
    sheet = _person_sheet(person_id)
    return services.sheet_html(sheet, pdf_url=url_for("printing.person_sheet_pdf", person_id=person_id,
                                                      stage=sheet.tab.no))


@bp.get("/person/<int:person_id>.pdf")
def person_sheet_pdf(person_id: int):
    sheet = _person_sheet(person_id)
    return _pdf(services.sheet_html(sheet, for_pdf=True), f"{sheet.title}-{sheet.person_name}")

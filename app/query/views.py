"""综合查询 pages: the condition form with its results, the .xlsx export, and 下载证明材料."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.jobs import services as jobs
from app.jobs.tasks import query_export_job
from app.orgs.models import Organisation
from app.people.models import Person
from app.query import catalogue, export, services
from app.scope import get_in_scope

bp = Blueprint("query", __name__, url_prefix="/query", template_folder="templates")


def _sort():
    sort = request.args.get("sort", "newest")
    return (sort if sort in services.SORTS else "newest"), request.args.get("dir") == "desc"


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def _org():
    org_id = request.args.get("org", type=int)
    return get_in_scope(Organisation, org_id, current_user) if org_id else None


@bp.get("/")
def index():
    org = _org()
    conditions = services.parse_conditions(request.args)
    errors = any(c.error for c in conditions)
    sort, descending = _sort()
    result = None
    if "search" in request.args and not errors:
        result = services.search(current_user, conditions, sort=sort, descending=descending,
                                 page=request.args.get("page", 1, type=int), org=org)
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return render_template("query/index.html", conditions=conditions, result=result, sort=sort, org=org,
                           descending=descending, sorts=services.SORTS, modes=catalogue.MODES,
                           fields=catalogue.catalogue(), field_groups=catalogue.grouped(), fields_json=catalogue.as_json(),
                           base_keys=catalogue.BASE_KEYS, modes_for=catalogue.modes_for,
                           ethnicity_labels=dict(catalogue.by_key()["person.ethnicity"].choices), args=args, count_cap=services.COUNT_CAP,
                           active_menu="query"), 422 if errors else 200


def _valid_conditions():
    conditions = services.parse_conditions(request.args)
    if any(c.error for c in conditions):
        abort(400)
    return conditions


@bp.get("/export.xlsx")
def export_xlsx():
    conditions = _valid_conditions()
    sort, descending = _sort()
    body, _ = export.result_xlsx(current_user, conditions, sort=sort, descending=descending, org=_org())
    return _download(body, "综合查询结果.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/export-job")
def export_job():
    # Up to EXPORT_CAP rows: the worker writes the workbook, the job page shows progress and the file.
    _valid_conditions()
    _org()  # an organisation out of scope is refused here (404), not in the worker
    sort, descending = _sort()
    job = jobs.start(current_user, "query.export", query_export_job,
                     {"args": request.args.to_dict(flat=False), "sort": sort, "descending": descending})
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/evidence/<int:person_id>.zip")
def evidence(person_id: int):
    person = get_in_scope(Person, person_id, current_user)
    body, _ = export.evidence_zip(current_user, person)
    return _download(body, f"{person.name}-证明材料.zip", "application/zip")

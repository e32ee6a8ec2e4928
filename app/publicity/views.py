"""The public 党务公开 board: no login, no cookie, nothing personal beyond the name a 公示 publishes."""
from flask import Blueprint, abort, make_response, render_template, request, send_file

from app.attachments.services import file_path
from app.extensions import db
from app.orgs.models import Organisation
from app.publicity import projection  # noqa: F401  (registers the projection with the runner)
from app.publicity import services
from app.security_headers import SANDBOX_CSP
from app.timeutil import local_today

bp = Blueprint("publicity", __name__, url_prefix="/gongkai", template_folder="templates")

# Notices change a few times a day; a short shared cache absorbs a crowd without showing stale periods long.
CACHE_SECONDS = 300
_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def _public(response):
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/")
def index():
    return _public(make_response(render_template("publicity/index.html", orgs=services.boards_index())))


# The argument is not called org_id: a board is public, not an object within somebody's scope.
@bp.get("/<int:board_id>")
def board(board_id: int):
    org = db.session.get(Organisation, board_id)
    if org is None:
        abort(404)
    today = local_today()
    notices = services.current_notices(org, today)
    page = render_template("publicity/board.html", org=org, today=today, notices=notices,
                           orgs=services.organisations_named(notices), files=services.board_files(notices),
                           limit=services.BOARD_LIMIT, feedback=services.FEEDBACK_TEXT)
    return _public(make_response(page))


@bp.get("/<int:notice_id>/files/<int:number>")
def notice_file(notice_id: int, number: int):
    found = services.listed_file(notice_id, number, local_today())
    if found is None:
        abort(404)
    digest, mime = found
    response = send_file(file_path(digest), mimetype=mime, download_name=f"公示材料{number}{_SUFFIX.get(mime, '')}",
                         as_attachment=not mime.startswith("image/"), max_age=CACHE_SECONDS)
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    return _public(response)

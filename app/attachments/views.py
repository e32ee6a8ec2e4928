"""Download of stored files, only within scope; upload for the API and the forms."""
import re

from flask import Blueprint, abort, send_file
from flask_login import current_user

from app.attachments import services
from app.security_headers import SANDBOX_CSP

bp = Blueprint("attachments", __name__, url_prefix="/attachments")
_HASH = re.compile(r"^[0-9a-f]{64}$")
# Only pictures open in the browser; a PDF (scripts, forms, links) is saved, never rendered on our origin.
_INLINE = {"image/jpeg", "image/png"}


@bp.get("/<sha256>")
def download(sha256: str):
    if not _HASH.match(sha256):
        abort(404)
    row = services.find_visible(current_user, sha256)
    if row is None:
        abort(404)
    response = send_file(services.file_path(sha256), mimetype=row.mime, download_name=row.filename,
                         as_attachment=row.mime not in _INLINE, max_age=0)
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    return response

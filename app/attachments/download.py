"""Sending a stored file to someone who may read it: one answer for the page and the API."""
import re

from flask import abort, send_file

from app.attachments import services
from app.security_headers import SANDBOX_CSP

_HASH = re.compile(r"^[0-9a-f]{64}$")
# Only pictures open in the browser; a PDF (scripts, forms, links) is saved, never rendered on our origin.
_INLINE = {"image/jpeg", "image/png"}


def send_visible(actor, sha256: str):
    """The file's bytes with its type, name and a sandboxing CSP, or 404 when ``actor`` may not read it
    (an unknown hash and one outside the actor's scope look the same)."""
    if not _HASH.match(sha256):
        abort(404)
    row = services.find_visible(actor, sha256)
    if row is None:
        abort(404)
    response = send_file(services.file_path(sha256), mimetype=row.mime, download_name=row.filename,
                         as_attachment=row.mime not in _INLINE, max_age=0)
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    return response

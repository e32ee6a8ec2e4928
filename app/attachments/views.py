"""Download of stored files, only within scope (the page and the API answer through ``send_visible``)."""
from flask import Blueprint
from flask_login import current_user

from app.attachments.download import send_visible

bp = Blueprint("attachments", __name__, url_prefix="/attachments")


@bp.get("/<sha256>")
def download(sha256: str):
    return send_visible(current_user, sha256)

"""短信发件箱: the messages the system has sent, for the 安全员: recipient, purpose, time and status, never the text
(a reset code shown here would let the 安全员 take over any account in their subtree)."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from app.sms import services

bp = Blueprint("sms", __name__, url_prefix="/sms", template_folder="templates")


@bp.get("/outbox")
def outbox():
    page = services.outbox_page(current_user, request.args.get("page", 1, type=int))
    return render_template("sms/outbox.html", page=page, labels=services.PURPOSE_LABELS,
                           statuses=services.STATUS_LABELS,
                           sender=services.sender_name(), active_menu="sms")

"""党员信息同步 pages: the deliveries of the registry's and e支部's events (待发送 / 已送达 / 发送失败) and 重试."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.registry import cli, delivery, services
from app.registry.events import Destination, label_of
from app.vocab.statuses import TransitionRefused

bp = Blueprint("registry", __name__, url_prefix="/registry", template_folder="templates", cli_group="registry")
cli.register(bp)


@bp.get("/deliveries")
def deliveries():
    status = request.args.get("status", "pending")
    status = status if status in services.TABS else "pending"
    page = services.deliveries_page(current_user, status, page=request.args.get("page", 1, type=int))
    return render_template("registry/deliveries.html", page=page, status=status, tabs=services.TABS,
                           counts=services.counts(current_user), label_of=label_of, destinations=Destination,
                           unconfigured=[(d, delivery.ENDPOINTS[d.value][0]) for d in Destination
                                         if not delivery.endpoint(d.value)],
                           active_menu="registry")


@bp.post("/deliveries/<int:event_id>/retry")
def retry(event_id: int):
    row = services.get_event(current_user, event_id)
    try:
        services.retry(current_user, row)
    except TransitionRefused:
        flash("该事件已送达，无需重试", "error")
        return redirect(url_for("registry.deliveries", status=row.status))
    flash(f"已重新排队发送：{row.person_name} {label_of(row.kind)}")
    return redirect(url_for("registry.deliveries", status="pending"))

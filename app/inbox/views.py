"""待办事项: the tasks waiting for the user."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from app.auth.roles import admin_rank
from app.deadlines.rules import urgency
from app.inbox import services
from app.timeutil import local_today

bp = Blueprint("inbox", __name__, url_prefix="/inbox", template_folder="templates")


@bp.get("/")
def index():
    views = dict(services.VIEWS) if admin_rank(current_user.role) > 0 else {"mine": services.VIEWS["mine"]}
    view = request.args.get("view", "mine")
    view = view if view in views else "mine"
    sort = "due" if request.args.get("sort") == "due" else "arrived"
    page = services.inbox_page(current_user, view, page=request.args.get("page", 1, type=int), sort=sort)
    return render_template("inbox/index.html", page=page, view=view, views=views, sort=sort,
                           stage_label=services.stage_label, task_url=services.task_url,
                           urgency=urgency, today=local_today(), active_menu="inbox")

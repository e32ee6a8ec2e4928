"""待办事项: the tasks waiting for the user."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from app.auth.roles import admin_rank
from app.deadlines.rules import urgency
from app.inbox import services
from app.timeutil import local_today
from app.orgs.models import Organisation
from app.scope import get_in_scope
from app.workflow.services import step_catalogue
from app.workflow.versions import DEVELOPMENT, active_version

bp = Blueprint("inbox", __name__, url_prefix="/inbox", template_folder="templates")


def step_choices() -> list[tuple[int, str]]:
    """(step, title) of the active development diagram, for the 待办任务 filter."""
    return [(s.step, s.title) for s in step_catalogue(active_version(DEVELOPMENT).id)]


@bp.get("/")
def index():
    views = dict(services.VIEWS) if admin_rank(current_user.role) > 0 else {"mine": services.VIEWS["mine"]}
    view = request.args.get("view", "mine")
    view = view if view in views else "mine"
    sort = "due" if request.args.get("sort") == "due" else "arrived"
    org_id = request.args.get("org", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id else None
    name = request.args.get("name", "")[:60]
    step = request.args.get("step", type=int)
    page = services.inbox_page(current_user, view, page=request.args.get("page", 1, type=int), sort=sort,
                               name=name, step=step, org=org)
    return render_template("inbox/index.html", page=page, view=view, views=views, sort=sort, org=org, name=name,
                           step=step, steps=step_choices(),
                           stage_label=services.stage_label, task_url=services.task_url,
                           urgency=urgency, today=local_today(), active_menu="inbox")

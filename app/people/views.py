"""发展流程 lists: one tab per stage, filtered by name and organisation, within scope."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from app.orgs.models import Organisation
from app.people import services
from app.people.models import STAGES
from app.scope import get_in_scope
from app.workflow.services import can_add_applicant

bp = Blueprint("people", __name__, url_prefix="/people", template_folder="templates")


@bp.get("/")
@login_required
def stage_list():
    stage = request.args.get("stage", 1, type=int)
    stage = stage if stage in STAGES else 1
    org_id = request.args.get("org", type=int)
    org = get_in_scope(Organisation, org_id, current_user) if org_id else None
    name = request.args.get("name", "")
    page = services.stage_page(current_user, stage, name=name, org=org,
                               page=request.args.get("page", 1, type=int))
    return render_template("people/stage_list.html", stages=STAGES, stage=stage, page=page, name=name,
                           org=org, orgs=services.filter_orgs(current_user),
                           can_add=can_add_applicant(current_user), active_menu="process")

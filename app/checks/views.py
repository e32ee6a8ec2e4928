"""逻辑校验 pages: counts per check for an organisation and its children, then the failing persons."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app.checks import services
from app.checks.catalogue import BY_ID, CATALOGUE
from app.orgs.models import Organisation
from app.scope import get_in_scope
from app.timeutil import local_today

bp = Blueprint("checks", __name__, url_prefix="/checks", template_folder="templates", cli_group="checks")


@bp.cli.command("rebuild-facts")
def rebuild_facts_command():
    """Rebuild every person's check facts from their process data (after upgrading an existing database)."""
    import click
    from app.checks.rebuild import rebuild_all
    click.echo(f"已重建 {rebuild_all()} 名人员的校验数据")


def _org() -> Organisation:
    org_id = request.args.get("org", type=int)
    return get_in_scope(Organisation, org_id, current_user) if org_id else current_user.org


@bp.get("/")
def index():
    org = _org()
    counts = services.failing_counts(current_user, org, local_today())
    return render_template("checks/index.html", org=org, catalogue=CATALOGUE,
                           trail=services.org_trail(current_user, org), counts=counts.total,
                           children=counts.children, active_menu="checks")


@bp.get("/<check_id>")
def persons(check_id: str):
    org = _org()
    check = BY_ID.get(check_id) or abort(404)
    page = services.failing_persons(current_user, org, check, local_today(),
                                    page=request.args.get("page", 1, type=int))
    return render_template("checks/persons.html", org=org, check=check, page=page,
                           trail=services.org_trail(current_user, org),
                           upper=services.upper_orgs(page.items), evidence=services.evidence(check, page.items),
                           active_menu="checks")

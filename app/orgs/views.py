"""Organisation pages: list the subtree, create, rename, move (county admins and above)."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("orgs", __name__, url_prefix="/orgs", template_folder="templates")


@bp.get("/")
@login_required
def index():
    return render_template("pending.html", item=type("I", (), {"key": "orgs", "label": "组织管理"}),
                           planned="组织管理")

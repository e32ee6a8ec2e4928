"""Menu entries whose features are not built yet. They say so plainly instead of faking a page."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from app.menu import MENU, may_use

bp = Blueprint("pending", __name__, url_prefix="/pending")

_PLANNED = {
    "realname": "实名校验（§2.10）",
}


def _page(key: str):
    if not may_use(current_user, key):
        abort(403)
    item = next(i for i in MENU if i.key == key)
    return render_template("pending.html", item=item, planned=_PLANNED[key])


for _key in _PLANNED:
    bp.add_url_rule(f"/{_key}", _key, login_required(lambda _key=_key: _page(_key)))

"""The home page (send each user to where their work starts) and the site icon."""
from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user

from app.menu import menu_for

bp = Blueprint("main", __name__, template_folder="templates")


@bp.get("/")
def index():
    user = current_user._get_current_object()  # one proxy lookup, not one per menu entry the policy checks
    items = menu_for(user)
    if items:
        return redirect(url_for(items[0].endpoint))
    # A signed-in account whose role opens no page (a system account): say so rather than loop to login.
    return render_template("main/no_pages.html") if user.is_authenticated else redirect(url_for("auth.login"))


@bp.get("/favicon.ico")
def favicon():
    """The browser's tab icon, asked for at the site root whatever the page links."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)

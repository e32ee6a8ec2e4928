"""The home page (send each user to where their work starts) and the site icon."""
from flask import Blueprint, current_app, redirect, send_from_directory, url_for
from flask_login import current_user

from app.menu import menu_for

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    items = menu_for(current_user)
    return redirect(url_for(items[0].endpoint) if items else url_for("auth.login"))


@bp.get("/favicon.ico")
def favicon():
    """The browser's tab icon, asked for at the site root whatever the page links."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)

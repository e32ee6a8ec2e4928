"""The home page: send each user to where their work starts."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user

from app.menu import menu_for

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    items = menu_for(current_user)
    return redirect(url_for(items[0].endpoint) if items else url_for("auth.login"))

"""(being built)"""
from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people", template_folder="templates")


@bp.get("/")
def stage_list():
    return "people"

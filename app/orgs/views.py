"""Organisation pages: list the subtree, create, rename, move (county admins and above).

安全员 may look at the tree (they bind accounts to organisations) but not change it.
"""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.access.policy import allows
from app.orgs import services
from app.orgs.forms import CreateOrgForm, MoveOrgForm, RenameOrgForm, target_choices
from app.orgs.models import LEVELS, Organisation
from app.orgs.services import OrgError
from app.scope import get_in_scope

bp = Blueprint("orgs", __name__, url_prefix="/orgs", template_folder="templates")


def _changeable(org_id: int) -> Organisation:
    org = get_in_scope(Organisation, org_id, current_user)
    if not services.may_change(org, current_user):
        abort(403, "本级组织由上级组织部门维护，不能在此修改")
    return org


def _add_error(form, error: OrgError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(str(error))


def _render_form(org: Organisation, form, **context):
    status = 422 if request.method == "POST" else 200
    return render_template("orgs/form.html", org=org, form=form,
                           ancestors=services.ancestors_in_scope(org, current_user), **context), status


@bp.get("/")
def index():
    return _show(current_user.org_id)


@bp.get("/tree.json")
def tree():
    """The organisation-tree component's data: ?parent=ID its children, ?q=TEXT a search, else the user's own."""
    text = request.args.get("q", "").strip()[:50]
    if text:
        return jsonify(services.tree_search(text, current_user))
    parent_id = request.args.get("parent")
    parent = get_in_scope(Organisation, parent_id, current_user) if parent_id else None
    return jsonify(services.tree_children(parent, current_user))


@bp.get("/<int:org_id>")
def show(org_id: int):
    return _show(org_id)


def _show(org_id: int):
    org = get_in_scope(Organisation, org_id, current_user)
    manage = allows(current_user, "orgs", "manage")
    return render_template(
        "orgs/show.html", org=org, rows=services.subtree_rows(org, current_user),
        ancestors=services.ancestors_in_scope(org, current_user), tree_depth=services.TREE_DEPTH,
        can_create=manage and bool(services.child_levels(org)),
        can_change=manage and services.may_change(org, current_user))


@bp.route("/<int:org_id>/new", methods=["GET", "POST"])
def create(org_id: int):
    parent = get_in_scope(Organisation, org_id, current_user)
    form = CreateOrgForm()
    form.level.choices = [(level, LEVELS[level]) for level in services.child_levels(parent)]
    if form.validate_on_submit():
        try:
            org = services.create_org(form.name.data, form.level.data, parent, actor=current_user)
        except OrgError as error:
            _add_error(form, error)
        else:
            flash(f"已在“{parent.name}”下新建{org.level_label}“{org.name}”")
            return redirect(url_for(".show", org_id=parent.id))
    return _render_form(parent, form, heading=f"新建下级组织：{parent.name}", submit="新建",
                        fields=[form.name, form.level],
                        empty=None if form.level.choices else f"{parent.level_label}之下不能再设下级组织")


@bp.route("/<int:org_id>/rename", methods=["GET", "POST"])
def rename(org_id: int):
    org = _changeable(org_id)
    form = RenameOrgForm(data={"name": org.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.rename_org(org, form.name.data, actor=current_user)
        except OrgError as error:
            _add_error(form, error)
        else:
            flash(f"已将组织更名为“{org.name}”")
            return redirect(url_for(".show", org_id=org.id))
    return _render_form(org, form, heading=f"重命名：{org.name}", submit="保存", fields=[form.name])


@bp.route("/<int:org_id>/move", methods=["GET", "POST"])
def move(org_id: int):
    org = _changeable(org_id)
    form = MoveOrgForm()
    form.parent_id.choices = target_choices(services.move_targets(org, current_user),
                                            current_user.org.depth)
    if form.validate_on_submit():
        try:
            services.move_org_in_scope(org, form.parent_id.data, current_user)
        except OrgError as error:
            _add_error(form, error)
        else:
            flash(f"已将“{org.name}”及其下级组织移至“{org.parent.name}”之下")
            return redirect(url_for(".show", org_id=org.id))
    return _render_form(org, form, heading=f"移动组织：{org.name}", submit="移动",
                        fields=[form.parent_id],
                        note="移动后，该组织的全部下级组织及其人员、待办事项随之移动。",
                        empty=None if len(form.parent_id.choices) > 1 else "没有可以移入的上级组织")

"""Binding a user task to its WTForms form: which class, which choices, which database checks."""
from flask import abort, flash
from forms import get_form_class
from forms.codec import from_data, from_json
from forms.members import NO_PICK

from app.extensions import db
from app.orgs.models import Organisation
from app.orgs.services import branches_in_scope, children
from app.roster import services as roster
from app.transaction import attempt
from app.workflow import services


def _context(actor, person) -> dict:
    # Checks that need the database, handed to the forms package so it never imports the app.
    def org_level(org_id):
        org = db.session.get(Organisation, org_id) if org_id else None
        return org.level if org is not None and org.path.startswith(actor.org.path) else None

    def pick_member(key, role):
        # R06/R09 for a member picked from the 党员名册 of the person's branch: (name and 入党日期, refusal).
        member = roster.member_by_key(person.org, key) if person is not None and person.org else None
        if member is None:
            return None, "该党员不在本支部党员名册中"
        return {"name": member.name, "join_date": member.join_date}, roster.serving_refusal(member, role)

    return {"id_number_taken": lambda value: services.id_number_taken(value, getattr(person, "id", None)),
            "org_level": org_level, "pick_member": pick_member}


def _prepare(form, actor, person=None):
    if "org_id" in form._fields:
        form.org_id.choices = [(org.id, org.name) for org in branches_in_scope(actor)]
    org_choices = getattr(form, "org_choices", {})
    if org_choices and person is not None and person.org is not None:
        # E.g. 编入党小组: the person's branch's 党小组 in the organisation tree after the field's own first
        # choice ("none"); a posted id outside them is refused by the choices.
        below = children(person.org)
        for name, level in org_choices.items():
            form[name].choices = form[name].choices[:1] + [(str(org.id), org.name) for org in below
                                                            if org.level == level]
    picks = getattr(form, "roster_picks", {})
    if picks and person is not None and person.org is not None:
        members = roster.branch_members(person.org)
        for name in picks:
            rows = form[name]
            choices = [NO_PICK] + [
                (m.key, f"{m.name}（{m.category}{'，留党察看' if m.on_watch else ''}）") for m in members]
            for entry in rows.entries:
                entry.form.member.choices = choices
            rows.sub_choices = {"member": choices}  # for the blank row the page copies (blank_entry)
    return form


def form_for(form_key: str, actor, person=None, *, data: dict | None = None, formdata=None,
             payload: dict | None = None, **kwargs):
    """A form instance for a task: from stored ``data`` (GET), posted ``formdata``, or an API ``payload``."""
    return bind_form(get_form_class(form_key), actor, person, data=data, formdata=formdata, payload=payload,
                     **kwargs)


def bind_form(form_cls, actor, person=None, *, data: dict | None = None, formdata=None,
              payload: dict | None = None, **kwargs):
    """Like ``form_for`` for a given form class (a subclass of a step form used outside the diagram)."""
    context = _context(actor, person)
    if payload is not None:
        form = from_json(form_cls, payload, context=context, **kwargs)
    elif formdata is not None:
        form = form_cls(formdata=formdata, context=context, **kwargs)
    else:
        form = from_data(form_cls, data or {}, context=context, **kwargs)
    return _prepare(form, actor, person)


def readonly_sections(form_key, data: dict, actor, person=None) -> list[tuple[str, list]]:
    """(section title, [(label, value)]) for showing a step's stored data without a form.

    ``form_key`` is a task's form key or a form class.

    ``value`` is a string, a list of hashes for attachments ("files", or "photo" for a portrait), or a list of row lists for
    repeating groups ("rows").
    """
    from wtforms import FieldList, SelectField

    from forms.fields import AttachmentField
    form_cls = form_key if isinstance(form_key, type) else get_form_class(form_key)
    form = bind_form(form_cls, actor, person, data=data, meta={"csrf": False})

    def show(field):
        if isinstance(field, AttachmentField):
            return ("photo" if field.portrait else "files", list(field.data or []))
        if isinstance(field, FieldList):
            return ("rows", [[(sub.label.text, show(sub)) for sub in entry.form] for entry in field.entries])
        if isinstance(field, SelectField):
            return ("text", choice_label(field))
        value = field.data
        return ("text", "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value)))

    sections = getattr(form, "sections", None) or [("", [n for n in form._fields if n != "csrf_token"])]
    return [(title, [(form[name].label.text, show(form[name])) for name in names if name in form._fields])
            for title, names in sections]


def choice_label(field) -> str:
    """What a select field's stored value reads as: its label, blank when nothing was chosen (never the
    placeholder 请选择), the value itself when a code list no longer has it."""
    if field.data in (None, ""):
        return ""
    labels = dict((str(v), label) for v, label in field.choices or [] if v != "")
    return str(labels.get(str(field.data), field.data))


def blank_entry(field_list):
    """A detached empty row of a repeating group, indexed ``__INDEX__`` for the page's 添加 button."""
    # Mirrors FieldList._add_entry without touching the list's entries or last_index.
    field = field_list.unbound_field.bind(
        form=None, name=f"{field_list.name}{field_list._separator}__INDEX__",
        id=f"{field_list.id}{field_list._separator}__INDEX__", _meta=field_list.meta,
        translations=field_list._translations)
    field.process(None)
    for name, choices in getattr(field_list, "sub_choices", {}).items():
        field.form[name].choices = choices
    return field


def apply_errors(form, exc) -> None:
    """Put a refused action's messages (``WorkflowError.fields``) beside the fields they concern; flash the
    ones that name no field of the form, or the message itself when no field is named."""
    for name, messages in exc.fields.items():
        if name in form._fields:
            form[name].errors = list(form[name].errors) + list(messages)
        else:
            flash("；".join(messages), "error")
    if not exc.fields:
        flash(exc.message, "error")


def decide_from_form(form, decide) -> "services.WorkflowError | None":
    """Run a request's 审核 (``decide(expected_version)``) posted with a decision form (opinion + the version
    shown) in a savepoint; a refusal comes back with its message beside the opinion or flashed (a lost race),
    and 403 aborts. None when it went through."""
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        with attempt():
            decide(version)
    except services.WorkflowError as exc:
        if exc.status == 403:
            abort(403)
        if exc.status == 409:
            flash(exc.message, "error")
        else:
            apply_errors(form, exc)
        return exc
    return None

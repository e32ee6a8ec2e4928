"""人员信息: a person's basic information in four tabs, each the basic-information section of one step.

The values are read from the process (the step's task data) and edits go back into it through
``app.workflow.services.amend_step``; nothing here keeps a copy of its own. A tab names a section of a
form; its step is whichever step of the person's diagram has a form with that section.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from wtforms import SelectField

from app.paging import KeysetPage
from app.people.models import Person
from app.people.services import persons_with_orgs
from app.scope import below_root, path_prefix, scope_path, select_in_scope
from app.workflow import binding, seal, services as workflow
from app.workflow.versions import DEVELOPMENT, active_version
from forms import APPLICATION_FORM, get_form_class
from forms.codec import blank_form, to_data, to_formdata
from forms.fields import AttachmentField


@dataclass(frozen=True)
class ProfileTab:
    """One tab: the title of the form section it shows (its step is the one whose form has it)."""
    no: int
    label: str
    section: str
    sheet_title: str


TABS = (
    ProfileTab(1, "入党申请人基本信息", "入党申请人基本信息", "入党申请人信息采集表"),
    ProfileTab(2, "入党积极分子基本信息", "入党积极分子基本信息", "入党积极分子信息采集表"),
    ProfileTab(3, "发展对象基本信息", "发展对象基本信息", "发展对象信息采集表"),
    ProfileTab(4, "预备党员基本信息", "预备党员基本信息", "预备党员信息采集表"),
)
# Shown at the top of every stage's sheet and tab, from the application form.
IDENTITY_FIELDS = ("name", "id_number", "sex", "ethnicity", "birth_date")
NOT_EDITABLE = {"org_id"}  # the branch changes through 接续培养, not here


def tab(no) -> ProfileTab:
    """The tab numbered ``no`` (1-4); the first one for anything else."""
    return next((t for t in TABS if str(t.no) == str(no)), TABS[0])


def _step_with(version_id: int | None, has) -> workflow.StepDef | None:
    version_id = version_id or active_version(DEVELOPMENT).id
    return next((s for s in workflow.step_catalogue(version_id) if has(s)), None)


def tab_step(which: ProfileTab, version_id: int | None = None) -> workflow.StepDef:
    """The step of a diagram version (the active one by default) whose form holds the tab's section."""
    step = _step_with(version_id, lambda s: any(title == which.section
                                                for title, _ in get_form_class(s.form_key).sections))
    if step is None:
        raise LookupError(f"流程中没有含“{which.section}”的步骤")
    return step


def application_step(version_id: int | None = None) -> workflow.StepDef:
    """The step whose form creates the record (姓名、身份证号… are read from it)."""
    step = _step_with(version_id, lambda s: s.form_key == APPLICATION_FORM)
    if step is None:
        raise LookupError("流程中没有递交入党申请书的步骤")
    return step


def section_fields(form_key: str, section: str) -> list[str]:
    """Names of the fields of one section of a step form."""
    form_cls = get_form_class(form_key)
    return next((names for title, names in form_cls.sections if title == section), [])


def editable_fields(form_key: str, section: str) -> list[str]:
    """The fields of a section that 人员信息 edits (no uploads, no receiving branch)."""
    form = blank_form(get_form_class(form_key))
    return [name for name in section_fields(form_key, section)
            if name not in NOT_EDITABLE and not isinstance(form[name], AttachmentField)]


def search(user, q: str = "", *, org=None, page: int = 1, per_page: int = 20, after: int | None = None,
           before: int | None = None) -> KeysetPage:
    """人员信息 list: every person in scope, newest first, filtered by name (contains) or ID number (prefix) and by
    organisation (``org``, already fetched through the scope helper: its subtree). Keyset paging with a capped
    count (app/paging.py), so the list costs the same for a branch and for the province."""
    keys = select_in_scope(Person, user).with_only_columns(Person.id)
    prefix = org.path if org is not None else scope_path(user)
    if org is not None:
        keys = keys.where(path_prefix(Person.org_path, org.path))
    q = (q or "").strip()
    if q:
        keys = keys.where(sa.or_(Person.name.contains(q, autoescape=True),
                                 Person.id_number.startswith(q.upper(), autoescape=True)))
    return KeysetPage(page=page, per_page=per_page, keys=keys, key=Person.id, load=persons_with_orgs, after=after,
                      before=before, ranged=below_root(prefix))


@dataclass
class TabView:
    """A tab as the person page shows it."""
    tab: ProfileTab
    reached: bool
    form_key: str
    data: dict
    rows: list          # [(label, ("text" | "files" | "photo", value))]
    can_edit: bool
    sealed: bool = False  # the step's stage was approved (R32): only a county admin corrects it


def _display(form_key: str, data: dict, names, actor, person) -> list:
    form = binding.form_for(form_key, actor, person, data=data, meta={"csrf": False})
    rows = []
    for name in names:
        field = form[name]
        if isinstance(field, AttachmentField):
            rows.append((field.label.text, ("photo" if field.portrait else "files", list(field.data or []))))
        elif isinstance(field, SelectField):
            rows.append((field.label.text, ("text", binding.choice_label(field))))
        else:
            value = field.data
            rows.append((field.label.text, ("text", "" if value is None else
                                            (value.isoformat() if hasattr(value, "isoformat") else str(value)))))
    return rows


def tab_view(actor, ctx: workflow.Context, which: ProfileTab) -> TabView:
    """One tab of a person: the step's values if reached, and whether ``actor`` may edit them."""
    step = tab_step(which, ctx.instance.process_version_id)
    task = workflow.step_task(ctx, step.step)
    form_key = task.form_key if task else step.form_key
    if task is None:
        return TabView(which, False, form_key, {}, [], False)
    sealed = step.stage in seal.sealed_stages(ctx, workflow.step_catalogue(ctx.instance.process_version_id))
    view = workflow.step_view(actor, ctx, step.step)
    data = view.data if view else {}
    names = section_fields(form_key, which.section)
    return TabView(which, True, form_key, data, _display(form_key, data, names, actor, ctx.person),
                   can_edit(actor, ctx, which), sealed)


def can_edit(actor, ctx: workflow.Context, which: ProfileTab) -> bool:
    """May ``actor`` edit (or, for a county admin, correct) this tab of the person?"""
    return edit_mode(actor, ctx, which)[0] != ""


def edit_mode(actor, ctx: workflow.Context, which: ProfileTab) -> tuple[str, str]:
    """How ``actor`` may change this tab: ("amend", ""), ("correct", why it is sealed) for a county admin
    facing sealed values (R32), or ("", why not)."""
    step = tab_step(which, ctx.instance.process_version_id)
    refusal = workflow.amend_refusal(actor, ctx, step.step)
    sealed_identity = (set(section_fields(step.form_key, which.section)) & set(seal.IDENTITY_FIELDS)
                       and seal.any_review_approved(ctx))
    if (refusal or sealed_identity) and workflow.can_correct(actor, ctx, step.step):
        return "correct", refusal or seal.SEALED_IDENTITY
    return ("", refusal) if refusal else ("amend", "")


def identity_rows(actor, ctx: workflow.Context) -> list:
    """姓名、身份证号… from the application, shown above every tab and sheet."""
    step = application_step(ctx.instance.process_version_id)
    view = workflow.step_view(actor, ctx, step.step)
    data = view.data if view else {}
    return _display(step.form_key, data, IDENTITY_FIELDS, actor, ctx.person)


# R31: the membership dates the procedure derives (not a form's fields), shown beside the identity.
MEMBERSHIP_DATES = (("join_date", "入党日期"), ("probation_end", "预备期满"), ("full_member_date", "转为正式党员日期"))


def membership_rows(person) -> list:
    """入党日期、预备期满、转为正式党员日期 of a person who has reached them, as (label, (kind, value)) rows."""
    return [(label, ("text", getattr(person, name).isoformat()))
            for name, label in MEMBERSHIP_DATES if getattr(person, name)]


def edit_form(actor, ctx: workflow.Context, which: ProfileTab, formdata=None, payload: dict | None = None):
    """The step's form filled with its stored data; with ``formdata`` (a post) or an API ``payload`` (JSON,
    token-authenticated, no CSRF), the posted values of the editable fields replace the stored ones and
    everything else stays as stored, so the form validates exactly as it did in the procedure."""
    view = tab_view(actor, ctx, which)
    if payload is not None:
        posted = to_formdata(get_form_class(view.form_key), payload)
        merged = to_formdata(get_form_class(view.form_key), view.data)
        for name in editable_fields(view.form_key, which.section):
            merged.setlist(name, posted.getlist(name))
        return binding.form_for(view.form_key, actor, ctx.person, formdata=merged, meta={"csrf": False}), view
    if formdata is None:
        return binding.form_for(view.form_key, actor, ctx.person, data=view.data), view
    merged = to_formdata(get_form_class(view.form_key), view.data)
    for name in editable_fields(view.form_key, which.section):
        merged.setlist(name, formdata.getlist(name))
    if "csrf_token" in formdata:
        merged["csrf_token"] = formdata["csrf_token"]
    return binding.form_for(view.form_key, actor, ctx.person, formdata=merged), view


def save_edit(actor, ctx: workflow.Context, which: ProfileTab, form_key: str, form,
              expected_version: int | None) -> dict:
    """Write a validated edit form's editable fields into the process; returns the step's new data."""
    data = to_data(form)
    changes = {name: data.get(name) for name in editable_fields(form_key, which.section)}
    return workflow.amend_step(actor, ctx, tab_step(which, ctx.instance.process_version_id).step, changes,
                               expected_version=expected_version)


def save_correction(actor, ctx: workflow.Context, which: ProfileTab, form_key: str, form, *, reason: str,
                    attachments: list[str], expected_version: int | None) -> dict:
    """R32: a county admin's correction of a sealed tab (reason and files required); returns the new data."""
    data = to_data(form)
    changes = {name: data.get(name) for name in editable_fields(form_key, which.section)}
    return workflow.correct_step(actor, ctx, tab_step(which, ctx.instance.process_version_id).step, changes,
                                 reason=reason, attachments=attachments, expected_version=expected_version)


def _portrait_fields(form_key: str) -> list[str]:
    return [f.name for f in blank_form(get_form_class(form_key)) if getattr(f, "portrait", False)]


def portrait(actor, ctx: workflow.Context) -> str | None:
    """The hash of the person's latest 2寸照片 (the last reached step whose form holds a portrait), or None."""
    latest = None
    for step in workflow.step_catalogue(ctx.instance.process_version_id):
        names = _portrait_fields(step.form_key)
        if not names or workflow.step_task(ctx, step.step) is None:
            continue
        view = workflow.step_view(actor, ctx, step.step)
        for name in names:
            hashes = (view.data if view else {}).get(name) or []
            latest = hashes[-1] if hashes else latest
    return latest

"""采集表: the blank collection form of a stage (【采集表模板】) and a person's filled one (【打印采集表】).

A sheet is the person's identity (from step 1) and the basic-information section of the stage's step, the
same fields 人员信息 shows in that tab, so the paper form and the system always ask for the same things.
"""
from dataclasses import dataclass, field

from flask import render_template
from wtforms import SelectField

from app.attachments import services as attachments
from app.people import profile
from app.workflow import services as workflow
from app.timeutil import local_today
from forms import APPLICATION_FORM, get_form_class
from forms.codec import blank_form
from forms.fields import AttachmentField

SHORT_CHOICES = 6  # a blank sheet lists the choices of short code lists to tick


@dataclass
class SheetRow:
    label: str
    value: str = ""
    hint: str = ""
    required: bool = False
    picture: str = ""  # a portrait as a data: URL (the PDF fetches nothing)


@dataclass
class Sheet:
    title: str
    tab: profile.ProfileTab
    rows: list[SheetRow] = field(default_factory=list)
    org_name: str = ""
    person_name: str = ""
    printed_on: str = ""


def _names(tab: profile.ProfileTab, form_key: str) -> list[tuple[str, str]]:
    """(form key, field) for a sheet: identity from the application, then the stage's section without repeats."""
    first = APPLICATION_FORM
    out = [(first, name) for name in profile.IDENTITY_FIELDS]
    out += [(form_key, name) for name in profile.section_fields(form_key, tab.section)
            if form_key != first or name not in profile.IDENTITY_FIELDS]
    return out


def _hint(field_obj) -> str:
    if isinstance(field_obj, SelectField) and 0 < len(field_obj.choices or []) <= SHORT_CHOICES:
        return "　".join("□" + str(label) for value, label in field_obj.choices if value != "")
    if field_obj.type == "DateField":
        return "　　　　年　　月　　日"
    if isinstance(field_obj, AttachmentField):
        return "（贴照片处）" if field_obj.portrait else "（材料另附）"
    return ""


def blank_sheet(tab: profile.ProfileTab) -> Sheet:
    """The stage's empty collection form, for collecting data on paper."""
    form_key = profile.tab_step(tab).form_key
    rows = []
    for key, name in _names(tab, form_key):
        f = blank_form(get_form_class(key))[name]
        if name == "org_id":
            rows.append(SheetRow(f.label.text, required=True))
            continue
        rows.append(SheetRow(f.label.text, hint=_hint(f), required=bool(f.flags.required)))
    return Sheet(title=tab.sheet_title, tab=tab, rows=rows, printed_on=local_today().isoformat())


def person_sheet(actor, ctx, tab: profile.ProfileTab) -> Sheet:
    """A person's collection form for a stage, filled from the process (blank where not reached yet)."""
    view = profile.tab_view(actor, ctx, tab)
    values = {**dict(profile.identity_rows(actor, ctx)), **dict(view.rows)}  # by label; no label repeats
    rows = []
    for key, name in _names(tab, view.form_key):
        f = blank_form(get_form_class(key))[name]
        label = f.label.text
        shown = values.get(label)
        if name == "org_id":
            value = ctx.person.org.name
        elif shown is None:
            value = ""
        elif shown[0] == "photo":
            picture = attachments.picture_data_url(actor, shown[1][-1]) if shown[1] else ""
            rows.append(SheetRow(label, picture=picture, value="" if picture or not shown[1] else "（照片另附）",
                                 required=bool(f.flags.required)))
            continue
        elif shown[0] == "files":
            value = f"已上传 {len(shown[1])} 个文件" if shown[1] else ""
        else:
            value = shown[1]
        rows.append(SheetRow(label, value=value, required=bool(f.flags.required)))
    rows += [SheetRow(label, value=shown[1]) for label, shown in profile.membership_rows(ctx.person)]
    # A step of this stage the path passed by (R03) says so, rather than looking forgotten.
    stage = profile.tab_step(tab, ctx.instance.process_version_id).stage
    rows += [SheetRow(row["step"].title, value=f"已跳过：{row['review']}")
             for row in workflow.step_rows(ctx) if row["status"] == "skipped" and row["step"].stage == stage]
    return Sheet(title=tab.sheet_title, tab=tab, rows=rows, org_name=ctx.person.org.name,
                 person_name=ctx.person.name, printed_on=local_today().isoformat())


def sheet_html(sheet: Sheet, *, for_pdf: bool = False, pdf_url: str = "") -> str:
    """The sheet as a standalone A4 HTML page (inline print CSS, no app chrome)."""
    return render_template("printing/sheet.html", sheet=sheet, for_pdf=for_pdf, pdf_url=pdf_url,
                           tabs=profile.TABS)

"""Party members a step names (培养联系人 R06, 入党介绍人 R09): picked from the branch's 党员名册 (本支部) or typed
(原支部, a member of another organisation, whom the app cannot check)."""
from wtforms import SelectField
from wtforms.validators import ValidationError

from forms.codes import CONTACT_SOURCE
from forms.fields import date_field, select_field, text_field

LOCAL = "本支部"
NO_PICK = ("", "请选择本支部党员")


def source_field():
    """本支部 / 原支部."""
    return select_field("党员来源", CONTACT_SOURCE, required=True)


def member_field():
    """The picked member's roster key; the app fills the choices from the branch's 党员名册."""
    return SelectField("本支部党员", choices=[NO_PICK], default="")


def name_field():
    """Typed for a member of another organisation; for a picked one the app copies the roster's."""
    return text_field("姓名", max_length=50)


def join_date_field():
    """Typed for a member of another organisation; for a picked one the app copies the roster's."""
    return date_field("入党日期")


def check_members(form, field, role: str) -> None:
    """Each row of ``field``: a picked member is in the roster and may serve as ``role`` (the app's
    ``pick_member(key, role)`` hook answers (values, refusal)); a typed one has a name and a 入党日期.
    Messages go beside the row's field; the picked member's name and 入党日期 are copied into the row."""
    pick = form.context.get("pick_member")
    wrong = False
    for entry in field.entries:
        row = entry.form
        if row.source.data == LOCAL:
            if pick is None:
                continue  # outside the app (no roster to ask): the form's own checks only
            if not row.member.data:
                row.member.errors = [*row.member.errors, f"请从本支部党员名册中选择{role}"]
                wrong = True
                continue
            values, refusal = pick(row.member.data, role)
            if values is None or refusal:
                row.member.errors = [*row.member.errors, refusal or "该党员不在本支部党员名册中"]
                wrong = True
                continue
            row.name.data, row.join_date.data = values["name"], values["join_date"]
        elif row.source.data:
            for sub, label in ((row.name, "姓名"), (row.join_date, "入党日期")):
                if sub.data in (None, "") and not sub.errors:
                    sub.errors = [*sub.errors, f"请填写{role}{label}"]
                    wrong = True
            row.member.data = ""
    if wrong:
        raise ValidationError(f"请核对{role}")

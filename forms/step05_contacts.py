"""Step 5 指定培养联系人 (manual §2.3.9)."""
from forms.base import StepForm, SubForm
from forms.codes import CONTACT_SOURCE, EDUCATION
from forms.fields import RepeatingField, date_field, select_field, text_field

FORM_KEY = "step05_contacts"


class ContactRow(SubForm):
    """One 培养联系人: a member of this branch (picked in the app) or of the applicant's former branch."""

    source = select_field("党员来源", CONTACT_SOURCE, required=True)
    name = text_field("姓名", required=True, max_length=50)
    position = text_field("现任职务")
    join_date = date_field("入党日期", required=True)
    education = select_field("学历", EDUCATION)
    since_date = date_field("自何时起负责培养", required=True)
    remarks = text_field("备注", max_length=200)


class ContactsForm(StepForm):
    """R06: one or two 正式党员 as 培养联系人."""

    title = "指定培养联系人"
    data_key = "step05"
    sections = [("培养联系人", ["contacts"])]

    contacts = RepeatingField(ContactRow, "培养联系人", min_rows=1, max_rows=2)

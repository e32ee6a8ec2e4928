"""Step 5 指定培养联系人 (manual §2.3.9)."""
from forms.base import StepForm, SubForm
from forms.codes import EDUCATION
from forms.fields import RepeatingField, date_field, select_field, text_field
from forms.members import check_members, join_date_field, member_field, name_field, source_field

FORM_KEY = "step05_contacts"


class ContactRow(SubForm):
    """One 培养联系人: a member of this branch (picked in the app) or of the applicant's former branch."""

    source = source_field()
    member = member_field()
    name = name_field()
    position = text_field("现任职务")
    join_date = join_date_field()
    education = select_field("学历", EDUCATION)
    since_date = date_field("自何时起负责培养", required=True)
    remarks = text_field("备注", max_length=200)


class ContactsForm(StepForm):
    """R06: one or two 正式党员 as 培养联系人 (a picked member's eligibility is checked against the roster)."""

    title = "指定培养联系人"
    data_key = "step05"
    sections = [("培养联系人", ["contacts"])]

    # Repeating fields whose rows pick a member of the branch's roster: {field: the role they serve as}.
    roster_picks = {"contacts": "培养联系人"}

    contacts = RepeatingField(ContactRow, "培养联系人", min_rows=1, max_rows=2)

    def validate_contacts(self, field):
        """R06 for members picked from the roster: 正式党员 in good standing."""
        check_members(self, field, "培养联系人")

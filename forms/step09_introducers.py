"""Step 9 确定入党介绍人 (manual §2.3.13)."""
from forms.base import StepForm, SubForm
from forms.fields import RepeatingField, date_field, text_field
from forms.members import check_members, join_date_field, member_field, name_field, source_field

FORM_KEY = "step09_introducers"


class IntroducerRow(SubForm):
    """One 入党介绍人: a 正式党员 of the branch (picked from its roster) or of another organisation (typed)."""

    source = source_field()
    member = member_field()
    name = name_field()
    position = text_field("现任职务", required=True)
    join_date = join_date_field()
    since_date = date_field("担任介绍人日期", required=True)


class IntroducersForm(StepForm):
    """R09: exactly two introducers; a picked member must be a 正式党员 not under 留党察看 (the roster says)."""

    title = "确定入党介绍人"
    data_key = "step09"
    sections = [("入党介绍人", ["introducers"])]

    roster_picks = {"introducers": "入党介绍人"}

    introducers = RepeatingField(IntroducerRow, "入党介绍人", min_rows=2, max_rows=2)

    def validate_introducers(self, field):
        """R09 for members picked from the roster."""
        check_members(self, field, "入党介绍人")

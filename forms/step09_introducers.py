"""Step 9 确定入党介绍人 (manual §2.3.13)."""
from forms.base import StepForm, SubForm
from forms.fields import RepeatingField, date_field, text_field

FORM_KEY = "step09_introducers"


class IntroducerRow(SubForm):
    """One 入党介绍人, a 正式党员 of the branch."""

    name = text_field("姓名", required=True, max_length=50)
    position = text_field("现任职务", required=True)
    join_date = date_field("入党日期", required=True)
    since_date = date_field("担任介绍人日期", required=True)


class IntroducersForm(StepForm):
    """R09: exactly two introducers (whether they may serve is checked by the app against member records)."""

    title = "确定入党介绍人"
    data_key = "step09"
    sections = [("入党介绍人", ["introducers"])]

    introducers = RepeatingField(IntroducerRow, "入党介绍人", min_rows=2, max_rows=2)

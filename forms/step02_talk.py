"""Step 2 党组织派人谈话 (manual §2.3.6)."""
from forms.base import StepForm
from forms.fields import date_field, text_field, textarea_field

FORM_KEY = "step02_talk"


class TalkForm(StepForm):
    """Who talked with the applicant and when (R02's one-month warning is computed from ``talk_date``)."""

    title = "党组织派人谈话"
    data_key = "step02"
    feeds = {"talk_date": "talk_date"}
    sections = [("党组织派人谈话情况", ["talker", "talk_date", "talk_notes"])]

    talker = text_field("谈话人", required=True, max_length=50)
    talk_date = date_field("谈话时间", required=True)
    talk_notes = textarea_field("谈话情况")

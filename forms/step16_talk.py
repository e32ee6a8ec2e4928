"""Step 16 指派专人与发展对象谈话 (manual §2.3.20)."""
from forms.base import StepForm, SubForm
from forms.fields import RepeatingField, date_field, text_field, textarea_field

FORM_KEY = "step16_talk"


class TalkerRow(SubForm):
    """A 党委委员 or 组织员 sent by the 基层党委."""

    talker = text_field("谈话人", required=True, max_length=50)
    position = text_field("谈话人职务", required=True)


class CommitteeTalkForm(StepForm):
    """The talk the 基层党委 holds with the person before approving."""

    title = "指派专人与发展对象谈话"
    data_key = "step16"
    sections = [("谈话情况", ["talkers", "talk_date", "talk_notes"])]

    talkers = RepeatingField(TalkerRow, "谈话人", min_rows=1, max_rows=2)
    talk_date = date_field("谈话时间", required=True)
    talk_notes = textarea_field("谈话情况")

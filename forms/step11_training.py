"""Step 11 对发展对象进行短期集中培训 (manual §2.3.15)."""
from forms.base import StepForm, SubForm
from forms.fields import RepeatingField, attachment_field, date_field, integer_field, textarea_field
from forms.validators import DateAfter

FORM_KEY = "step11_training"


class SessionRow(SubForm):
    """One training session; R11 (3 days or 24 学时 in total) is a warning computed from these rows."""

    start_date = date_field("培训开始时间", required=True)
    end_date = date_field("培训结束时间", required=True, validators=[DateAfter("start_date")])
    content = textarea_field("培训内容", required=True, max_length=500)
    hours = integer_field("培训学时", required=True, min_value=1)


class TrainingForm(StepForm):
    """The short, concentrated training of the 发展对象 and its certificates."""

    title = "对发展对象进行短期集中培训"
    data_key = "step11"
    feeds = {"sessions": "training_sessions"}
    sections = [
        ("集中培训情况", ["sessions"]),
        ("发展对象接收培训证明材料", ["proofs"]),
    ]

    sessions = RepeatingField(SessionRow, "集中培训情况", min_rows=1)
    proofs = attachment_field("发展对象接收培训证明材料", min_count=1)

"""Step 21 继续教育考察 (manual §2.3.25)."""
from forms.base import StepForm, SubForm
from forms.fields import RepeatingField, date_field, text_field, textarea_field
from forms.validators import DateAfter

FORM_KEY = "step21_probation_education"


class AssessmentRow(SubForm):
    """One periodic assessment of the 预备党员."""

    assess_date = date_field("考察日期", required=True)
    assessor = text_field("考察人", max_length=50)
    content = textarea_field("考察情况", required=True)


class ProbationEducationForm(StepForm):
    """Education during probation (just its dates) and the periodic assessments."""

    title = "继续教育考察"
    data_key = "step21"
    sections = [
        ("教育情况", ["education_start", "education_end"]),
        ("考察情况", ["assessments"]),
    ]

    education_start = date_field("教育开始日期", required=True)
    education_end = date_field("教育结束日期", required=True, validators=[DateAfter("education_start")])
    assessments = RepeatingField(AssessmentRow, "考察情况", min_rows=1)

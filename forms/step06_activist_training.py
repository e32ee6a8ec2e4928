"""Step 6 入党积极分子培养教育考察 (manual §2.3.10)."""
from forms.base import StepForm, SubForm
from forms.fields import RepeatingField, attachment_field, date_field, textarea_field
from forms.validators import DateAfter

FORM_KEY = "step06_activist_training"


class EducationPeriodRow(SubForm):
    """A period of 培养教育."""

    start_date = date_field("开始日期", required=True)
    end_date = date_field("结束日期", required=True, validators=[DateAfter("start_date")])
    content = textarea_field("培养教育情况")


class OpinionRow(SubForm):
    """One half-year assessment opinion with its signed scan."""

    opinion = textarea_field("培养考察意见", required=True)
    start_date = date_field("开始日期", required=True)
    end_date = date_field("结束日期", required=True, validators=[DateAfter("start_date")])
    scans = attachment_field("意见扫描件", min_count=1)


class ActivistTrainingForm(StepForm):
    """Education periods and the half-yearly opinions.

    How many opinions are needed (R07: at least 2 from contacts and 2 from the branch) is the diagram's rule.
    """

    title = "入党积极分子培养教育考察"
    data_key = "step06"
    sections = [
        ("入党积极分子培养教育情况", ["education_periods"]),
        ("入党积极分子培养考察意见", ["contact_opinions", "group_opinions", "branch_opinions"]),
    ]

    education_periods = RepeatingField(EducationPeriodRow, "入党积极分子培养教育情况", min_rows=1)
    contact_opinions = RepeatingField(OpinionRow, "培养联系人培养考察意见")
    group_opinions = RepeatingField(OpinionRow, "党小组培养考察意见")
    branch_opinions = RepeatingField(OpinionRow, "党支部培养考察意见")

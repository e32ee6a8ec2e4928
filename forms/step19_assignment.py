"""Step 19 编入党支部和党小组 (manual §2.3.23)."""
from forms.base import StepForm
from forms.fields import date_field, text_field

FORM_KEY = "step19_assignment"


class AssignmentForm(StepForm):
    """Where the 预备党员 takes part in party life; a branch without groups leaves the group empty."""

    title = "编入党支部和党小组"
    data_key = "step19"
    sections = [("编入党支部和党小组情况", ["branch_name", "group_name", "assign_date"])]

    branch_name = text_field("编入党支部", required=True)
    group_name = text_field("编入党小组")
    assign_date = date_field("编入日期", required=True)

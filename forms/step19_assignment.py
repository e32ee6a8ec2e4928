"""Step 19 编入党支部和党小组 (manual §2.3.23)."""
from wtforms import SelectField

from forms.base import StepForm
from forms.fields import date_field, text_field

FORM_KEY = "step19_assignment"
NO_GROUP = ("", "不编入党小组（本支部未设党小组）")


class AssignmentForm(StepForm):
    """Where the 预备党员 takes part in party life. The group is one of the branch's 党小组 in the organisation
    tree: the app sets ``group_id.choices`` (``NO_GROUP`` plus the groups, from ``org_choices``), so a posted id outside them is refused."""

    title = "编入党支部和党小组"
    data_key = "step19"
    sections = [("编入党支部和党小组情况", ["branch_name", "group_id", "assign_date"])]
    # Fields choosing an organisation of a level under the person's branch (the app fills their choices).
    org_choices = {"group_id": "group"}

    branch_name = text_field("编入党支部", required=True)
    group_id = SelectField("编入党小组", choices=[NO_GROUP], default="")
    assign_date = date_field("编入日期", required=True)

"""Step 8 发展对象备案、公示 (manual §2.3.12)."""
from forms.base import StepForm
from forms.fields import date_field, textarea_field
from forms.publicity import PUBLICITY_FIELDS, publicity_block

FORM_KEY = "step08_candidate_publicity"


class CandidatePublicityForm(StepForm, publicity_block("发展对象公示", "发展对象公示现场材料")):
    """Filing of the 发展对象 with the 基层党委 and its publicity."""

    title = "发展对象备案、公示"
    data_key = "step08"
    sections = [
        ("发展对象备案审查情况", ["filing_date", "filing_opinion"]),
        ("发展对象公示情况", PUBLICITY_FIELDS),
        ("发展对象公示现场材料", ["publicity_materials"]),
    ]

    filing_date = date_field("报基层党委备案日期", required=True)
    filing_opinion = textarea_field("备案审查意见", required=True)

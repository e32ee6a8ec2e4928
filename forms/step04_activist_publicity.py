"""Step 4 入党积极分子公示、备案 (manual §2.3.8)."""
from forms.base import StepForm
from forms.fields import date_field, textarea_field
from forms.publicity import PUBLICITY_FIELDS, publicity_block

FORM_KEY = "step04_activist_publicity"


class ActivistPublicityForm(StepForm, publicity_block("入党积极分子公示", "入党积极分子公示材料")):
    """Publicity of the new 入党积极分子 and the 基层党委's filing review."""

    title = "入党积极分子公示、备案"
    data_key = "step04"
    sections = [
        ("入党积极分子公示情况", PUBLICITY_FIELDS),
        ("入党积极分子公示材料", ["publicity_materials"]),
        ("入党积极分子备案审查情况", ["filing_review_date", "filing_review_opinion"]),
    ]

    filing_review_date = date_field("备案审查日期", required=True)
    filing_review_opinion = textarea_field("备案审查意见", required=True)

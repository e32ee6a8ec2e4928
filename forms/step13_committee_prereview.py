"""Step 13 基层党委预审 (manual §2.3.17)."""
from forms.base import StepForm
from forms.codes import PREREVIEW_RESULT
from forms.fields import date_field, select_field, textarea_field

FORM_KEY = "step13_committee_prereview"


class CommitteePrereviewForm(StepForm):
    """The 基层党委's pre-review; its date is the 预审 link in the R16 chain of dates, and ``prereview_result``
    不同意 sends the person back to the 支部委员会审查 (R26, the diagram decides)."""

    title = "基层党委预审"
    data_key = "step13"
    feeds = {"review_date": "prereview_date"}
    sections = [("基层党委预审情况", ["review_date", "prereview_result", "review_opinion"])]

    review_date = date_field("预审时间", required=True)
    prereview_result = select_field("预审结论", PREREVIEW_RESULT, required=True)
    review_opinion = textarea_field("预审意见", required=True)

"""The 基层党委's review of a reported (上报) step: 审核通过 or 审核不通过."""
from forms.base import StepForm
from forms.fields import textarea_field

FORM_KEY = "review"


class ReviewForm(StepForm):
    """The reviewer's opinion; optional here because only a rejection needs one, which the app enforces."""

    title = "审核"
    sections = [("审核意见", ["opinion"])]

    opinion = textarea_field("审核意见", max_length=1000)

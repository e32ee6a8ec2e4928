"""Step 12 支部委员会审查 (manual §2.3.16)."""
from forms.base import StepForm
from forms.fields import attachment_field, date_field, text_field, textarea_field

FORM_KEY = "step12_branch_committee_review"


class BranchCommitteeReviewForm(StepForm):
    """The branch committee's meeting reviewing the 发展对象's file."""

    title = "支部委员会审查"
    data_key = "step12"
    sections = [
        (
            "支部委员会审查情况",
            ["meeting_date", "meeting_place", "meeting_host", "branch_secretary", "attending_officer",
             "review_opinion"],
        ),
        ("支部委员会审查发展对象会议记录", ["meeting_minutes"]),
    ]

    meeting_date = date_field("日期", required=True)
    meeting_place = text_field("地点", required=True)
    meeting_host = text_field("主持人", required=True, max_length=50)
    branch_secretary = text_field("党支部书记", required=True, max_length=50)
    attending_officer = text_field("列席组织员", max_length=50)
    review_opinion = textarea_field("审查意见", required=True)
    meeting_minutes = attachment_field("会议记录", min_count=1)

"""Step 10 对发展对象进行政治审查 (manual §2.3.14)."""
from forms.base import StepForm, SubForm
from forms.codes import POLITICAL_REVIEW_RESULT, REVIEW_METHOD
from forms.fields import RepeatingField, attachment_field, date_field, select_field, text_field, textarea_field

FORM_KEY = "step10_political_review"


class PoliticalReviewRow(SubForm):
    """The review of one person: the 发展对象 or a relative."""

    name = text_field("姓名", required=True, max_length=50)
    relation = text_field("与发展对象关系", required=True, max_length=20)
    method = select_field("审查方式", REVIEW_METHOD, required=True)
    review_date = date_field("审查日期", required=True)
    certifying_org = text_field("证明党组织", required=True)
    attachments = attachment_field("附件")


class PoliticalReviewForm(StepForm):
    """The reviews and the conclusion; R10/R25: ``review_result`` 不合格 stops the procedure (the diagram decides)."""

    title = "对发展对象进行政治审查"
    data_key = "step10"
    sections = [
        ("政治审查情况", ["reviews"]),
        ("政治审查结论", ["review_date", "review_result", "conclusion"]),
    ]

    reviews = RepeatingField(PoliticalReviewRow, "政治审查情况", min_rows=1)
    review_date = date_field("政治审查时间", required=True)
    review_result = select_field("政审结论", POLITICAL_REVIEW_RESULT, required=True)
    conclusion = textarea_field("对发展对象的政治审查意见", required=True)

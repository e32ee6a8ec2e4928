"""Step 24 上级党委审批 (manual §2.3.28)."""
from forms.base import StepForm
from forms.conversion import conversion_block
from forms.fields import attachment_field, date_field, textarea_field

FORM_KEY = "step24_full_membership_approval"


class FullMembershipApprovalForm(conversion_block("审批结论"), StepForm):
    """The higher committee's decision (R30: the same three outcomes as the 支部大会's, which the diagram routes).

    The person becomes a 正式党员 as of the end of the probation (R31), not on ``approval_date``.
    """

    title = "上级党委审批"
    data_key = "step24"
    # Approved: the registry changes the person's category to 正式党员 (manual §2.12(4)).
    registry_event = "full_member"
    feeds = {"approval_date": "conversion_approval_date"}
    sections = [
        ("党委审批意见", ["approval_date", "conclusion", "extension_months", "approval_opinion"]),
        ("党委审批材料", ["approval_materials"]),
    ]

    approval_date = date_field("上级党委审批日期", required=True)
    approval_opinion = textarea_field("党委审批意见", required=True)
    approval_materials = attachment_field("党委审批材料扫描件", min_count=1)

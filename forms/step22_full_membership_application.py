"""Step 22 预备党员提出转正申请 (manual §2.3.26)."""
from forms.base import StepForm
from forms.fields import attachment_field, date_field

FORM_KEY = "step22_full_membership_application"


class FullMembershipApplicationForm(StepForm):
    """The written request for full membership."""

    title = "预备党员提出转正申请"
    data_key = "step22"
    sections = [
        ("提出转正申请情况", ["application_date"]),
        ("转正申请书扫描件", ["application_scans"]),
    ]

    application_date = date_field("提出转正申请日期", required=True)
    application_scans = attachment_field("转正申请书扫描件", min_count=1)

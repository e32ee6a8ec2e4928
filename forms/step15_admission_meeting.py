"""Step 15 拟接收预备党员公示、支部大会讨论 (manual §2.3.19)."""
from forms.base import StepForm
from forms.meeting import MEETING_FIELDS, BranchMeetingBlock
from forms.publicity import PUBLICITY_FIELDS, publicity_block

FORM_KEY = "step15_admission_meeting"


class AdmissionMeetingForm(StepForm, publicity_block("拟接收预备党员公示"), BranchMeetingBlock):
    """Publicity, then the 支部大会 admitting the 预备党员.

    ``meeting_date`` starts the probation (R14).
    """

    title = "拟接收预备党员公示、支部大会讨论"
    data_key = "step15"
    feeds = {"meeting_date": "admission_meeting_date"}
    sections = [
        ("拟接收预备党员公示情况", PUBLICITY_FIELDS),
        ("公示材料", ["publicity_materials"]),
        ("支部大会讨论情况", MEETING_FIELDS),
        ("支部大会会议记录", ["meeting_minutes"]),
    ]

"""Step 15 拟接收预备党员公示、支部大会讨论 (manual §2.3.19)."""
from forms.base import StepForm
from forms.fields import attachment_field, date_field, integer_field, text_field, textarea_field
from forms.publicity import PUBLICITY_FIELDS, publicity_block
from forms.validators import AtMost, DateAfter

FORM_KEY = "step15_admission_meeting"


class AdmissionMeetingForm(StepForm, publicity_block("拟接收预备党员公示")):
    """Publicity, then the 支部大会 admitting the 预备党员.

    The counts of voters and votes are recorded for R12 (quorum and majority), which the diagram decides;
    the form only refuses counts that contradict each other. ``meeting_date`` starts the probation (R14).
    """

    title = "拟接收预备党员公示、支部大会讨论"
    data_key = "step15"
    feeds = {"meeting_date": "admission_meeting_date"}
    sections = [
        ("拟接收预备党员公示情况", PUBLICITY_FIELDS),
        ("公示材料", ["publicity_materials"]),
        (
            "支部大会讨论情况",
            ["meeting_date", "meeting_place", "attending_officer", "meeting_host", "branch_secretary",
             "voters_total", "voters_present", "votes_for", "meeting_opinion"],
        ),
        ("支部大会会议记录", ["meeting_minutes"]),
    ]

    # The publicity ends before the meeting it prepares.
    meeting_date = date_field(
        "时间", required=True, validators=[DateAfter("publicity_end", "支部大会时间不能早于公示结束日期")]
    )
    meeting_place = text_field("地点", required=True)
    attending_officer = text_field("列席组织员", required=True, max_length=50)
    meeting_host = text_field("主持人", required=True, max_length=50)
    branch_secretary = text_field("党支部书记", required=True, max_length=50)
    voters_total = integer_field("有表决权的正式党员人数", required=True, min_value=1)
    voters_present = integer_field(
        "实到会有表决权的正式党员人数", required=True, validators=[AtMost("voters_total")]
    )
    votes_for = integer_field("赞成票数", required=True, validators=[AtMost("voters_present")])
    meeting_opinion = textarea_field("讨论研究意见", required=True)
    meeting_minutes = attachment_field("支部大会会议记录", min_count=1)

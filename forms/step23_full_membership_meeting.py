"""Step 23 支部大会讨论预备党员转正 (manual §2.3.27)."""
from forms.base import StepForm
from forms.conversion import conversion_block
from forms.fields import textarea_field
from forms.meeting import MEETING_FIELDS, BranchMeetingBlock
from forms.publicity import PUBLICITY_FIELDS, publicity_block

FORM_KEY = "step23_full_membership_meeting"


class FullMembershipMeetingForm(conversion_block("会议结论"), StepForm,
                                publicity_block("预备党员转正公示", "预备党员转正公示材料"), BranchMeetingBlock):
    """Opinions, publicity and the 支部大会 deciding on full membership.

    Whether the meeting may take place yet (R15), the vote (R12) and what the conclusion leads to (R29) are the
    diagram's; an extension of the probation (R14) must say by how many months, 6 to 12.
    """

    title = "支部大会讨论预备党员转正"
    data_key = "step23"
    feeds = {"meeting_date": "conversion_meeting_date", "conclusion": "conversion_conclusion",
             "extension_months": "extension_months"}
    sections = [
        ("党小组对预备党员转正的意见", ["group_opinion"]),
        ("预备党员转正公示情况", PUBLICITY_FIELDS),
        ("上传预备党员转正公示材料", ["publicity_materials"]),
        ("支部委员会审查意见", ["committee_opinion"]),
        ("支部大会讨论预备党员转正情况", [*MEETING_FIELDS, "conclusion", "extension_months"]),
        ("支部大会讨论预备党员转正情况会议记录", ["meeting_minutes"]),
    ]

    group_opinion = textarea_field("党小组对预备党员转正的意见", required=True)
    committee_opinion = textarea_field("党支部对预备党员转正的审查意见", required=True)


"""Step 23 支部大会讨论预备党员转正 (manual §2.3.27)."""
from forms.base import StepForm
from forms.conversion import conversion_block
from forms.fields import attachment_field, date_field, integer_field, text_field, textarea_field
from forms.publicity import PUBLICITY_FIELDS, publicity_block
from forms.validators import AtMost, DateAfter

FORM_KEY = "step23_full_membership_meeting"


class FullMembershipMeetingForm(conversion_block("会议结论"), StepForm, publicity_block("预备党员转正公示", "预备党员转正公示材料")):
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
        (
            "支部大会讨论预备党员转正情况",
            ["meeting_date", "meeting_place", "attending_officer", "meeting_host", "branch_secretary",
             "voters_total", "voters_present", "votes_for", "meeting_opinion", "conclusion",
             "extension_months"],
        ),
        ("支部大会讨论预备党员转正情况会议记录", ["meeting_minutes"]),
    ]

    group_opinion = textarea_field("党小组对预备党员转正的意见", required=True)
    committee_opinion = textarea_field("党支部对预备党员转正的审查意见", required=True)

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

"""The 支部大会 block shared by steps 15 (接收预备党员) and 23 (预备党员转正).

The counts of voters and votes are recorded for R12 (quorum and majority), which the diagram decides; the form
only refuses counts that contradict each other. The meeting follows the publicity it prepares.
"""
from forms.fields import attachment_field, date_field, integer_field, text_field, textarea_field
from forms.validators import AtMost, DateAfter

MEETING_FIELDS = ["meeting_date", "meeting_place", "attending_officer", "meeting_host", "branch_secretary",
                  "voters_total", "voters_present", "votes_for", "meeting_opinion"]


class BranchMeetingBlock:
    """A mixin class holding the fields of a 支部大会 and its minutes."""

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

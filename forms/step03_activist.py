"""Step 3 推荐和确定入党积极分子 (manual §2.3.7)."""
from forms.base import StepForm
from forms.codes import JOB
from forms.fields import attachment_field, date_field, select_field, text_field, textarea_field
from forms.validators import DateAfter

FORM_KEY = "step03_activist"


class ActivistForm(StepForm):
    """Recommendation (双推 and/or 群团组织推优) and the branch meeting that names the 入党积极分子.

    Both recommendation dates are optional here: that at least one is given (R04) is checked by the diagram.
    """

    title = "推荐和确定入党积极分子"
    data_key = "step03"
    feeds = {"activist_date": "activist_date", "job": "job", "education": "education"}
    sections = [
        ("入党积极分子基本信息", ["native_place", "birthplace", "work_unit", "job", "address"]),
        ("民主推荐情况（“双推”）", ["double_recommend_date", "double_recommend_notes", "double_recommend_records"]),
        ("群团组织推优情况", ["league_recommend_date", "league_recommend_org", "league_recommend_records"]),
        (
            "研究确定入党积极分子会议",
            ["activist_date", "meeting_place", "meeting_host", "branch_secretary", "meeting_opinion"],
        ),
        ("研究确定入党积极分子会议记录", ["meeting_minutes"]),
    ]

    native_place = text_field("籍贯")
    birthplace = text_field("出生地")
    work_unit = text_field("工作单位及职务")
    job = select_field("工作岗位", JOB, required=True)
    address = text_field("家庭住址", max_length=200)

    double_recommend_date = date_field("“双推”会议日期")
    double_recommend_notes = textarea_field("“双推”情况")
    double_recommend_records = attachment_field("“双推”会议记录")

    league_recommend_date = date_field("群团组织推优日期")
    league_recommend_org = text_field("推优组织")
    league_recommend_records = attachment_field("群团组织推优材料")

    # Recommendation comes before the meeting that decides on it.
    activist_date = date_field(
        "确定入党积极分子日期",
        required=True,
        validators=[DateAfter("double_recommend_date"), DateAfter("league_recommend_date")],
    )
    meeting_place = text_field("地点")
    meeting_host = text_field("主持人", required=True, max_length=50)
    branch_secretary = text_field("党支部书记", max_length=50)
    meeting_opinion = textarea_field("会议研究意见", required=True)
    meeting_minutes = attachment_field("会议记录", min_count=1)

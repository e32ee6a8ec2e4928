"""Step 7 确定发展对象人选 (manual §2.3.11)."""
from forms.base import StepForm
from forms.codes import EDUCATION, JOB
from forms.fields import attachment_field, date_field, photo_field, select_field, text_field, textarea_field
from forms.validators import DateAfter

FORM_KEY = "step07_candidate"


class CandidateForm(StepForm):
    """Verified personal data, the opinions heard, and the meeting fixing the 发展对象 (R08 is the diagram's)."""

    title = "确定发展对象人选"
    data_key = "step07"
    feeds = {"candidate_date": "candidate_date", "job": "job", "education": "education"}
    carried = ("native_place", "birthplace", "education", "job", "work_unit", "address")
    sections = [
        (
            "发展对象基本信息",
            ["native_place", "birthplace", "work_start_date", "education", "job", "work_unit", "address", "photo"],
        ),
        (
            "听取意见情况",
            ["group_opinion_date", "group_opinion", "contact_opinion_date", "contact_opinion",
             "public_opinion_date", "public_opinion"],
        ),
        (
            "研究确定发展对象会议",
            ["candidate_date", "meeting_place", "meeting_host", "branch_secretary", "attending_org",
             "meeting_opinion"],
        ),
        ("上传支委会会议记录", ["meeting_minutes"]),
    ]

    native_place = text_field("籍贯")
    birthplace = text_field("出生地")
    work_start_date = date_field("参加工作日期")
    education = select_field("学历", EDUCATION, required=True)
    job = select_field("工作岗位", JOB, required=True)
    work_unit = text_field("工作单位及职务", required=True)
    address = text_field("家庭住址", required=True, max_length=200)
    photo = photo_field("正面免冠照片（2寸）")

    group_opinion_date = date_field("党小组对列为发展对象意见日期", required=True)
    group_opinion = textarea_field("党小组对列为发展对象意见", required=True)
    contact_opinion_date = date_field("培养联系人对列为发展对象意见日期", required=True)
    contact_opinion = textarea_field("培养联系人对列为发展对象意见", required=True)
    public_opinion_date = date_field("党员和群众对列为发展对象意见日期", required=True)
    public_opinion = textarea_field("党员和群众对列为发展对象意见", required=True)

    # The meeting decides after hearing the opinions.
    candidate_date = date_field(
        "确定发展对象日期",
        required=True,
        validators=[
            DateAfter("group_opinion_date"),
            DateAfter("contact_opinion_date"),
            DateAfter("public_opinion_date"),
        ],
    )
    meeting_place = text_field("地点")
    meeting_host = text_field("主持人", required=True, max_length=50)
    branch_secretary = text_field("党支部书记", max_length=50)
    attending_org = text_field("列席组织")
    meeting_opinion = textarea_field("会议研究意见", required=True)
    meeting_minutes = attachment_field("支委会会议记录", min_count=1)

"""Step 17 党委审批预备党员 (manual §2.3.21)."""
from forms.base import StepForm
from forms.codes import APPROVAL_RESULT, EDUCATION, JOB, JOIN_TYPE, PARTY_STATUS
from forms.fields import attachment_field, date_field, photo_field, select_field, text_field, textarea_field
from forms.publicity import PUBLICITY_FIELDS, publicity_block
from forms.validators import DateAfter, Phone

FORM_KEY = "step17_committee_approval"


class CommitteeApprovalForm(StepForm, publicity_block("拟审批预备党员公示", "公示材料扫描件")):
    """Publicity, the 基层党委's approval (R13 counts from the 支部大会 to ``approval_date``) and the verified
    data of the new 预备党员.

    Data the app already holds (name, ID number, sex, birth date, earlier procedure dates, branch) is shown on
    the page, not asked again.
    """

    title = "党委审批预备党员"
    data_key = "step17"
    feeds = {"approval_date": "probationary_date", "job": "job", "education": "education"}
    shown = (("姓名", "name"), ("性别", "sex"), ("公民身份证号码", "id_number"), ("民族", "ethnicity"),
             ("出生日期", "birth_date"), ("人员类别", "category"), ("申请入党日期", "apply_date"),
             ("列为入党积极分子日期", "activist_date"), ("加入党组织日期", "probationary_date"),
             ("转为正式党员日期", "full_member_date"), ("所在党支部", "org"))
    carried = ("education", "native_place", "birthplace", "work_start_date", "job", "phone", "work_unit",
               "address", "photo")
    sections = [
        ("拟审批预备党员公示情况", PUBLICITY_FIELDS),
        ("上传公示材料", ["publicity_materials"]),
        (
            "党委审批预备党员集体讨论和表决",
            ["approval_date", "meeting_place", "attending_officer", "meeting_host", "committee_secretary",
             "approval_result", "approval_opinion"],
        ),
        ("上传党委审批会议记录", ["meeting_minutes"]),
        (
            "预备党员基本信息",
            ["education", "native_place", "birthplace", "league_date", "work_start_date", "job", "phone",
             "work_unit", "party_status", "join_type", "address", "photo"],
        ),
    ]

    # The publicity ends before the committee approves.
    approval_date = date_field("基层党委审批日期", required=True, validators=[DateAfter("publicity_end")])
    meeting_place = text_field("地点", required=True)
    attending_officer = text_field("列席组织员", required=True, max_length=50)
    meeting_host = text_field("主持人", required=True, max_length=50)
    committee_secretary = text_field("党委书记", required=True, max_length=50)
    # R28: 不批准 sends the person back to the 支部委员会审查 (the diagram decides).
    approval_result = select_field("审批结论", APPROVAL_RESULT, required=True)
    approval_opinion = textarea_field("基层党委审批意见", required=True)
    meeting_minutes = attachment_field("党委审批会议记录", min_count=1)

    education = select_field("学历", EDUCATION, required=True)
    native_place = text_field("籍贯", required=True)
    birthplace = text_field("出生地", required=True)
    league_date = date_field("入团日期")
    work_start_date = date_field("参加工作日期")
    job = select_field("工作岗位", JOB, required=True)
    phone = text_field("联系电话", required=True, max_length=11, validators=[Phone()])
    work_unit = text_field("工作单位及职务", required=True)
    party_status = select_field("党籍状态", PARTY_STATUS, required=True)
    join_type = select_field("入党类型", JOIN_TYPE, required=True)
    address = text_field("家庭住址", required=True, max_length=200)
    photo = photo_field("正面免冠照片（2寸）")

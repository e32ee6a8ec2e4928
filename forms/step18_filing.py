"""Step 18 上级党委组织部门备案 (manual §2.3.22)."""
from forms.base import StepForm
from forms.fields import date_field, text_field

FORM_KEY = "step18_filing"


class FilingForm(StepForm):
    """Filing with the organisation department; the other data on the manual's screen is shown, not asked."""

    title = "上级党委组织部门备案"
    data_key = "step18"
    # 备案 approved: the person is a 预备党员 in the member registry (manual §2.3.22(2), §2.12(1)).
    registry_event = "probationary"
    sections = [("党委组织部门备案情况", ["filing_department", "filing_date"])]
    shown = (("党员姓名", "name"), ("公民身份证号码", "id_number"), ("确定为入党积极分子日期", "activist_date"),
             ("确定为发展对象日期", "candidate_date"), ("申请入党日期", "apply_date"), ("入党日期", "probationary_date"))

    filing_department = text_field("备案组织部门", required=True)
    filing_date = date_field("备案日期", required=True)

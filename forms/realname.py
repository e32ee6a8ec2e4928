"""The 实名认证申请 form (bpmn/realname.bpmn, task 录入并上报): the step-1 form plus the proof scans."""
from forms.fields import attachment_field
from forms.step01_application import ApplicationForm

FORM_KEY = "realname"


class RealnameForm(ApplicationForm):
    """入党申请人基本信息集, 入党申请书信息集 and 实名认证证明材料信息集 (manual §2.10.1)."""

    title = "实名认证申请"
    sections = ApplicationForm.sections + [("实名认证证明材料", ["proof_scans"])]

    proof_scans = attachment_field("实名认证证明材料", min_count=1)

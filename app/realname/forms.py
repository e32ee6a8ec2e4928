"""The 实名认证申请 form: the application form (same fields and validators) plus the proof scans."""
from forms import APPLICATION_FORM, get_form_class
from forms.fields import attachment_field

ApplicationForm = get_form_class(APPLICATION_FORM)


class RealnameForm(ApplicationForm):
    """入党申请人基本信息集, 入党申请书信息集 and 实名认证证明材料信息集 (manual §2.10.1)."""

    title = "实名认证申请"
    sections = ApplicationForm.sections + [("实名认证证明材料", ["proof_scans"])]

    proof_scans = attachment_field("实名认证证明材料", min_count=1)

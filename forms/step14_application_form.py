"""Step 14 填写入党志愿书 (manual §2.3.18, whose screen the manual omits)."""
from forms.base import StepForm
from forms.fields import attachment_field, date_field, text_field

FORM_KEY = "step14_application_form"


class ApplicationFormForm(StepForm):
    """When the 发展对象 filled in the 入党志愿书 issued after the pre-review; the scan is required at step 25."""

    title = "填写入党志愿书"
    data_key = "step14"
    sections = [("填写入党志愿书情况", ["fill_date", "form_number", "form_scans"])]

    fill_date = date_field("填写入党志愿书日期", required=True)
    form_number = text_field("入党志愿书编号", max_length=50)
    form_scans = attachment_field("入党志愿书扫描件")

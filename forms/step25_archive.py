"""Step 25 入党材料归档 (manual §2.3.29)."""
from forms.base import StepForm
from forms.fields import attachment_field, date_field, textarea_field

FORM_KEY = "step25_archive"


class ArchiveForm(StepForm):
    """Archiving of the file; once reviewed, the record is sealed."""

    title = "入党材料归档"
    data_key = "step25"
    sections = [
        ("入党材料归档情况", ["archive_date", "archive_notes"]),
        ("入党志愿书扫描件", ["volunteer_form_scans"]),
    ]

    archive_date = date_field("归档日期", required=True)
    archive_notes = textarea_field("归档情况", required=True)
    volunteer_form_scans = attachment_field("入党志愿书扫描件", min_count=1)

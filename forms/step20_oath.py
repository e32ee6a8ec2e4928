"""Step 20 入党宣誓 (manual §2.3.24)."""
from forms.base import StepForm
from forms.fields import attachment_field, date_field, text_field

FORM_KEY = "step20_oath"


class OathForm(StepForm):
    """The oath ceremony and its photos."""

    title = "入党宣誓"
    data_key = "step20"
    feeds = {"oath_date": "oath_date"}
    sections = [
        ("入党宣誓情况", ["oath_date", "oath_place", "oath_host"]),
        ("入党宣誓现场照片", ["oath_photos"]),
    ]

    oath_date = date_field("入党宣誓日期", required=True)
    oath_place = text_field("宣誓地点")
    oath_host = text_field("领誓人", max_length=50)
    oath_photos = attachment_field("入党宣誓现场照片", min_count=1)

"""The 公示 block shared by steps 4, 8, 15, 17 and 23.

The form only checks that the end is not before the start; the minimum length (R05) is the diagram's. A draft
saved during the publicity (end in the future, no result yet) puts the notice on the public 党务公开 board
(app/publicity); the result can be entered, and the step submitted, once the period has ended.
"""
from forms.codes import PUBLICITY_RESULT
from forms.fields import attachment_field, date_field, select_field
from forms.validators import DateAfter, NotAfterTodayWhen, RequiredToSubmit

PUBLICITY_FIELDS = ["publicity_start", "publicity_end", "publicity_result"]


def publicity_block(notice: str, materials_label: str = "公示材料"):
    """A mixin class holding the publicity fields; ``notice`` is the title of the public notice (党务公开),
    ``materials_label`` names the uploads as the step's screen does."""

    class PublicityBlock:
        publicity_notice = notice
        publicity_start = date_field("公示开始日期", required=True)
        publicity_end = date_field("公示结束日期", required=True, past_only=False, validators=[
            DateAfter("publicity_start"),
            NotAfterTodayWhen("publicity_result", "公示尚未结束，结束后再录入公示结果")])
        publicity_result = select_field("公示结果", PUBLICITY_RESULT, presence=RequiredToSubmit("请选择公示结果"))
        publicity_materials = attachment_field(materials_label)

    return PublicityBlock

"""The 公示 block shared by steps 4, 8, 15, 17 and 23.

The form only checks that the end is not before the start; the minimum length (R05) is the diagram's.
"""
from forms.codes import PUBLICITY_RESULT
from forms.fields import attachment_field, date_field, select_field
from forms.validators import DateAfter

PUBLICITY_FIELDS = ["publicity_start", "publicity_end", "publicity_result"]


def publicity_block(materials_label: str = "公示材料"):
    """A mixin class holding the publicity fields; ``materials_label`` names the uploads as the step's screen does."""

    class PublicityBlock:
        publicity_start = date_field("公示开始日期", required=True)
        publicity_end = date_field("公示结束日期", required=True, validators=[DateAfter("publicity_start")])
        publicity_result = select_field("公示结果", PUBLICITY_RESULT, required=True)
        publicity_materials = attachment_field(materials_label)

    return PublicityBlock

"""The 转正 decision shared by steps 23 (支部大会) and 24 (上级党委审批): R29/R30.

按期转正 goes on, 延长预备期 (6–12 months, once: the diagram refuses a second) goes back to 继续教育考察,
取消预备党员资格 ends the process. The form only checks that the months go with an extension and nothing else.
"""
from wtforms.validators import NumberRange

from forms.codes import CONVERSION_CONCLUSION
from forms.fields import integer_field, select_field

EXTENSION = "延长预备期"


def conversion_block(decision_label: str):
    """A mixin holding ``conclusion`` (labelled ``decision_label``) and ``extension_months``."""

    class ConversionBlock:
        conclusion = select_field(decision_label, CONVERSION_CONCLUSION, required=True)
        extension_months = integer_field(
            "延长预备期（月）", min_value=6, validators=[NumberRange(max=12, message="预备期最多延长12个月")]
        )

        def validate(self, extra_validators=None):
            """Also require the months of an extension, and refuse them with any other conclusion."""
            valid = super().validate(extra_validators)
            months = self.extension_months
            extending = self.conclusion.data == EXTENSION
            message = None
            if extending and months.data is None and not months.errors:
                message = f"{decision_label}为延长预备期时，请填写延长预备期（月）"
            elif not extending and months.data is not None:
                message = f"只有{decision_label}为延长预备期时才填写延长预备期（月）"
            if message:
                months.errors.append(message)
            return valid and message is None

    return ConversionBlock

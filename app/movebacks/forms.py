"""The 县级审核 form of a 调整申请 (the service checks every value again)."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class MoveBackReviewForm(FlaskForm):
    """通过 or 不通过; the opinion is required for 不通过 (the service says so beside the field)."""
    opinion = TextAreaField("审核意见", filters=[_strip], validators=[
        Length(max=500, message="审核意见不能超过500个字")])
    version = HiddenField()

"""Forms of the 接续培养 pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from forms.validators import IdNumber, normalize_id_number


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TransferRequestForm(FlaskForm):
    """发起接续培养: who (name + ID, verified by the service) and to which branch."""
    name = StringField("姓名", filters=[_strip], validators=[
        DataRequired("请输入姓名"), Length(max=60, message="姓名不能超过60个字")])
    id_number = StringField("公民身份证号", filters=[normalize_id_number],
                            validators=[DataRequired("请输入公民身份证号"), IdNumber()])
    # Choices are the branches in scope; the service checks the choice again.
    to_org_id = SelectField("接受党组织", validate_choice=False, validators=[DataRequired("请选择接受党组织")])


class TransferReviewForm(FlaskForm):
    """转出审核: 通过 / 不通过 with an opinion (required for 不通过, by the service); ``version`` is the row
    version displayed. Also carries the version for 撤回."""
    opinion = TextAreaField("审核意见", filters=[_strip],
                            validators=[Length(max=500, message="审核意见不能超过500个字")])
    version = HiddenField()

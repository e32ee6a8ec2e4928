"""Forms of the 暂停发展 and 归国恢复 pages (the service checks every value again)."""
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SuspendForm(FlaskForm):
    """暂停发展-出国(境): why, where, the expected period abroad, and the supporting files."""
    reason = TextAreaField("暂停发展原因", filters=[_strip], validators=[
        DataRequired("请填写暂停发展原因"), Length(max=500, message="暂停发展原因不能超过500个字")])
    destination = StringField("前往国家（地区）", filters=[_strip], validators=[
        Optional(), Length(max=100, message="前往国家（地区）不能超过100个字")])
    expected_from = DateField("预计出国(境)日期", validators=[DataRequired("请填写预计出国(境)日期")])
    expected_to = DateField("预计归国日期", validators=[DataRequired("请填写预计归国日期")])
    files = MultipleFileField("相关材料")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # DateField's own message is English; say it in Chinese.
        for field in (self.expected_from, self.expected_to):
            field.messages = {"invalid": "请填写正确的日期（格式：年-月-日）"}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in (self.expected_from, self.expected_to):
            field.errors = ["请填写正确的日期（格式：年-月-日）" if e == "Not a valid date value." else e
                            for e in field.errors]
        return valid


class ResumeApplyForm(FlaskForm):
    """【归国恢复申请】 with the branch's opinion."""
    opinion = TextAreaField("支部意见", filters=[_strip], validators=[
        DataRequired("请填写支部意见"), Length(max=500, message="支部意见不能超过500个字")])


class ResumeReviewForm(FlaskForm):
    """基层党委 / 县级 审核: 通过 or 不通过, the opinion required either way; ``version`` is the instance version shown."""
    opinion = TextAreaField("审核意见", filters=[_strip], validators=[
        DataRequired("请填写审核意见"), Length(max=500, message="审核意见不能超过500个字")])
    version = HiddenField()

"""Forms of the login, activation, password-reset and account-management pages."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from app.auth.captcha import check_captcha
from app.auth.passwords import password_problem
from forms.validators import id_number_error, normalize_id_number


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _valid_id_number(form, field):
    if problem := id_number_error(field.data):
        raise ValidationError(problem)


def _password_policy(form, field):
    if problem := password_problem(field.data):
        raise ValidationError(problem)


_PHONE = Regexp(r"^1[3-9]\d{9}$", message="请输入11位手机号码")


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名（身份证号）")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    captcha = StringField("验证码", validators=[DataRequired("请输入验证码")])


class _SmsCodeForm(FlaskForm):
    """A page with a 获取验证码 button: that button validates only what sending a code needs."""
    phone = StringField("手机号码", filters=[_strip], validators=[DataRequired("请输入手机号码"), _PHONE])
    # The image captcha guards only the sending of SMS codes (it keeps scripts from texting phones).
    captcha = StringField("验证码", filters=[_strip])
    sms_code = StringField("短信验证码", filters=[_strip], validators=[
        DataRequired("请输入短信验证码"), Regexp(r"^\d{6}$", message="短信验证码为6位数字")])
    password = PasswordField("管理员密码", validators=[DataRequired("请输入密码"), _password_policy])
    confirm = PasswordField("确认密码", validators=[DataRequired("请再次输入密码"),
                                                  EqualTo("password", "两次输入的密码不一致")])
    send_code = SubmitField("获取验证码")

    # Fields the 获取验证码 button needs, besides the phone and the captcha.
    code_request_fields: tuple[str, ...] = ()

    def check_code_request(self) -> bool:
        """Validate the CSRF token, the phone (and any ``code_request_fields``) and the captcha only."""
        if not (self.is_submitted() and self.send_code.data):
            return False
        names = ("csrf_token", "phone") + self.code_request_fields
        ok = all([self[name].validate(self) for name in names if name in self._fields])
        if not self.captcha.data:
            self.captcha.errors = ["请输入图片中的验证码"]
            return False
        if not check_captcha(self.captcha.data):
            self.captcha.errors = ["验证码错误，请重新输入"]
            return False
        return ok

    # Not named validate_*: WTForms would take validate_submit for the inline validator of field "submit".
    def check_final_submit(self) -> bool:
        """Validate everything for the final submit button (the captcha is not needed then)."""
        return self.is_submitted() and not self.send_code.data and self.validate()


class ActivationForm(_SmsCodeForm):
    auth_code = StringField("授权码", filters=[_strip], validators=[
        DataRequired("请输入短信中的授权码"), Length(max=32, message="授权码格式不正确")])
    name = StringField("姓名", filters=[_strip], validators=[
        DataRequired("请输入姓名"), Length(max=60, message="姓名过长")])
    id_number = StringField("身份证号", filters=[normalize_id_number], validators=[
        DataRequired("请输入身份证号"), _valid_id_number])
    submit = SubmitField("激活")


class ForgotPasswordForm(_SmsCodeForm):
    username = StringField("用户名", filters=[normalize_id_number], validators=[
        DataRequired("请输入用户名（身份证号）"), _valid_id_number])
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码"), _password_policy])
    submit = SubmitField("重置密码")

    code_request_fields = ("username",)


class AccountForm(FlaskForm):
    """A new account opened by the 安全员; choices are filled by the view from the actor's subtree."""
    name = StringField("姓名", filters=[_strip], validators=[
        DataRequired("请输入姓名"), Length(max=60, message="姓名不超过60个字")])
    id_number = StringField("身份证号", filters=[normalize_id_number], validators=[
        DataRequired("请输入身份证号"), _valid_id_number])
    phone = StringField("手机号码", filters=[_strip], validators=[DataRequired("请输入手机号码"), _PHONE])
    # Placeholders are 0 and "": DataRequired refuses them with a message in Chinese.
    org_id = SelectField("所属组织", coerce=int, validators=[DataRequired("请选择所属组织")],
                         invalid_value_message="请选择所属组织",
                         invalid_choice_message="只能在本单位及下级组织中开通账号")
    role = SelectField("角色", validators=[DataRequired("请选择角色")], invalid_choice_message="请选择角色")
    submit = SubmitField("开通并发送授权码")

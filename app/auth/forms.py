"""Forms of the login pages."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名（身份证号）")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])
    captcha = StringField("验证码", validators=[DataRequired("请输入验证码")])

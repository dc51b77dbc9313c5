from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class StaffLoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=60)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。")), Length(max=200)])


class MemberCodeRequestForm(FlaskForm):
    id_number = StringField(_l("身份证号码"), validators=[DataRequired(_l("请填写身份证号码。")), Length(max=40)])
    mobile = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码。")), Length(max=20)])


class MemberCodeForm(FlaskForm):
    code = StringField(_l("短信验证码"), validators=[DataRequired(_l("请填写短信验证码。")), Length(max=10)])


class TwoFactorCodeForm(FlaskForm):
    code = StringField(_l("验证码"), validators=[DataRequired(_l("请填写验证码。")), Length(max=40)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请填写当前密码。")), Length(max=200)])
    new = PasswordField(_l("新密码（至少10位）"), validators=[DataRequired(_l("请填写新密码。")), Length(max=200)])
    repeat = PasswordField(_l("再次输入新密码"), validators=[DataRequired(_l("请再次输入新密码。")), Length(max=200)])

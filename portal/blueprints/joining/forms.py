"""Forms of the joining area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class JoinStartForm(FlaskForm):
    id_number = StringField(_l("身份证号码"), validators=[DataRequired(_l("请填写身份证号码。")), Length(max=40)])
    mobile = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码。")), Length(max=20)])


class JoinDetailsForm(FlaskForm):
    code = StringField(_l("短信验证码"), validators=[DataRequired(_l("请填写短信验证码。")), Length(max=10)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写本人姓名。")), Length(max=30)])
    occupation = SelectField(_l("职业"), validators=[DataRequired(_l("请选择职业。"))], validate_choice=False)
    employer = StringField(_l("所在平台或工作单位"), validators=[Length(max=60)])
    union_id = SelectField(_l("申请加入的工会"), validators=[DataRequired(_l("请选择要加入的工会。"))],
                           validate_choice=False)
    has_social_insurance = BooleanField(_l("我正在参加社会保险（职工社保）"))
    proof = FileField(_l("工作证明照片（选填：工牌、平台接单页面截图、劳动合同等，JPG或PNG，不超过10MB）"),
                      validators=[Optional()])


class DeclineForm(FlaskForm):
    reason = SelectField(_l("不予确认的原因"), validators=[DataRequired(_l("请选择原因。"))], validate_choice=False)
    note = TextAreaField(_l("内部备注（选填，申请人看不到）"), validators=[Length(max=200)])

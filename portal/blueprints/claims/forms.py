"""Forms of the claims area: start a claim, fill it in, add a document."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.claims import CLAIM_TYPE_LABELS

CLAIM_TYPE_CHOICES = [(kind.value, label) for kind, label in CLAIM_TYPE_LABELS.items()]
GRADE_CHOICES = [("", "无伤残")] + [(str(grade), f"{grade}级") for grade in range(1, 11)]


class StartClaimForm(FlaskForm):
    claim_type = RadioField("申请类型", choices=CLAIM_TYPE_CHOICES,
                            validators=[DataRequired("请选择申请类型。")])
    # Officers file for a member of their union: the member is named by ID number.
    id_number = StringField("职工身份证号码", validators=[Optional(), Length(max=40)])
    request_key = HiddenField()  # one per rendered form: a double click starts one draft


class ClaimForm(FlaskForm):
    claim_type = SelectField("申请类型", choices=CLAIM_TYPE_CHOICES, validate_choice=False)
    admission_date = DateField("入院日期", validators=[Optional()])
    discharge_date = DateField("出院日期", validators=[Optional()])
    hospital = StringField("医院名称", validators=[Optional(), Length(max=120)])
    diagnosis = StringField("诊断（见出院小结）", validators=[Optional(), Length(max=200)])
    disease = SelectField("所患重大疾病", choices=[], validate_choice=False)
    diagnosis_date = DateField("确诊日期", validators=[Optional()])
    accident_date = DateField("事故日期", validators=[Optional()])
    accident_description = TextAreaField("事故经过", validators=[Optional(), Length(max=2000)])
    medical_costs = StringField("医疗费用（元）", validators=[Optional(), Length(max=20)])
    # Not every claim type shows it; the service checks the range.
    disability_grade = SelectField("伤残等级（经鉴定）", choices=GRADE_CHOICES, validate_choice=False)
    is_death = BooleanField("因意外身故")
    payee_name = StringField("收款人姓名", validators=[Optional(), Length(max=60)])
    bank_name = StringField("开户银行", validators=[Optional(), Length(max=60)])
    bank_card = StringField("收款银行卡号", validators=[Optional(), Length(max=30)])
    version = HiddenField()


class DocumentForm(FlaskForm):
    kind = SelectField("材料类型", choices=[])
    file = FileField("选择文件（JPG、PNG或PDF，每个不超过10MB）", validators=[FileRequired("请选择要上传的文件。")])

"""Forms of the claims area: start a claim, fill it in, add a document."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.claims import BENEFICIARY_RELATIONSHIPS, CLAIM_TYPE_LABELS
from portal.domain.errors import DomainError
from portal.domain.money import fen_to_yuan, yuan_to_fen

BENEFICIARY_CHOICES = [("", _l("本人收款"))] + [(code, _l(label)) for code, label in BENEFICIARY_RELATIONSHIPS.items()]
CLAIM_TYPE_CHOICES = [(kind.value, _l(label)) for kind, label in CLAIM_TYPE_LABELS.items()]
GRADE_CHOICES = [("", _l("无伤残"))] + [(str(grade), _l("%(grade)s级", grade=grade)) for grade in range(1, 11)]
# Typed facts saved as they are; costs and the disability grade are converted first.
FACT_FIELDS = ("admission_date", "discharge_date", "hospital", "diagnosis", "diagnosis_date", "accident_date",
               "accident_description", "bank_name", "beneficiary_name", "beneficiary_relationship")


class StartClaimForm(FlaskForm):
    claim_type = RadioField(_l("申请类型"), choices=CLAIM_TYPE_CHOICES,
                            validators=[DataRequired(_l("请选择申请类型。"))])
    # Officers file for a member of their union: the member is named by ID number.
    id_number = StringField(_l("职工身份证号码"), validators=[Optional(), Length(max=40)])
    request_key = HiddenField()  # one per rendered form: a double click starts one draft


class ClaimForm(FlaskForm):
    claim_type = SelectField(_l("申请类型"), choices=CLAIM_TYPE_CHOICES, validate_choice=False)
    admission_date = DateField(_l("入院日期"), validators=[Optional()])
    discharge_date = DateField(_l("出院日期"), validators=[Optional()])
    hospital = StringField(_l("医院名称"), validators=[Optional(), Length(max=120)])
    diagnosis = StringField(_l("诊断（见出院小结）"), validators=[Optional(), Length(max=200)])
    disease = SelectField(_l("所患重大疾病"), choices=[], validate_choice=False)
    diagnosis_date = DateField(_l("确诊日期"), validators=[Optional()])
    accident_date = DateField(_l("事故日期"), validators=[Optional()])
    accident_description = TextAreaField(_l("事故经过"), validators=[Optional(), Length(max=2000)])
    medical_costs = StringField(_l("医疗费用（元）"), validators=[Optional(), Length(max=20)])
    # Not every claim type shows it; the service checks the range.
    disability_grade = SelectField(_l("伤残等级（经鉴定）"), choices=GRADE_CHOICES, validate_choice=False)
    is_death = BooleanField(_l("因意外身故"))
    # The payee is the member; someone else only as a beneficiary with the relationship and a proof.
    beneficiary_name = StringField(_l("受益人姓名（会员本人收款请留空）"), validators=[Optional(), Length(max=60)])
    beneficiary_relationship = SelectField(_l("受益人与会员的关系"), choices=BENEFICIARY_CHOICES,
                                           validate_choice=False)
    bank_name = StringField(_l("开户银行"), validators=[Optional(), Length(max=60)])
    bank_card = StringField(_l("收款银行卡号"), validators=[Optional(), Length(max=30)])
    version = HiddenField()

    def show(self, claim) -> None:
        """What the page shows of a saved claim (a card number is never shown back)."""
        self.version.data = claim.version_id
        self.medical_costs.data = str(fen_to_yuan(claim.medical_costs_fen)) if claim.medical_costs_fen else ""
        self.disability_grade.data = str(claim.disability_grade or "")
        self.bank_card.data = ""

    def claim_data(self) -> dict:
        """The typed facts as the filing service takes them (costs in fen); a bad amount names its field."""
        data = {name: getattr(self, name).data for name in FACT_FIELDS}
        data["disease"] = self.disease.data or None
        grade = str(self.disability_grade.data or "")
        data["disability_grade"] = int(grade) if grade.isdigit() else None
        data["is_death"] = bool(self.is_death.data)
        costs = (self.medical_costs.data or "").strip()
        try:
            data["medical_costs_fen"] = yuan_to_fen(costs) if costs else None
        except DomainError as error:
            error.field = "medical_costs"
            raise
        return data


class DocumentForm(FlaskForm):
    kind = SelectField(_l("材料类型"), choices=[])
    MAX_FILES = 12
    # Several photos at once (the pages of a discharge summary, both sides of an ID card).
    file = MultipleFileField(_l("选择文件（JPG、PNG或PDF，每个不超过10MB，可多选）"),
                     validators=[FileRequired(_l("请选择要上传的文件。"))])

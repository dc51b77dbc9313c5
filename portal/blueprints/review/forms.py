"""Forms of the review area: a decision, bulk approval, payouts and discharge lists."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.claims import CHECK_RULES, DOCUMENT_LABELS, REJECTION_REASONS
from portal.domain.money import yuan_to_fen


class DecisionForm(FlaskForm):
    decision = HiddenField()  # set by the button pressed
    amount = StringField(_l("核准金额（元，留空按系统测算）"), validators=[Optional(), Length(max=20)])
    reason = TextAreaField(_l("原因或说明（驳回、调整金额、补充材料时必填）"), validators=[Optional(), Length(max=500)])
    documents = SelectMultipleField(_l("需要补充的材料"), choices=[], validate_choice=False,
                                    option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    # Rejection: a coded reason (the plan's exclusions, the checks' findings); the member reads its words.
    reason_code = SelectField(_l("驳回原因（会员会看到对应说明）"), choices=[], validate_choice=False)
    # Approval despite blocking findings: which ones, and why (a second reviewer must confirm).
    override = SelectMultipleField(_l("例外核准的检查项"), choices=[], validate_choice=False,
                                   option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    justification = TextAreaField(_l("例外核准理由（复核人和审计记录可见）"), validators=[Optional(), Length(max=500)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents.choices = list(DOCUMENT_LABELS.items())
        self.reason_code.choices = [("", _l("请选择"))] + [(code, reason.label)
                                                          for code, reason in REJECTION_REASONS.items()]
        self.override.choices = [(code, rule.label) for code, rule in CHECK_RULES.items() if rule.overridable]

    def amount_fen(self) -> int | None:
        """The typed amount in fen; empty means the calculated one. A bad amount raises ``InvalidInput``."""
        text = (self.amount.data or "").strip()
        return yuan_to_fen(text) if text else None


class PaidForm(FlaskForm):
    bank_reference = StringField(_l("银行回单号（交易流水号）"),
                                 validators=[DataRequired(_l("请填写银行回单号。")), Length(max=60)])
    version = HiddenField()


class SplitForm(FlaskForm):
    keep = IntegerField(_l("留在本批次的笔数"), validators=[DataRequired(_l("请填写留在本批次的笔数。"))])
    version = HiddenField()


class DischargeListForm(FlaskForm):
    file = FileField(_l("出院名单（Excel或CSV：身份证号、入院日期、出院日期、医院、诊断）"),
                     validators=[FileRequired(_l("请选择出院名单文件。"))])

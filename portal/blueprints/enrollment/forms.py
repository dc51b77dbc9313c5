"""Forms of the enrolment area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.domain.enrollment import GIG_OCCUPATION_CHOICES


class RosterUploadForm(FlaskForm):
    union_code = SelectField(_l("参保工会"), validators=[DataRequired(_l("请选择参保工会。"))], validate_choice=False)
    roster = FileField(_l("名单文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择要上传的名单文件。"))])


class UnionChoiceForm(FlaskForm):
    union_code = SelectField(_l("工会"), validators=[DataRequired(_l("请选择工会。"))], validate_choice=False)


class RenewalForm(UnionChoiceForm):
    """一键续保: the officer confirms the list and the cost they were shown (``expected``)."""

    expected = HiddenField()
    checked = BooleanField(_l("我已核对以上名单和金额"),
                           validators=[DataRequired(_l("请先核对名单和金额，并勾选确认。"))])


class RejectForm(FlaskForm):
    reason = StringField(_l("不予确认的原因"),
                         validators=[DataRequired(_l("请填写原因，会员会收到这条说明。")), Length(max=200)])


def _money(label: str):
    return StringField(label, validators=[DataRequired(_l("请填写%(label)s。", label=label)), Length(max=20)])


def _days(label: str, low: int, high: int):
    return IntegerField(label, validators=[
        InputRequired(_l("请填写%(label)s。", label=label)),
        NumberRange(low, high, _l("%(label)s应在%(low)s到%(high)s之间。", label=label, low=low, high=high))])


class PlanForm(FlaskForm):
    based_on_version = HiddenField()
    name = StringField(_l("项目名称"), validators=[DataRequired(_l("请填写项目名称。")), Length(max=120)])
    contribution = _money(_l("每人每年缴费（元）"))
    hospital_daily = _money(_l("住院津贴：每天（元），首日起付"))
    hospital_days_cap = _days(_l("住院津贴：每年最多天数"), 1, 366)
    condolence = _money(_l("住院慰问金：每次住院（元）"))
    critical_illness = _money(_l("重大疾病保障金：每年度一次（元）"))
    critical_diseases = TextAreaField(_l("保障的重大疾病（每行一种）"),
                                      validators=[DataRequired(_l("请至少列出一种重大疾病。"))])
    accident_medical_cap = _money(_l("意外医疗：最高（元）"))
    accident_death = _money(_l("意外身故或一级伤残（元）"))
    disability_percentages = StringField(_l("伤残1级至10级比例（%，逗号分隔）"),
                                         validators=[DataRequired(_l("请填写10个等级的比例。"))])
    illness_waiting_days = _days(_l("首次参保疾病等待期（天）"), 0, 180)
    claim_deadline_days = _days(_l("申请期限：出院或事故后（天）"), 30, 1098)
    exclusions = TextAreaField(_l("免责条款"), validators=[DataRequired(_l("请填写免责条款。"))])


class CampaignForm(FlaskForm):
    name = StringField(_l("项目名称"), validators=[DataRequired(_l("请填写项目名称。")), Length(max=120)])
    sponsor = StringField(_l("出资方"), validators=[DataRequired(_l("请填写出资方。")), Length(max=120)])
    union_code = SelectField(_l("面向地区（工会）"), validators=[DataRequired(_l("请选择地区。"))])
    opens_on = DateField(_l("开始领取日期"), validators=[InputRequired(_l("请填写开始日期（年-月-日）。"))])
    closes_on = DateField(_l("截止日期"), validators=[InputRequired(_l("请填写截止日期（年-月-日）。"))])
    quota = IntegerField(_l("名额"), validators=[InputRequired(_l("请填写名额。")),
                                           NumberRange(1, 10_000_000, _l("名额应为正整数。"))])
    occupations = StringField(_l("限定职业（用顿号分隔，留空为不限）"), default="、".join(GIG_OCCUPATION_CHOICES),
                              validators=[Optional(), Length(max=200)])
    requires_gig_worker = BooleanField(_l("仅限新就业形态劳动者"), default=True)
    requires_social_insurance = BooleanField(_l("须参加社会保险"))
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000)])


class NominateForm(FlaskForm):
    member_id = HiddenField(validators=[DataRequired()])

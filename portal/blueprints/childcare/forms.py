"""Forms of the childcare pages: a class (organiser), a registration (parent), a notice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.childcare import CATEGORY_LABELS, DECLARABLE_CATEGORIES, MAX_PICKUP_ADULTS, WEEKDAY_LABELS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClassForm(FlaskForm):
    name = StringField(_l("班级名称"), validators=[DataRequired(_l("请填写班级名称。")), Length(max=120)])
    union_code = StringField(_l("开办组织（工会代码，留空为本组织）"), validators=[Optional(), Length(max=32)])
    site_name = StringField(_l("托管地点"), validators=[DataRequired(_l("请填写托管地点。")), Length(max=120)])
    address = StringField(_l("详细地址"), validators=[DataRequired(_l("请填写地址。")), Length(max=200)])
    contact_phone = StringField(_l("咨询电话"), validators=[Optional(), Length(max=20)])
    starts_on = DateField(_l("开班日期"), validators=[InputRequired(_l("请选择开班日期。"))])
    ends_on = DateField(_l("结班日期"), validators=[InputRequired(_l("请选择结班日期。"))])
    weekdays = CheckboxesField(_l("上课日"), choices=[(str(d), _l(label)) for d, label in WEEKDAY_LABELS.items()],
                               default=["1", "2", "3", "4", "5"])
    daily_start = TimeField(_l("每日开始"), validators=[InputRequired(_l("请填写每日开始时间。"))])
    daily_end = TimeField(_l("每日结束"), validators=[InputRequired(_l("请填写每日结束时间。"))])
    seats = IntegerField(_l("名额"), validators=[InputRequired(_l("请填写名额。")),
                                             NumberRange(1, 500, _l("名额应在1到500之间。"))])
    min_age = IntegerField(_l("最小年龄（岁）"), default=6, validators=[InputRequired(_l("请填写最小年龄。")),
                                                                    NumberRange(3, 17, _l("年龄应在3到17岁之间。"))])
    max_age = IntegerField(_l("最大年龄（岁）"), default=12, validators=[InputRequired(_l("请填写最大年龄。")),
                                                                     NumberRange(3, 17, _l("年龄应在3到17岁之间。"))])
    fee = StringField(_l("费用（元，免费填0）"), default="0", validators=[Length(max=12)])
    meals = StringField(_l("餐饮安排"), validators=[Optional(), Length(max=200)])
    programme = TextAreaField(_l("课程与活动"), validators=[Optional(), Length(max=4000)])
    staff_and_volunteers = TextAreaField(_l("工作人员与志愿者"), validators=[Optional(), Length(max=2000)])
    safety_rules = TextAreaField(_l("安全须知（家长报名时须同意）"),
                                 validators=[DataRequired(_l("请填写安全须知。")), Length(max=4000)])
    registration_opens_on = DateField(_l("报名开始日期"), validators=[InputRequired(_l("请选择报名开始日期。"))])
    registration_closes_on = DateField(_l("报名截止日期（含当天）"),
                                       validators=[InputRequired(_l("请选择报名截止日期。"))])


class PickupAdultForm(Form):
    """One row of the pick-up list (a plain sub-form: the outer form carries the CSRF token)."""

    name = StringField(_l("接送人姓名"), validators=[Optional(), Length(max=30)])
    relation = StringField(_l("与孩子关系"), validators=[Optional(), Length(max=20)])
    mobile = StringField(_l("手机号码"), validators=[Optional(), Length(max=20)])


class RegistrationForm(FlaskForm):
    child_name = StringField(_l("孩子姓名"), validators=[DataRequired(_l("请填写孩子的姓名。")), Length(max=30)])
    child_id_number = StringField(_l("孩子身份证号码"),
                                  validators=[DataRequired(_l("请填写孩子的身份证号码。")), Length(max=40)])
    health_notes = TextAreaField(_l("健康状况（只有本班负责人可以查看）"), validators=[Optional(), Length(max=1000)])
    allergies = StringField(_l("过敏情况"), validators=[Optional(), Length(max=500)])
    pickup_adults = FieldList(FormField(PickupAdultForm), min_entries=3, max_entries=MAX_PICKUP_ADULTS)
    declared_category = SelectField(
        _l("家庭情况（档案中没有的可以申报，工会将核实）"),
        choices=[("", _l("无需申报，按会员档案")),
                 *[(c.value, _l("配偶或另一位家长是%(category)s", category=_l(CATEGORY_LABELS[c])) if c.tier == 1
                    else _l(CATEGORY_LABELS[c]))
                   for c in DECLARABLE_CATEGORIES]],
        validators=[Optional()])
    accept_rules = BooleanField(_l("我已阅读并同意本班的安全须知"))


class NoticeForm(FlaskForm):
    body = TextAreaField(_l("通知内容（短信发给已录取孩子的家长）"),
                         validators=[DataRequired(_l("请填写通知内容。")),
                                     Length(max=300, message=_l("通知最多300字。"))])


class CancelForm(FlaskForm):
    reason = StringField(_l("取消原因（选填）"), validators=[Optional(), Length(max=200)])

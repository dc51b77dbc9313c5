"""Forms of the events pages: an event and a wedding (organiser), registrations (member), a choice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.domain import events as rules


class EventForm(FlaskForm):
    title = StringField(_l("活动名称"), default="“缘起工会 携手逐梦”单身职工联谊活动",
                        validators=[DataRequired(_l("请填写活动名称。")), Length(max=120)])
    place = StringField(_l("活动地点"), validators=[DataRequired(_l("请填写活动地点。")), Length(max=200)])
    held_on = DateField(_l("活动日期"), validators=[InputRequired(_l("请选择活动日期。"))])
    starts_at = TimeField(_l("开始时间"), validators=[InputRequired(_l("请填写开始时间。"))])
    ends_at = TimeField(_l("结束时间"), validators=[InputRequired(_l("请填写结束时间。"))])
    capacity = IntegerField(_l("名额（人）"), validators=[InputRequired(_l("请填写名额。")),
                                                      NumberRange(2, rules.MAX_CAPACITY, _l("名额超出范围。"))])
    balanced = BooleanField(_l("男女各半"), default=True)
    min_age = IntegerField(_l("最小年龄（岁）"), default=22, validators=[InputRequired(_l("请填写最小年龄。"))])
    max_age = IntegerField(_l("最大年龄（岁）"), default=40, validators=[InputRequired(_l("请填写最大年龄。"))])
    registration_opens_on = DateField(_l("报名开始"), validators=[InputRequired(_l("请选择报名开始日期。"))])
    registration_closes_on = DateField(_l("报名截止"), validators=[InputRequired(_l("请选择报名截止日期。"))])
    description = TextAreaField(_l("活动介绍"), validators=[Optional(), Length(max=4000)])


class WeddingForm(FlaskForm):
    title = StringField(_l("活动名称"), default="百对新人职工集体婚礼",
                        validators=[DataRequired(_l("请填写活动名称。")), Length(max=120)])
    place = StringField(_l("婚礼地点"), validators=[DataRequired(_l("请填写婚礼地点。")), Length(max=200)])
    held_on = DateField(_l("婚礼日期"), validators=[InputRequired(_l("请选择婚礼日期。"))])
    starts_at = TimeField(_l("开始时间"), validators=[InputRequired(_l("请填写开始时间。"))])
    capacity = IntegerField(_l("新人对数"), default=100, validators=[
        InputRequired(_l("请填写新人对数。")), NumberRange(1, rules.MAX_WEDDING_COUPLES, _l("新人对数超出范围。"))])
    registration_opens_on = DateField(_l("报名开始"), validators=[InputRequired(_l("请选择报名开始日期。"))])
    registration_closes_on = DateField(_l("报名截止"), validators=[InputRequired(_l("请选择报名截止日期。"))])
    programme = TextAreaField(_l("婚礼流程（每行一项，如“14:00 新人入场”）"), validators=[Optional(), Length(max=4000)])


class SinglesRegistrationForm(FlaskForm):
    declared_single = BooleanField(_l("本人承诺目前单身（未婚、离异或丧偶）"))
    accepted_privacy = BooleanField(_l("我知道：平台不向其他嘉宾提供我的姓名和联系方式，现场只以嘉宾编号相称"))


class CoupleForm(FlaskForm):
    partner_name = StringField(_l("爱人姓名"), validators=[DataRequired(_l("请填写爱人的姓名。")), Length(max=30)])
    partner_id_number = StringField(_l("爱人身份证号码"), validators=[DataRequired(_l("请填写爱人的身份证号码。")),
                                                                  Length(max=18)])
    certificate_on = DateField(_l("结婚证登记日期"), validators=[InputRequired(_l("请填写结婚证登记日期。"))])
    names_in_programme = BooleanField(_l("双方同意在婚礼节目单上印出姓名"))


class ChoiceForm(FlaskForm):
    number = IntegerField(_l("对方的嘉宾编号"), validators=[InputRequired(_l("请填写对方的嘉宾编号。")),
                                                         NumberRange(1, 100_000, _l("请填写对方的嘉宾编号。"))])


class CheckInForm(FlaskForm):
    number = IntegerField(_l("嘉宾编号"), validators=[InputRequired(_l("请填写嘉宾编号。")),
                                                   NumberRange(1, 100_000, _l("请填写嘉宾编号。"))])

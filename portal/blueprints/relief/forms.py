from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.hardship import HARDSHIP_LEVEL_LABELS
from portal.domain.relief import MAX_PACKS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SeasonForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(_l("请填写补助季名称。")), Length(max=120)])
    starts_on = DateField(_l("开始日期"), validators=[DataRequired(_l("请填写补助季的开始和结束日期。"))])
    ends_on = DateField(_l("结束日期"), validators=[DataRequired(_l("请填写补助季的开始和结束日期。"))])
    amount = StringField(_l("每户补助金额（元）"),
                         validators=[DataRequired(_l("请填写每户补助金额。")), Length(max=20)])
    levels = CheckboxesField(_l("覆盖的建档级别"),
                             choices=[(level.value, _l(label)) for level, label in HARDSHIP_LEVEL_LABELS.items()])


class PacksForm(FlaskForm):
    target = SelectField(_l("发放到"), choices=[("station", _l("站点")), ("family", _l("建档家庭"))])
    station_id = SelectField(_l("站点"), coerce=int, validate_choice=False)
    family_id = IntegerField(_l("建档记录编号"), validators=[Optional()])
    count = IntegerField(_l("数量（份）"), validators=[DataRequired(_l("请填写发放数量。")), NumberRange(1, MAX_PACKS)])
    handed_on = DateField(_l("发放日期"), validators=[DataRequired(_l("请填写发放日期（不能晚于今天）。"))])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=200)])

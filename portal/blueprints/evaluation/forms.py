"""Forms of the evaluation pages: a round, a station plan item, the panel draw."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.domain import evaluation as rules


class RoundForm(FlaskForm):
    year = IntegerField(_l("评价年度"), validators=[InputRequired(_l("请填写评价年度。")),
                                                  NumberRange(2000, 2100, _l("请填写评价年度。"))])
    title = StringField(_l("评价名称"), validators=[DataRequired(_l("请填写评价名称。")), Length(max=120)])
    panel_size = IntegerField(_l("每个验收小组的单位数"), default=3, validators=[
        InputRequired(_l("请填写每个验收小组的单位数。")),
        NumberRange(rules.MIN_PANEL_SIZE, rules.MAX_PANEL_SIZE, _l("每个验收小组应有2到6家单位。"))])
    criteria = TextAreaField(_l("评价指标（每行“指标名称|权重”）"), validators=[Length(max=4000)],
                             default="\n".join(f"{c.name}|{c.weight}" for c in rules.DEFAULT_CRITERIA))


class DrawForm(FlaskForm):
    seed = StringField(_l("种子（留空则随机生成并公开）"), validators=[Optional(), Length(max=64)])


class PlanItemForm(FlaskForm):
    kind = SelectField(_l("类别"), choices=[(k.value, _l(label)) for k, label in rules.PLAN_ITEM_LABELS.items()])
    title = StringField(_l("名称"), validators=[DataRequired(_l("请填写名称。")), Length(max=120)])
    detail = TextAreaField(_l("内容"), validators=[Optional(), Length(max=2000)])

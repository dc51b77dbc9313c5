from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.hardship import HARDSHIP_LEVEL_LABELS, REASON_MAX


def level_choices(levels) -> list[tuple[str, str]]:
    return [(level.value, _l(HARDSHIP_LEVEL_LABELS[level])) for level in levels]


class FamilyForm(FlaskForm):
    level = SelectField(_l("建档级别"))
    reason = TextAreaField(_l("建档原因"), validators=[DataRequired(_l("请填写建档原因。")), Length(max=REASON_MAX)])
    review_on = DateField(_l("下次复核日期"), validators=[DataRequired(_l("请填写下次复核日期。"))])


class ReviewForm(FlaskForm):
    level = SelectField(_l("建档级别"))
    review_on = DateField(_l("下次复核日期"), validators=[DataRequired(_l("请填写下次复核日期。"))])
    note = StringField(_l("复核说明"), validators=[Optional(), Length(max=200)])


class RemoveForm(FlaskForm):
    note = StringField(_l("退出原因"), validators=[DataRequired(_l("请填写退出建档的原因。")), Length(max=200)])

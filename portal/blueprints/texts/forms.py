from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.domain.texts import MAX_CUSTOM_LENGTH


class TemplateForm(FlaskForm):
    body = TextAreaField(_l("短信内容"), validators=[DataRequired(_l("请填写短信内容。")),
                                                  Length(max=MAX_CUSTOM_LENGTH + 50)])

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.stations import STATION_KIND_LABELS


class StationForm(FlaskForm):
    code = StringField(_l("站点代码"), validators=[DataRequired(_l("请填写站点代码。")), Length(max=32)])
    name = StringField(_l("站点名称"), validators=[DataRequired(_l("请填写站点名称。")), Length(max=120)])
    kind = SelectField(_l("站点类型"), choices=[(kind.value, _l(label)) for kind, label in STATION_KIND_LABELS.items()])
    union_code = StringField(_l("所属工会代码"), validators=[DataRequired(_l("请填写所属工会代码。")), Length(max=32)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    opening_hours = StringField(_l("开放时间"), validators=[Optional(), Length(max=120)])


class NewKioskForm(FlaskForm):
    station_id = SelectField(_l("所在站点"), coerce=int)
    name = StringField(_l("终端名称"), validators=[DataRequired(_l("请填写终端名称。")), Length(max=80)])


class PublicKeyForm(FlaskForm):
    public_key = TextAreaField(_l("新公钥（PEM）"), validators=[DataRequired(_l("请粘贴终端显示的公钥。")),
                                                            Length(max=4096)])

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.stations import STATION_KIND_LABELS, STATION_SERVICE_LABELS, TICKED_SERVICES


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes, easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StationForm(FlaskForm):
    code = StringField(_l("站点代码"), validators=[DataRequired(_l("请填写站点代码。")), Length(max=32)])
    name = StringField(_l("站点名称"), validators=[DataRequired(_l("请填写站点名称。")), Length(max=120)])
    kind = SelectField(_l("站点类型"), choices=[(kind.value, _l(label)) for kind, label in STATION_KIND_LABELS.items()])
    union_code = StringField(_l("所属工会代码"), validators=[DataRequired(_l("请填写所属工会代码。")), Length(max=32)])
    district = StringField(_l("所在区域"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    opening_hours = StringField(_l("开放时间"), validators=[Optional(), Length(max=120)])
    services = CheckboxesField(_l("提供的服务"), choices=[(service.value, _l(STATION_SERVICE_LABELS[service]))
                                                     for service in TICKED_SERVICES])
    season_starts_on = DateField(_l("季节开放开始日期"), validators=[Optional()])
    season_ends_on = DateField(_l("季节开放结束日期"), validators=[Optional()])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])


class NewKioskForm(FlaskForm):
    station_id = SelectField(_l("所在站点"), coerce=int)
    name = StringField(_l("终端名称"), validators=[DataRequired(_l("请填写终端名称。")), Length(max=80)])


class PublicKeyForm(FlaskForm):
    public_key = TextAreaField(_l("新公钥（PEM）"), validators=[DataRequired(_l("请粘贴终端显示的公钥。")),
                                                            Length(max=4096)])

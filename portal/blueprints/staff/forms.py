from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.roles import ROLE_LABELS, STAFF_ROLES
from portal.models.unions import UNION_KIND_LABELS


class StaffAccountForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=60)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=60)])
    role = SelectField(_l("角色"), choices=[(role.value, _l(ROLE_LABELS[role])) for role in STAFF_ROLES])
    union_code = StringField(_l("所属工会代码"), validators=[Optional(), Length(max=32)])
    password = PasswordField(_l("初始密码（至少10位）"), validators=[DataRequired(_l("请填写密码。")), Length(max=200)])


class UnionForm(FlaskForm):
    code = StringField(_l("工会代码"), validators=[DataRequired(_l("请填写工会代码。")), Length(max=32)])
    name = StringField(_l("工会名称"), validators=[DataRequired(_l("请填写工会名称。")), Length(max=120)])
    kind = SelectField(_l("类型"), choices=[(kind.value, _l(label)) for kind, label in UNION_KIND_LABELS.items()],
                       default="grassroots")
    parent_code = StringField(_l("上级工会代码"), validators=[Optional(), Length(max=32)])

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.roles import ROLE_LABELS, STAFF_ROLES
from portal.models.unions import UNION_KIND_LABELS


class StaffAccountForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名。"), Length(max=60)])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名。"), Length(max=60)])
    role = SelectField("角色", choices=[(role.value, ROLE_LABELS[role]) for role in STAFF_ROLES])
    union_code = StringField("所属工会代码", validators=[Optional(), Length(max=32)])
    password = PasswordField("初始密码（至少10位）", validators=[DataRequired("请填写密码。"), Length(max=200)])


class UnionForm(FlaskForm):
    code = StringField("工会代码", validators=[DataRequired("请填写工会代码。"), Length(max=32)])
    name = StringField("工会名称", validators=[DataRequired("请填写工会名称。"), Length(max=120)])
    kind = SelectField("类型", choices=[(kind.value, label) for kind, label in UNION_KIND_LABELS.items()],
                       default="grassroots")
    parent_code = StringField("上级工会代码", validators=[Optional(), Length(max=32)])

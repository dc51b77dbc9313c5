from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.domain.roles import ROLE_LABELS, STAFF_ROLES, Role
from portal.models.unions import UNION_KIND_LABELS

# Enterprise contacts' accounts come with their enterprise's sign-up, not from this form.
_ADMIN_ROLES = [(role.value, _l(ROLE_LABELS[role])) for role in STAFF_ROLES if role is not Role.ENTERPRISE]
_UNION_HINT = _l("基层工会经办人、托管班负责人必选；管理员和审核员面向全市，不关联工会")


def union_choices(tree) -> list[tuple[str, str]]:
    """The union picker's choices in tree order, indented by depth, after "none"."""
    return [("", _l("（不关联工会）"))] + [(union.code, "\u3000" * depth + f"{union.name}（{union.code}）")
                                         for union, depth, _count in tree]


class StaffAccountForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=60)])
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=60)])
    role = SelectField(_l("角色"), choices=_ADMIN_ROLES)
    union_code = SelectField(_l("所属工会"), choices=[], validate_choice=False, description=_UNION_HINT)
    password = PasswordField(_l("初始密码（至少10位，首次登录时须修改）"),
                             validators=[DataRequired(_l("请填写密码。")), Length(max=200)])


class StaffRoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=_ADMIN_ROLES)
    union_code = SelectField(_l("所属工会"), choices=[], validate_choice=False, description=_UNION_HINT)


class UnionForm(FlaskForm):
    code = StringField(_l("工会代码"), validators=[DataRequired(_l("请填写工会代码。")), Length(max=32)])
    name = StringField(_l("工会名称"), validators=[DataRequired(_l("请填写工会名称。")), Length(max=120)])
    kind = SelectField(_l("类型"), choices=[(kind.value, _l(label)) for kind, label in UNION_KIND_LABELS.items()],
                       default="grassroots")
    parent_code = StringField(_l("上级工会代码"), validators=[Optional(), Length(max=32)])


class UnionEditForm(FlaskForm):
    name = StringField(_l("工会名称"), validators=[DataRequired(_l("请填写工会名称。")), Length(max=120)])
    kind = SelectField(_l("类型"), choices=[(kind.value, _l(label)) for kind, label in UNION_KIND_LABELS.items()])
    district = StringField(_l("所在区"), validators=[Optional(), Length(max=40)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=20)])
    takes_join_requests = BooleanField(_l("在网上入会页面接受入会申请"))


class UnionMoveForm(FlaskForm):
    parent_code = StringField(_l("新的上级工会代码"),
                              validators=[DataRequired(_l("请填写上级工会代码。")), Length(max=32)])


class UnionImportForm(FlaskForm):
    file = FileField(_l("工会名单（Excel）"), validators=[FileRequired(_l("请选择文件。"))])

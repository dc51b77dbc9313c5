"""Staff accounts (the SMS log and the audit log are read in ``sms_log`` and ``audit_log``)."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.roles import STAFF_ROLES, UNION_SCOPED_ROLES, Role
from portal.extensions import db
from portal.models import StaffUser
from portal.services import audit, unions
from portal.services.access import require_role
from portal.services.unit_of_work import unit_of_work

MIN_PASSWORD_LENGTH = 10


@unit_of_work
def create_staff(actor, *, username: str, display_name: str, role: str, password: str,
                 union_code: str | None = None) -> StaffUser:
    """Create a staff account; ``actor`` is an administrator, or ``None`` from the command line."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    try:
        role_enum = Role(role)
    except ValueError:
        raise InvalidInput(N_("未知角色：%(role)s"), field="role", role=role) from None
    if role_enum not in STAFF_ROLES:
        raise InvalidInput(N_("会员无需创建工作人员账号。"), field="role")
    username = username.strip()
    if not username:
        raise InvalidInput(N_("请填写用户名。"), field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("密码至少%(length)s位。"), field="password", length=MIN_PASSWORD_LENGTH)
    union = unions.find_union(union_code) if union_code else None
    if role_enum in UNION_SCOPED_ROLES and union is None:
        raise InvalidInput(N_("基层工会经办人和托管班负责人必须关联一个工会。"), field="union_code")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(N_("用户名 %(username)s 已被使用。"), field="username", username=username)
    user = StaffUser(username=username, display_name=display_name or username, role=role_enum, union=union)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff.create", "staff_user", user.id, role=role_enum.value, username=username)
    return user


def list_staff(actor) -> list[StaffUser]:
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))

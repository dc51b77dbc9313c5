"""Staff accounts: created, re-scoped, disabled and reset by administrators, every change audited
(the SMS log and the audit log are read in ``sms_log`` and ``audit_log``)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.domain.errors import Conflict, InvalidInput, NotFound
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
    if actor is not None and role_enum is Role.ENTERPRISE:
        raise InvalidInput(ENTERPRISE_BY_SIGN_UP, field="role")
    union = _scope_for(role_enum, union_code)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(N_("用户名 %(username)s 已被使用。"), field="username", username=username)
    user = StaffUser(username=username, display_name=display_name or username, role=role_enum, union=union)
    user.set_password(password)
    # An administrator chose this password and knows it: its holder sets their own at first sign-in.
    user.must_change_password = actor is not None
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff.create", "staff_user", user.id, role=role_enum.value, username=username,
                 union=union.code if union else None)
    return user


ENTERPRISE_BY_SIGN_UP = N_("爱心企业联系人的账号随企业登记创建（经工会审核后生效），无需在此新建。")
TEMPORARY_PASSWORD_LENGTH = 12
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _scope_for(role: Role, union_code: str | None):
    """The organisation an account of ``role`` acts for: a union for officers and organisers,
    none (the whole federation) for administrators and reviewers."""
    if role in UNION_SCOPED_ROLES:
        if not union_code:
            raise InvalidInput(N_("基层工会经办人和托管班负责人必须关联一个工会。"), field="union_code")
        return unions.find_union(union_code)
    return None


def get_staff(actor, user_id: int) -> StaffUser:
    require_role(actor, Role.ADMIN)
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(N_("没有这个账号。"))
    return user


def _for_change(actor, user_id: int) -> StaffUser:
    require_role(actor, Role.ADMIN)
    user = db.session.get(StaffUser, user_id, with_for_update=True)
    if user is None:
        raise NotFound(N_("没有这个账号。"))
    return user


@unit_of_work
def change_role(actor, user_id: int, *, role: str, union_code: str | None) -> StaffUser:
    """A new role and organisation scope; the account's sessions end (they were opened for the old one).
    An administrator cannot change their own role (the federation would lose its last one by mistake)."""
    user = _for_change(actor, user_id)
    if user.id == actor.id:
        raise InvalidInput(N_("不能修改自己账号的角色，请由另一位管理员操作。"), field="role")
    try:
        role_enum = Role(role)
    except ValueError:
        raise InvalidInput(N_("未知角色：%(role)s"), field="role", role=role) from None
    if role_enum not in STAFF_ROLES:
        raise InvalidInput(N_("会员无需创建工作人员账号。"), field="role")
    if (role_enum is Role.ENTERPRISE) != (user.role_enum is Role.ENTERPRISE):
        raise InvalidInput(ENTERPRISE_BY_SIGN_UP, field="role")
    union = None if role_enum is Role.ENTERPRISE else _scope_for(role_enum, union_code)
    before = {"role": user.role, "union": user.union.code if user.union else None}
    user.role = role_enum.value
    if role_enum is not Role.ENTERPRISE:
        user.union = union
    user.session_generation = (user.session_generation or 0) + 1
    audit.record(actor, "staff.change_role", "staff_user", user.id, username=user.username, before=before,
                 after={"role": user.role, "union": user.union.code if user.union else None})
    return user


@unit_of_work
def set_active(actor, user_id: int, active: bool) -> StaffUser:
    """Disable an account (it cannot sign in, every session ends at once) or enable it again."""
    user = _for_change(actor, user_id)
    if user.id == actor.id and not active:
        raise InvalidInput(N_("不能停用自己的账号。"))
    if user.is_active_account != active:
        user.is_active_account = active
        user.session_generation = (user.session_generation or 0) + 1
        audit.record(actor, "staff.enable" if active else "staff.disable", "staff_user", user.id,
                     username=user.username)
    return user


@unit_of_work
def reset_password(actor, user_id: int) -> tuple[StaffUser, str]:
    """A temporary password, shown once to the administrator, to be changed at the next sign-in;
    every session of the account ends. The password itself is in no record."""
    user = _for_change(actor, user_id)
    if user.id == actor.id:
        raise InvalidInput(N_("请在“账号安全”中修改自己的密码。"))
    temporary = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
    user.set_password(temporary)
    user.must_change_password = True
    audit.record(actor, "staff.password_reset", "staff_user", user.id, username=user.username)
    return user, temporary


def list_staff(actor) -> list[StaffUser]:
    require_role(actor, Role.ADMIN)
    # Each line names the account's union: joined to the list, not one query per account (a
    # many-to-one ``selectinload`` would skip unions the page already holds: a count that varies).
    return list(db.session.scalars(select(StaffUser).options(joinedload(StaffUser.union))
                                   .order_by(StaffUser.role, StaffUser.username)))

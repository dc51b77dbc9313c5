"""Caring enterprises (爱心企业): registration, by the enterprise or an officer, and the union's review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_mobile
from portal.domain.jobs import EnterpriseAction, EnterpriseStatus
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enterprise, StaffUser, Union
from portal.models.base import utcnow
from portal.models.unions import UnionKind
from portal.services import audit
from portal.services.access import require_union_in_scope, role_of, union_scope
from portal.services.jobs import access
from portal.services.sms import count_visitor_request, queue_text
from portal.services.staff import MIN_PASSWORD_LENGTH
from portal.services.unit_of_work import savepoint, unit_of_work

OVERSIGHT_KINDS = (UnionKind.DISTRICT, UnionKind.STREET)  # where officers approve enterprises


@dataclass
class EnterpriseDetails:
    name: str
    uscc: str
    district: str
    address: str
    union_id: int
    contact_name: str
    contact_mobile: str
    description: str = ""


def oversight_unions(actor=None) -> list[Union]:
    """Unions an enterprise may register under: districts and streets (an officer: of its subtree)."""
    stmt = select(Union).where(Union.kind.in_(OVERSIGHT_KINDS)).order_by(Union.code)
    if actor is not None and role_of(actor) in access.UNION_ROLES:
        stmt = union_scope(stmt, actor, Union.id)
    return list(db.session.scalars(stmt))


@unit_of_work
def register_enterprise(actor, details: EnterpriseDetails, *, username: str, password: str,
                        now: datetime | None = None) -> Enterprise | None:
    """Register a caring enterprise and its contact's account.

    Self-registration (``actor`` None) leaves both pending until a union officer approves; an
    officer registering on the enterprise's behalf vouches for it, so it is approved at once.
    A self-registration whose username is taken gets the same answer as any other (``None``
    instead of the enterprise, shown the same way): the public form must not list staff
    usernames. The applicant is told by text, on the contact mobile they gave.
    """
    by_staff = actor is not None
    if by_staff:
        access.require_union_staff(actor)
    code, mobile, union = _checked_details(details)
    if by_staff:
        require_union_in_scope(actor, union)
    username = _checked_account(username, password)
    if not by_staff and db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        count_visitor_request(mobile, "jobs_enterprise_username_taken", field="contact_mobile")
        queue_text(mobile, kind="jobs_enterprise_username_taken", params={})
        return None
    _check_not_registered(code, username)
    enterprise = _add_enterprise(actor, details, code=code, mobile=mobile, union=union, username=username,
                                 password=password, now=now or utcnow())
    audit.record(actor, "jobs.enterprise_register", "enterprise", enterprise.id, uscc=code, by_staff=by_staff)
    return enterprise


def _checked_details(details: EnterpriseDetails) -> tuple[str, str, Union]:
    """The credit code and mobile as stored, and the overseeing union; each refusal on its field."""
    code = rules.parse_uscc(details.uscc)
    try:
        mobile = parse_mobile(details.contact_mobile)
    except InvalidInput as error:
        error.field = "contact_mobile"
        raise
    if not details.name.strip():
        raise InvalidInput(N_("请填写企业名称（与营业执照一致）。"), field="name")
    if not details.address.strip():
        raise InvalidInput(N_("请填写企业地址。"), field="address")
    if not details.contact_name.strip():
        raise InvalidInput(N_("请填写联系人姓名。"), field="contact_name")
    union = db.session.get(Union, details.union_id) if details.union_id else None
    if union is None or union.kind not in OVERSIGHT_KINDS:
        raise InvalidInput(N_("请选择企业所在的街道（园区）或区总工会。"), field="union_id")
    return code, mobile, union


def _checked_account(username: str, password: str) -> str:
    username = username.strip()
    if not username:
        raise InvalidInput(N_("请填写登录用户名。"), field="username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("密码至少%(length)s位。"), field="password", length=MIN_PASSWORD_LENGTH)
    return username


def _check_not_registered(code: str, username: str) -> None:
    if db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == code)):
        raise Conflict(N_("该统一社会信用代码已登记为爱心企业。如需新增联系人或修改信息，请联系所在工会经办人。"),
                       code="uscc_taken", field="uscc")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(N_("用户名 %(username)s 已被使用，请换一个。"), code="username_taken", field="username",
                       username=username)


def _add_enterprise(actor, details: EnterpriseDetails, *, code: str, mobile: str, union: Union, username: str,
                    password: str, now: datetime) -> Enterprise:
    """The enterprise and its contact's account (active once the enterprise is approved)."""
    by_staff = actor is not None
    enterprise = Enterprise(
        name=details.name.strip(), uscc=code, district=details.district.strip() or (union.district or ""),
        address=details.address.strip(), description=details.description.strip() or None, union=union,
        contact_name=details.contact_name.strip(),
        status=EnterpriseStatus.APPROVED if by_staff else rules.ENTERPRISE.initial,
        registered_by_id=actor.id if by_staff else None,
        reviewed_by_id=actor.id if by_staff else None, reviewed_at=now if by_staff else None,
    )
    enterprise.set_contact_mobile(mobile)
    try:
        with savepoint():  # the same code or username, registered a moment ago by a double submit
            db.session.add(enterprise)
            db.session.flush()
            account = StaffUser(username=username, display_name=enterprise.contact_name, role=Role.ENTERPRISE,
                                enterprise_id=enterprise.id, is_active_account=by_staff)
            account.set_password(password)
            db.session.add(account)
    except Conflict as lost:
        if lost.code != "duplicate":
            raise
        raise Conflict(N_("该企业或用户名刚刚已被登记，请勿重复提交。"), code="uscc_taken") from None
    return enterprise


@unit_of_work
def review_enterprise(actor, enterprise_id, *, approve: bool, note: str = "",
                      now: datetime | None = None) -> Enterprise:
    """A union officer approves (or turns down, with a reason) an enterprise of its area."""
    enterprise = access.enterprise_in_scope(actor, enterprise_id)
    action = EnterpriseAction.APPROVE if approve else EnterpriseAction.REJECT
    rules.check_move(rules.ENTERPRISE, enterprise.status, action, N_("该企业已审核（%(status)s），无需再次处理。"),
                     code="already_reviewed")
    note = note.strip()
    if not approve and not note:
        raise InvalidInput(N_("不通过时请写明原因，企业会收到短信。"), field="note")
    rules.ENTERPRISE.move(enterprise, action)
    enterprise.reviewed_by_id = actor.id
    enterprise.reviewed_at = now or utcnow()
    enterprise.review_note = note[:200] or None
    for account in db.session.scalars(select(StaffUser).where(StaffUser.enterprise_id == enterprise.id)):
        account.is_active_account = approve
    params = {"outcome": "approved"} if approve else {"outcome": "rejected", "note": note[:60],
                                                      "union": enterprise.union.name}
    queue_text(enterprise.contact_mobile, kind="jobs_enterprise_reviewed",
               params={"enterprise": enterprise.name, **params}, subject=("enterprise", enterprise.id))
    audit.record(actor, "jobs.enterprise_approve" if approve else "jobs.enterprise_reject",
                 "enterprise", enterprise.id, note=note or None)
    return enterprise

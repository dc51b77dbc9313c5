"""Who may see or touch which work-study record: the checks every action and page shares.

An enterprise contact acts only for its own approved enterprise; union officers only inside
their union's subtree; a member only for the children they registered. A stranger asking for a
record gets the same answer whether or not it exists.
"""

from __future__ import annotations

from portal.domain.errors import DomainError, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.jobs import EnterpriseStatus, PositionStatus
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Concern, Enterprise, Placement, Position, Student, Union
from portal.services.access import require_role, require_union_in_scope
from portal.services.records import get_or_not_found

UNION_ROLES = (Role.UNION_OFFICER, Role.ADMIN)


def require_union_staff(actor) -> None:
    require_role(actor, *UNION_ROLES)


# ---------------------------------------------------------------- the enterprise's own records

def enterprise_of(actor) -> Enterprise:
    """The approved enterprise an enterprise contact acts for; refused otherwise."""
    require_role(actor, Role.ENTERPRISE)
    enterprise = db.session.get(Enterprise, actor.enterprise_id) if actor.enterprise_id else None
    if enterprise is None:
        raise PermissionDenied(N_("该账号未关联爱心企业，请联系工会经办人。"))
    if enterprise.status != EnterpriseStatus.APPROVED:
        raise PermissionDenied(N_("企业尚未通过工会审核，审核通过后才能发布岗位和处理报名。"))
    return enterprise


def _of_enterprise(actor, model, record_id, missing: str, refusal: str):
    enterprise = enterprise_of(actor)
    record = get_or_not_found(model, record_id, missing)
    if record.enterprise_id != enterprise.id:
        raise PermissionDenied(refusal)
    return record


def own_position(actor, position_id) -> Position:
    """A position of the actor's own enterprise; another enterprise's position is refused."""
    return _of_enterprise(actor, Position, position_id, N_("找不到该岗位。"),
                          N_("该岗位不属于您的企业，不能查看或处理。"))


def own_application(actor, application_id) -> Application:
    """An application to one of the actor's own positions."""
    enterprise_of(actor)  # another role is refused before learning whether the application exists
    application = get_or_not_found(Application, application_id, N_("找不到该报名。"))
    own_position(actor, application.position_id)
    return application


def own_placement(actor, placement_id) -> Placement:
    return _of_enterprise(actor, Placement, placement_id, N_("找不到该实践记录。"),
                          N_("该学生不在您的企业实践，不能查看或处理。"))


# ---------------------------------------------------------------- the union's subtree

def _in_scope(actor, model, record_id, missing: str, *, for_update: bool = False):
    require_union_staff(actor)
    record = get_or_not_found(model, record_id, missing, for_update=for_update)
    require_union_in_scope(actor, db.session.get(Union, record.union_id))
    return record


def enterprise_in_scope(actor, enterprise_id) -> Enterprise:
    return _in_scope(actor, Enterprise, enterprise_id, N_("找不到该企业。"))


def position_in_scope(actor, position_id) -> Position:
    return _in_scope(actor, Position, position_id, N_("找不到该岗位。"))


def placement_in_scope(actor, placement_id) -> Placement:
    return _in_scope(actor, Placement, placement_id, N_("找不到该实践记录。"))


def concern_in_scope(actor, concern_id, *, for_update: bool = False) -> Concern:
    return _in_scope(actor, Concern, concern_id, N_("找不到该问题。"), for_update=for_update)


# ---------------------------------------------------------------- a parent's children

def _of_parent(member, model, record_id, refusal: DomainError):
    """The record (a student, or one about a student) when ``member`` registered that student.

    A record that does not exist and another family's record get the same ``refusal``.
    """
    require_role(member, Role.MEMBER)
    try:
        record = get_or_not_found(model, record_id)
    except NotFound:
        raise refusal from None
    student = record if isinstance(record, Student) else record.student
    if student.parent_member_id != member.id:
        raise refusal
    return record


def child_of(member, student_id) -> Student:
    return _of_parent(member, Student, student_id, PermissionDenied(N_("只能为本人登记的子女报名。")))


def application_of_child(member, application_id) -> Application:
    return _of_parent(member, Application, application_id, NotFound(N_("找不到该报名。")))


def placement_of_child(member, placement_id) -> Placement:
    return _of_parent(member, Placement, placement_id, NotFound(N_("找不到该实践记录。")))


# ---------------------------------------------------------------- anyone

UNPUBLISHED = (PositionStatus.PENDING, PositionStatus.REJECTED)


def public_position(position_id) -> Position:
    """Any published position of an approved enterprise (closed ones too: a shared link still
    explains itself); one its union has not approved is not public."""
    position = get_or_not_found(Position, position_id, N_("找不到该岗位，可能已被撤下。"))
    if position.enterprise.status != EnterpriseStatus.APPROVED or position.status in UNPUBLISHED:
        raise NotFound(N_("找不到该岗位，可能已被撤下。"))
    return position

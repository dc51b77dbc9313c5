"""The hardship register: union officers register their members' families, review them and take
them off; administrators may act at every level. Every step is audited and kept in the record's
history; lists mask the people in them (a family's hardship is sensitive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import hardship as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.hardship import ACTIVE_STATUSES, HARDSHIP, HardshipAction, HardshipStatus
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import HardshipEvent, HardshipFamily, Member
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, scope_union, union_scope
from portal.services.records import get_or_not_found
from portal.services.unit_of_work import unit_of_work

STAFF_ROLES = (Role.UNION_OFFICER, Role.ADMIN)
FAMILY_NOT_FOUND = N_("找不到该建档记录。")


def actor_union_kind(actor) -> str | None:
    """The kind of union the actor acts for, ``None`` for federation-wide staff."""
    union = scope_union(actor)
    return None if union is None else union.kind


def levels_for_actor(actor) -> list[rules.HardshipLevel]:
    return rules.levels_for(actor_union_kind(actor))


def _event(family: HardshipFamily, actor, action: HardshipAction, note: str | None = None) -> None:
    family.events.append(HardshipEvent(action=action, status=family.status, level=family.level,
                                       note=(note or "").strip()[:200] or None,
                                       actor_label=audit.actor_label(actor)[:80]))


def _family_for_staff(actor, family_id: int) -> HardshipFamily:
    require_role(actor, *STAFF_ROLES)
    family = get_or_not_found(HardshipFamily, family_id, FAMILY_NOT_FOUND)
    require_union_in_scope(actor, family.union)
    return family


@dataclass
class FamilyInput:
    level: str
    reason: str
    review_on: date | None


@unit_of_work
def register_family(actor, member_id: int, data: FamilyInput, *, today: date | None = None) -> HardshipFamily:
    """Put a member's family on the register (or back on it, after a removal)."""
    require_role(actor, *STAFF_ROLES)
    today = today or clock.today()
    member = get_or_not_found(Member, member_id, N_("找不到该会员。"))
    if member.union is None:
        raise InvalidInput(N_("该会员未关联基层工会，请先将其编入工会再建档。"))
    require_union_in_scope(actor, member.union)
    level = rules.check_level(data.level, actor_union_kind(actor))
    reason = rules.check_reason(data.reason)
    review_on = rules.check_review_on(data.review_on, today)
    family = member.hardship
    if family is None:
        family = HardshipFamily(member=member, union=member.union, level=level, reason=reason, registered_on=today,
                                review_on=review_on, status=HARDSHIP.initial)
        db.session.add(family)
        _event(family, actor, HardshipAction.REGISTER, reason)
    else:
        if family.is_active:
            raise Conflict(N_("该家庭已在困难职工档案中（%(level)s，%(status)s），无需重复建档。"),
                           code="hardship_registered", level=family.level_label, status=family.status_label)
        HARDSHIP.move(family, HardshipAction.RESTORE)
        family.union, family.level, family.reason = member.union, level, reason
        family.registered_on, family.review_on = today, review_on
        _event(family, actor, HardshipAction.RESTORE, reason)
    db.session.flush()
    audit.record(actor, "hardship.register", "hardship_family", family.id, member=member.id, level=level)
    return family


@unit_of_work
def review_family(actor, family_id: int, *, review_on: date | None, level: str | None = None, note: str = "",
                  today: date | None = None) -> HardshipFamily:
    """The union checked the family's situation again: it stays on the register until ``review_on``
    (and may change level, within what the actor may grant)."""
    today = today or clock.today()
    family = _family_for_staff(actor, family_id)
    review_on = rules.check_review_on(review_on, today)
    # Changing the level of a record, or reviewing one above the actor's level, is refused alike.
    rules.check_level(family.level, actor_union_kind(actor))
    new_level = rules.check_level(level, actor_union_kind(actor)) if level else family.level
    HARDSHIP.move(family, HardshipAction.REVIEW)
    family.review_on, family.level = review_on, new_level
    _event(family, actor, HardshipAction.REVIEW, note)
    audit.record(actor, "hardship.review", "hardship_family", family.id, level=new_level, review_on=str(review_on))
    return family


@unit_of_work
def remove_family(actor, family_id: int, *, note: str) -> HardshipFamily:
    """Take a family off the register (its situation improved, it moved away): a reason is required."""
    family = _family_for_staff(actor, family_id)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(N_("请填写退出建档的原因。"), field="note")
    rules.check_level(family.level, actor_union_kind(actor))
    HARDSHIP.move(family, HardshipAction.REMOVE)
    _event(family, actor, HardshipAction.REMOVE, note)
    audit.record(actor, "hardship.remove", "hardship_family", family.id)
    return family


# ---------------------------------------------------------------- reading

@dataclass
class RegisterFilters:
    status: str = "active"  # active, removed, all
    level: str = ""
    due_only: bool = False


def _filtered(actor, filters: RegisterFilters, today: date):
    stmt = union_scope(select(HardshipFamily), actor, HardshipFamily.union_id)
    if filters.status == "active":
        stmt = stmt.where(HardshipFamily.status.in_(ACTIVE_STATUSES))
    elif filters.status == "removed":
        stmt = stmt.where(HardshipFamily.status == HardshipStatus.REMOVED)
    if filters.level:
        stmt = stmt.where(HardshipFamily.level == filters.level)
    if filters.due_only:
        stmt = stmt.where(HardshipFamily.review_on <= today, HardshipFamily.status.in_(ACTIVE_STATUSES))
    return stmt


def register_page(actor, filters: RegisterFilters, *, page: int = 1, per_page: int = 50,
                  today: date | None = None) -> tuple[list[HardshipFamily], int]:
    """One page of the register in the actor's scope, reviews due first."""
    require_role(actor, *STAFF_ROLES)
    today = today or clock.today()
    stmt = _filtered(actor, filters, today)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.options(joinedload(HardshipFamily.member), joinedload(HardshipFamily.union))
                              .order_by(HardshipFamily.review_on, HardshipFamily.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return list(rows), total


def family_for_staff(actor, family_id: int) -> HardshipFamily:
    return _family_for_staff(actor, family_id)


def can_change(actor, family: HardshipFamily) -> bool:
    """Whether the actor may review or remove the record (its level is one the actor's union keeps)."""
    return family.level in levels_for_actor(actor)


def member_for_registration(actor, member_id: int) -> Member:
    """The member an officer is about to register (in scope), for the form's heading."""
    require_role(actor, *STAFF_ROLES)
    member = get_or_not_found(Member, member_id, N_("找不到该会员。"))
    require_union_in_scope(actor, member.union)
    return member

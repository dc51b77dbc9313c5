"""Who may act on a class, and loading the records an action works on."""

from __future__ import annotations

from datetime import date, datetime

from portal import clock
from portal.domain.errors import PermissionDenied
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.models.childcare import ChildcareClass, Registration
from portal.services.access import require_role, require_union_in_scope
from portal.services.records import get_or_not_found

STAFF_VIEWERS = (Role.CHILDCARE_ORGANISER, Role.UNION_OFFICER, Role.ADMIN)
CLASS_NOT_FOUND = N_("找不到该暑托班。")
REGISTRATION_NOT_FOUND = N_("找不到该报名。")


def today_in_china(now: datetime) -> date:
    return now.astimezone(clock.CHINA).date()


def get_class(class_id: int) -> ChildcareClass:
    return get_or_not_found(ChildcareClass, class_id, CLASS_NOT_FOUND)


def lock_class(class_id: int) -> ChildcareClass:
    """The class row, locked for the rest of the unit of work and re-read from the database (the
    seat count an earlier read left in the session may be stale by now), in one statement."""
    return get_or_not_found(ChildcareClass, class_id, CLASS_NOT_FOUND, for_update=True, fresh=True)


def get_registration(registration_id: int) -> Registration:
    return get_or_not_found(Registration, registration_id, REGISTRATION_NOT_FOUND)


def require_organiser_of(actor, cls: ChildcareClass) -> None:
    """The organiser running this class: its own organisation or one below it."""
    require_role(actor, Role.CHILDCARE_ORGANISER)
    require_union_in_scope(actor, cls.union)


def require_class_own_organiser(actor, cls: ChildcareClass) -> None:
    """An organiser of the very organisation that runs the class: children's health notes and
    family phone numbers are kept from everyone else, district organisers included."""
    require_role(actor, Role.CHILDCARE_ORGANISER)
    if actor.union_id != cls.union_id:
        raise PermissionDenied(N_("孩子的健康信息和家庭联系方式只对本班所属组织的托管班负责人开放。"))


def require_staff_viewer_of(actor, cls: ChildcareClass) -> None:
    require_role(actor, *STAFF_VIEWERS)
    require_union_in_scope(actor, cls.union)

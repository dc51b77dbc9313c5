"""The hardship register (建档困难职工家庭): which families are registered, at which level, and the
only moves a record makes.

A family is registered by a union at a level (city, district or grassroots) with a reason and a
date by which it must be reviewed; reviews keep it on the register, removal takes it off (and
a later re-registration puts it back, with its history kept). Work-study and childcare priority and
heat-relief subsidies read this register, never a flag on the member.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.states import StateMachine


class HardshipLevel(StrEnum):
    CITY = "city"  # 市级建档
    DISTRICT = "district"  # 区级建档
    GRASSROOTS = "grassroots"  # 基层建档

    @property
    def label(self) -> str:
        return HARDSHIP_LEVEL_LABELS[self]


HARDSHIP_LEVEL_LABELS = {
    HardshipLevel.CITY: N_("市级"),
    HardshipLevel.DISTRICT: N_("区级"),
    HardshipLevel.GRASSROOTS: N_("基层"),
}


class HardshipStatus(StrEnum):
    REGISTERED = "registered"
    REVIEWED = "reviewed"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return HARDSHIP.label(self)


class HardshipAction(StrEnum):
    REGISTER = "register"  # only in the history: the first entry
    REVIEW = "review"
    REMOVE = "remove"
    RESTORE = "restore"


HARDSHIP = StateMachine(
    name="hardship_family", statuses=HardshipStatus, initial=HardshipStatus.REGISTERED,
    labels={HardshipStatus.REGISTERED: N_("已建档"), HardshipStatus.REVIEWED: N_("已复核"),
            HardshipStatus.REMOVED: N_("已退出")},
    transitions={
        (HardshipStatus.REGISTERED, HardshipAction.REVIEW): HardshipStatus.REVIEWED,
        (HardshipStatus.REVIEWED, HardshipAction.REVIEW): HardshipStatus.REVIEWED,
        (HardshipStatus.REGISTERED, HardshipAction.REMOVE): HardshipStatus.REMOVED,
        (HardshipStatus.REVIEWED, HardshipAction.REMOVE): HardshipStatus.REMOVED,
        (HardshipStatus.REMOVED, HardshipAction.RESTORE): HardshipStatus.REGISTERED,
    },
    action_labels={HardshipAction.REGISTER: N_("建档"), HardshipAction.REVIEW: N_("复核"),
                   HardshipAction.REMOVE: N_("退出建档"), HardshipAction.RESTORE: N_("重新建档")},
)

# On the register (priority, subsidies) in these statuses.
ACTIVE_STATUSES = frozenset({HardshipStatus.REGISTERED, HardshipStatus.REVIEWED})

# A record is reviewed at least yearly; a review date further out is a typo.
REVIEW_WITHIN = timedelta(days=366)
REASON_MAX = 200


def is_active(status: str) -> bool:
    return HardshipStatus(status) in ACTIVE_STATUSES


def default_review_on(today: date) -> date:
    return today + timedelta(days=365)


def check_review_on(review_on: date | None, today: date) -> date:
    """The next review date: after today, within a year."""
    if review_on is None:
        raise InvalidInput(N_("请填写下次复核日期。"), field="review_on")
    if not today < review_on <= today + REVIEW_WITHIN:
        raise InvalidInput(N_("下次复核日期须在今天之后的一年以内。"), field="review_on")
    return review_on


def check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写建档原因。"), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(N_("建档原因最多%(max)s字。"), field="reason", max=REASON_MAX)
    return reason


def levels_for(union_kind: str | None) -> list[HardshipLevel]:
    """The levels an account may register or change at: federation-wide staff (``None``) and the
    federation every level, a district union district and grassroots, any other union grassroots.
    A grassroots officer cannot put a family on the city register (which the city pays from)."""
    if union_kind in (None, "federation"):
        return list(HardshipLevel)
    if union_kind == "district":
        return [HardshipLevel.DISTRICT, HardshipLevel.GRASSROOTS]
    return [HardshipLevel.GRASSROOTS]


def check_level(level: str, union_kind: str | None) -> HardshipLevel:
    try:
        chosen = HardshipLevel(level)
    except ValueError:
        raise InvalidInput(N_("请选择建档级别。"), field="level") from None
    if chosen not in levels_for(union_kind):
        raise PermissionDenied(N_("您所在的工会不能办理%(level)s建档。"), level=chosen.label)
    return chosen


def is_due(review_on: date, today: date) -> bool:
    """Past its review date: shown to staff as due, still on the register until someone acts."""
    return review_on <= today

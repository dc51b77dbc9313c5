"""Singles' events ("缘起工会 携手逐梦") and the collective wedding: statuses, places, matches.

Pure rules: dates are passed in. Places are counted, never guessed: a registration holds a place
from the moment it is made until it is declined or cancelled, so a full event refuses at once
instead of promising a place the union cannot give. When an event wants a balance of men and
women, each sex may hold at most half the places.

Privacy is a rule here too: a participant is known to other participants only by a participant
number; a match exists only when two participants chose each other's number, and neither learns
who chose them otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import age_on
from portal.domain.states import StateMachine

MIN_AGE = 18
MAX_AGE = 60
MAX_CAPACITY = 2000
MAX_CHOICES = 3  # numbers a participant may name after an event
MATCH_DAYS = 7  # days after the event during which choices may be made
MAX_WEDDING_COUPLES = 500
# A couple joins the collective wedding within this many days of their marriage certificate.
WEDDING_CERTIFICATE_DAYS = 730


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class EventAction(StrEnum):
    PUBLISH = "publish"
    CANCEL = "cancel"


EVENT_STATUS_LABELS = {EventStatus.DRAFT: N_("草稿"), EventStatus.PUBLISHED: N_("已发布"),
                       EventStatus.CANCELLED: N_("已取消")}
EVENT = StateMachine(
    name="singles_event", statuses=EventStatus, labels=EVENT_STATUS_LABELS,
    transitions={(EventStatus.DRAFT, EventAction.PUBLISH): EventStatus.PUBLISHED,
                 (EventStatus.DRAFT, EventAction.CANCEL): EventStatus.CANCELLED},
    action_labels={EventAction.PUBLISH: N_("发布"), EventAction.CANCEL: N_("取消活动")},
    initial=EventStatus.DRAFT,
)
# The collective wedding is published the same way.
WEDDING = StateMachine(
    name="wedding", statuses=EventStatus, labels=EVENT_STATUS_LABELS,
    transitions={(EventStatus.DRAFT, EventAction.PUBLISH): EventStatus.PUBLISHED},
    action_labels={EventAction.PUBLISH: N_("发布"), EventAction.CANCEL: N_("取消活动")},
    initial=EventStatus.DRAFT,
)


class ParticipantStatus(StrEnum):
    REQUESTED = "requested"  # the member registered; the union still has to confirm membership
    CONFIRMED = "confirmed"
    DECLINED = "declined"  # the union could not confirm: not its member
    CANCELLED = "cancelled"
    ATTENDED = "attended"  # checked in at the door


class ParticipantAction(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"
    CHECK_IN = "check_in"


PARTICIPANT_STATUS_LABELS = {
    ParticipantStatus.REQUESTED: N_("已报名，待工会确认"),
    ParticipantStatus.CONFIRMED: N_("工会已确认，请按时参加"),
    ParticipantStatus.DECLINED: N_("工会未能确认"),
    ParticipantStatus.CANCELLED: N_("已取消"),
    ParticipantStatus.ATTENDED: N_("已签到"),
}
PARTICIPANT = StateMachine(
    name="singles_participant", statuses=ParticipantStatus, labels=PARTICIPANT_STATUS_LABELS,
    transitions={
        (ParticipantStatus.REQUESTED, ParticipantAction.CONFIRM): ParticipantStatus.CONFIRMED,
        (ParticipantStatus.REQUESTED, ParticipantAction.DECLINE): ParticipantStatus.DECLINED,
        (ParticipantStatus.REQUESTED, ParticipantAction.CANCEL): ParticipantStatus.CANCELLED,
        (ParticipantStatus.CONFIRMED, ParticipantAction.CANCEL): ParticipantStatus.CANCELLED,
        (ParticipantStatus.CONFIRMED, ParticipantAction.CHECK_IN): ParticipantStatus.ATTENDED,
    },
    action_labels={ParticipantAction.CONFIRM: N_("确认会员身份"), ParticipantAction.DECLINE: N_("不予确认"),
                   ParticipantAction.CANCEL: N_("取消报名"), ParticipantAction.CHECK_IN: N_("签到")},
    initial=ParticipantStatus.REQUESTED,
)
# Statuses that hold a place of the event.
HOLDING_STATUSES = (ParticipantStatus.REQUESTED, ParticipantStatus.CONFIRMED, ParticipantStatus.ATTENDED)


class CoupleStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class CoupleAction(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    CANCEL = "cancel"


COUPLE_STATUS_LABELS = {
    CoupleStatus.REQUESTED: N_("已报名，待工会确认"),
    CoupleStatus.CONFIRMED: N_("工会已确认，欢迎参加集体婚礼"),
    CoupleStatus.DECLINED: N_("工会未能确认"),
    CoupleStatus.CANCELLED: N_("已取消"),
}
COUPLE = StateMachine(
    name="wedding_couple", statuses=CoupleStatus, labels=COUPLE_STATUS_LABELS,
    transitions={
        (CoupleStatus.REQUESTED, CoupleAction.CONFIRM): CoupleStatus.CONFIRMED,
        (CoupleStatus.REQUESTED, CoupleAction.DECLINE): CoupleStatus.DECLINED,
        (CoupleStatus.REQUESTED, CoupleAction.CANCEL): CoupleStatus.CANCELLED,
        (CoupleStatus.CONFIRMED, CoupleAction.CANCEL): CoupleStatus.CANCELLED,
    },
    action_labels={CoupleAction.CONFIRM: N_("确认会员身份"), CoupleAction.DECLINE: N_("不予确认"),
                   CoupleAction.CANCEL: N_("取消报名")},
    initial=CoupleStatus.REQUESTED,
)
COUPLE_HOLDING = (CoupleStatus.REQUESTED, CoupleStatus.CONFIRMED)


# --- phases ----------------------------------------------------------------------------------


class Phase(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"  # registration closed, the day still to come
    HELD = "held"  # the day has come (or passed)

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS = {Phase.NOT_OPEN: N_("尚未开始报名"), Phase.OPEN: N_("报名中"), Phase.CLOSED: N_("报名已截止"),
                Phase.HELD: N_("已举办")}


def phase(today: date, *, opens_on: date, closes_on: date, held_on: date) -> Phase:
    """Where an event stands on ``today``; the window runs from ``opens_on`` to ``closes_on`` inclusive."""
    if today >= held_on:
        return Phase.HELD
    if today < opens_on:
        return Phase.NOT_OPEN
    return Phase.OPEN if today <= closes_on else Phase.CLOSED


def check_dates(*, opens_on: date, closes_on: date, held_on: date) -> None:
    if closes_on < opens_on:
        raise InvalidInput(N_("报名截止日期不能早于报名开始日期。"), field="registration_closes_on")
    if closes_on >= held_on:
        raise InvalidInput(N_("报名须在活动日之前截止，以便工会确认报名人员。"), field="registration_closes_on")


# --- places ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    capacity: int
    balanced: bool
    taken: int
    men: int
    women: int

    def per_sex(self) -> int | None:
        return self.capacity // 2 if self.balanced else None

    def left_for(self, gender: str) -> int:
        left = self.capacity - self.taken
        if self.balanced:
            held = self.men if gender == "M" else self.women
            left = min(left, self.capacity // 2 - held)
        return max(left, 0)


def check_capacity(capacity: int, balanced: bool) -> None:
    if not 2 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(N_("名额应在2到%(max)s之间。"), field="capacity", max=MAX_CAPACITY)
    if balanced and capacity % 2:
        raise InvalidInput(N_("男女各半时名额须为双数。"), field="capacity")


def take_place(places: Places, gender: str) -> None:
    """Refuse when the event (or, with a balance, this sex's half) is full."""
    if places.taken >= places.capacity:
        raise Conflict(N_("本场活动名额已满，感谢关注，欢迎报名下一场。"), code="event_full")
    if places.left_for(gender) <= 0:
        raise Conflict(N_("本场活动按男女各半安排，%(sex)s嘉宾名额已满，欢迎报名下一场。"), code="event_sex_full",
                       sex=N_("男") if gender == "M" else N_("女"))


def check_age(birth_date: date, held_on: date, min_age: int, max_age: int) -> int:
    age = age_on(birth_date, held_on)
    if not min_age <= age <= max_age:
        raise InvalidInput(N_("本场活动面向%(low)s—%(high)s岁的单身职工，按身份证计算您活动当天%(age)s岁。"),
                           code="event_age", low=min_age, high=max_age, age=age)
    return age


def check_age_range(min_age: int, max_age: int) -> None:
    if not MIN_AGE <= min_age <= max_age <= MAX_AGE:
        raise InvalidInput(N_("年龄范围应在%(low)s到%(high)s岁之间，且最小年龄不大于最大年龄。"), field="min_age",
                           low=MIN_AGE, high=MAX_AGE)


# --- matches ---------------------------------------------------------------------------------


def match_window(held_on: date) -> tuple[date, date]:
    return held_on, held_on + timedelta(days=MATCH_DAYS)


def check_choice(*, own_number: int, chosen: int, attended_numbers: Iterable[int], already: Iterable[int],
                 today: date, held_on: date) -> None:
    """A participant who attended names another attendee's number, within the window, at most
    ``MAX_CHOICES`` of them."""
    first, last = match_window(held_on)
    if not first <= today <= last:
        raise InvalidInput(N_("互选在活动当天至活动后%(days)s天内进行。"), code="match_window", days=MATCH_DAYS)
    already = set(already)
    if chosen == own_number:
        raise InvalidInput(N_("不能选择自己的编号。"), code="match_self", field="number")
    if chosen in already:
        return
    if chosen not in set(attended_numbers):
        raise InvalidInput(N_("编号%(number)s不是本场签到的嘉宾，请核对对方告诉您的编号。"), code="match_unknown",
                           field="number", number=chosen)
    if len(already) >= MAX_CHOICES:
        raise InvalidInput(N_("每位嘉宾最多选择%(max)s个编号。"), code="match_too_many", field="number",
                           max=MAX_CHOICES)


def mutual_pairs(choices: Iterable[tuple[int, int]]) -> set[frozenset[int]]:
    """Pairs of participant numbers that chose each other; a one-sided choice is no match."""
    chosen = set(choices)
    return {frozenset((a, b)) for a, b in chosen if a != b and (b, a) in chosen}


# A concurrent registration on SQLite, which cannot lock the event's row: the database's CHECK on
# the counters or the UNIQUE participant number refused this one; nothing was taken.
BUSY = N_("报名的人较多，刚才没有报上，请再试一次。")


# --- the collective wedding ------------------------------------------------------------------


def check_certificate_date(certificate_on: date, *, today: date, held_on: date) -> None:
    """The couple is married already (a certificate not in the future) and recently enough."""
    if certificate_on > today:
        raise InvalidInput(N_("结婚证登记日期不能晚于今天。"), field="certificate_on")
    if certificate_on < held_on - timedelta(days=WEDDING_CERTIFICATE_DAYS):
        raise InvalidInput(N_("集体婚礼面向婚礼前两年内登记结婚的新人。"), field="certificate_on")


def check_wedding_capacity(couples: int) -> None:
    if not 1 <= couples <= MAX_WEDDING_COUPLES:
        raise InvalidInput(N_("新人对数应在1到%(max)s之间。"), field="capacity", max=MAX_WEDDING_COUPLES)


def take_couple_place(capacity: int, taken: int) -> None:
    if taken >= capacity:
        raise Conflict(N_("集体婚礼%(capacity)s对新人名额已满。"), code="wedding_full", capacity=capacity)

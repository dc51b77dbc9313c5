"""Summer childcare ("工娃小家") rules: statuses, priority tiers, the seeded ballot, ages, schedules,
phases, notices.

Everything here is pure and deterministic: dates are passed in, and the ballot draws from
``random.Random(seed)`` with the seed recorded, so anyone holding the seed and the list of
entries can run the draw again and get the same seat order.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import age_on
from portal.domain.states import StateMachine

DEFAULT_MIN_AGE = 6
DEFAULT_MAX_AGE = 12
MAX_PICKUP_ADULTS = 4
WEEKDAY_LABELS = {1: N_("周一"), 2: N_("周二"), 3: N_("周三"), 4: N_("周四"), 5: N_("周五"), 6: N_("周六"),
                  7: N_("周日")}


# --- statuses and their moves ----------------------------------------------------------------


class ClassStatus(StrEnum):
    DRAFT = "draft"  # being prepared by the organiser, not listed
    PUBLISHED = "published"  # listed publicly, registration follows the dates
    # Withdrawn. No action of the portal withdraws a class yet; the status is kept because a
    # withdrawn class frees its children for other classes (the overlapping-classes rule).
    CANCELLED = "cancelled"


class ClassAction(StrEnum):
    PUBLISH = "publish"


CLASS_STATUS_LABELS = {ClassStatus.DRAFT: N_("草稿"), ClassStatus.PUBLISHED: N_("已发布"),
                       ClassStatus.CANCELLED: N_("已取消")}
CLASS = StateMachine(
    name="childcare_class", statuses=ClassStatus, labels=CLASS_STATUS_LABELS,
    # Only a draft can change (``update_class``): parents rely on what a published class says.
    transitions={(ClassStatus.DRAFT, ClassAction.PUBLISH): ClassStatus.PUBLISHED},
    action_labels={ClassAction.PUBLISH: N_("发布")},
    initial=ClassStatus.DRAFT,
)


class RegistrationStatus(StrEnum):
    REQUESTED = "requested"  # in the registration window, waiting for the draw
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class RegistrationAction(StrEnum):
    CONFIRM = "confirm"  # a seat from the draw, or first come after it
    WAITLIST = "waitlist"  # no seat left: a place in the waitlist's order
    PROMOTE = "promote"  # a seat freed by a cancellation, to the first on the waitlist
    CANCEL = "cancel"


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REQUESTED: N_("已报名，待分配"),
    RegistrationStatus.CONFIRMED: N_("已录取"),
    RegistrationStatus.WAITLISTED: N_("候补中"),
    RegistrationStatus.CANCELLED: N_("已取消"),
}
# Every registration starts as a request; after the window it is confirmed or wait-listed at once.
REGISTRATION = StateMachine(
    name="childcare_registration", statuses=RegistrationStatus, labels=REGISTRATION_STATUS_LABELS,
    transitions={
        (RegistrationStatus.REQUESTED, RegistrationAction.CONFIRM): RegistrationStatus.CONFIRMED,
        (RegistrationStatus.REQUESTED, RegistrationAction.WAITLIST): RegistrationStatus.WAITLISTED,
        (RegistrationStatus.WAITLISTED, RegistrationAction.PROMOTE): RegistrationStatus.CONFIRMED,
        (RegistrationStatus.REQUESTED, RegistrationAction.CANCEL): RegistrationStatus.CANCELLED,
        (RegistrationStatus.CONFIRMED, RegistrationAction.CANCEL): RegistrationStatus.CANCELLED,
        (RegistrationStatus.WAITLISTED, RegistrationAction.CANCEL): RegistrationStatus.CANCELLED,
    },
    action_labels={RegistrationAction.CONFIRM: N_("确认名额"), RegistrationAction.WAITLIST: N_("列入候补"),
                   RegistrationAction.PROMOTE: N_("候补递补"), RegistrationAction.CANCEL: N_("取消报名")},
    initial=RegistrationStatus.REQUESTED,
)


class SeatSource(StrEnum):
    """How a confirmed child got the seat (kept for the record, not a status)."""

    BALLOT = "ballot"
    FIRST_COME = "first_come"
    PROMOTION = "promotion"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class AttendanceAction(StrEnum):
    CHECK_IN = "check_in"
    MARK_ABSENT = "mark_absent"


ATTENDANCE_STATUS_LABELS = {AttendanceStatus.PRESENT: N_("已到"), AttendanceStatus.ABSENT: N_("缺勤")}
# A day's mark starts as "not arrived" and follows the organiser's taps; tapping the same button
# twice keeps the status. (A child already collected cannot be marked absent: the services check
# the pick-up before moving the mark.)
ATTENDANCE = StateMachine(
    name="childcare_attendance", statuses=AttendanceStatus, labels=ATTENDANCE_STATUS_LABELS,
    transitions={
        (AttendanceStatus.ABSENT, AttendanceAction.CHECK_IN): AttendanceStatus.PRESENT,
        (AttendanceStatus.PRESENT, AttendanceAction.CHECK_IN): AttendanceStatus.PRESENT,
        (AttendanceStatus.PRESENT, AttendanceAction.MARK_ABSENT): AttendanceStatus.ABSENT,
        (AttendanceStatus.ABSENT, AttendanceAction.MARK_ABSENT): AttendanceStatus.ABSENT,
    },
    action_labels={AttendanceAction.CHECK_IN: N_("签到"), AttendanceAction.MARK_ABSENT: N_("记为缺勤")},
    initial=AttendanceStatus.ABSENT,
)
# The organiser's tap names the status wanted; this is the move that gets there.
ATTENDANCE_ACTIONS = {AttendanceStatus.PRESENT: AttendanceAction.CHECK_IN,
                      AttendanceStatus.ABSENT: AttendanceAction.MARK_ABSENT}


# --- priority ------------------------------------------------------------------------------


class PriorityCategory(StrEnum):
    """Why a family gets priority. The order of the tiers follows the article: gig and sanitation
    workers first, then hardship families, then families where both parents work."""

    GIG_WORKER = "gig_worker"
    SANITATION_WORKER = "sanitation_worker"
    HARDSHIP_FAMILY = "hardship_family"
    DUAL_WORKING = "dual_working"
    GENERAL = "general"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]

    @property
    def tier(self) -> int:
        return CATEGORY_TIERS[self]


CATEGORY_LABELS = {
    PriorityCategory.GIG_WORKER: N_("新就业形态劳动者"),
    PriorityCategory.SANITATION_WORKER: N_("环卫工人"),
    PriorityCategory.HARDSHIP_FAMILY: N_("困难职工家庭"),
    PriorityCategory.DUAL_WORKING: N_("双职工家庭"),
    PriorityCategory.GENERAL: N_("其他职工"),
}
CATEGORY_TIERS = {
    PriorityCategory.GIG_WORKER: 1,
    PriorityCategory.SANITATION_WORKER: 1,
    PriorityCategory.HARDSHIP_FAMILY: 2,
    PriorityCategory.DUAL_WORKING: 3,
    PriorityCategory.GENERAL: 4,
}
TIER_LABELS = {1: N_("第一优先（新就业形态劳动者、环卫工人）"), 2: N_("第二优先（困难职工家庭）"),
               3: N_("第三优先（双职工家庭）"), 4: N_("其他职工")}
# A parent may declare what the member record cannot know (the other parent's work); hardship
# is flagged by the union only, never self-declared.
DECLARABLE_CATEGORIES = (PriorityCategory.GIG_WORKER, PriorityCategory.SANITATION_WORKER,
                         PriorityCategory.DUAL_WORKING)


def categories_from_record(*, is_gig_worker: bool, occupation: str | None, is_hardship_family: bool,
                           gig_occupations: Iterable[str], sanitation_occupation: str) -> set[PriorityCategory]:
    """The priority categories the member record itself proves."""
    found = set()
    if is_gig_worker or (occupation or "") in set(gig_occupations):
        found.add(PriorityCategory.GIG_WORKER)
    if occupation == sanitation_occupation:
        found.add(PriorityCategory.SANITATION_WORKER)
    if is_hardship_family:
        found.add(PriorityCategory.HARDSHIP_FAMILY)
    return found


def effective_category(recorded: set[PriorityCategory],
                       declared: PriorityCategory | None) -> tuple[PriorityCategory, bool]:
    """The best category of the family and whether it rests on the parent's own declaration.

    A declaration only counts when it is better than what the record shows, so staff need to
    check exactly the registrations marked as declared.
    """
    if declared is not None and declared not in DECLARABLE_CATEGORIES:
        raise InvalidInput(N_("该优先类别由工会认定，不能自行申报。"), code="category_not_declarable",
                           field="declared_category")
    best_recorded = min(recorded, key=lambda c: (c.tier, list(PriorityCategory).index(c)), default=None)
    if declared is not None and (best_recorded is None or declared.tier < best_recorded.tier):
        return declared, True
    return best_recorded or PriorityCategory.GENERAL, False


# --- the ballot ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotEntry:
    """One request in the draw: its registration number within the class and its tier."""

    number: int
    tier: int


@dataclass(frozen=True)
class Allocation:
    order: tuple[int, ...]  # every registration number, in seat order
    confirmed: tuple[int, ...]
    waitlisted: tuple[int, ...]  # in waitlist order


def allocate(entries: Iterable[BallotEntry], seats: int, seed: str) -> Allocation:
    """Seats by tier, and inside a tier by a ballot drawn from ``random.Random(seed)``.

    The recipe, so anyone can check it: start ``random.Random(seed)`` once; for each tier from
    1 upwards, sort that tier's registration numbers ascending and ``shuffle`` them with the
    same generator; the concatenation is the seat order; the first ``seats`` get a seat and the
    rest are wait-listed in that order.
    """
    entries = list(entries)
    if seats < 0:
        raise ValueError("seats cannot be negative")
    numbers = [entry.number for entry in entries]
    if len(set(numbers)) != len(numbers):
        raise ValueError("registration numbers must be unique")
    rng = random.Random(str(seed))
    order: list[int] = []
    for tier in sorted({entry.tier for entry in entries}):
        drawn = sorted(entry.number for entry in entries if entry.tier == tier)
        rng.shuffle(drawn)
        order.extend(drawn)
    return Allocation(order=tuple(order), confirmed=tuple(order[:seats]), waitlisted=tuple(order[seats:]))


# --- ages, schedules and phases ------------------------------------------------------------


def check_age(birth_date: date, starts_on: date, min_age: int, max_age: int) -> int:
    """The child's age on the first day of the class; refused outside the class's range."""
    age = age_on(birth_date, starts_on)
    if not min_age <= age <= max_age:
        raise InvalidInput(
            N_("按身份证号码计算，孩子开班时%(age)s岁，本班只招收%(low)s—%(high)s岁的孩子，请选择适合年龄的班级。"),
            code="child_age_out_of_range", field="child_id_number", age=age, low=min_age, high=max_age,
        )
    return age


@dataclass(frozen=True)
class Schedule:
    starts_on: date
    ends_on: date
    weekdays: frozenset[int]  # ISO weekdays, 1 = Monday
    daily_start: time
    daily_end: time

    def is_class_day(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on and day.isoweekday() in self.weekdays

    def days(self, until: date | None = None) -> list[date]:
        """Every class day, up to ``until`` (inclusive) when given."""
        last = self.ends_on if until is None else min(self.ends_on, until)
        count = (last - self.starts_on).days + 1
        every_day = (self.starts_on + timedelta(n) for n in range(max(count, 0)))
        return [day for day in every_day if day.isoweekday() in self.weekdays]


def schedules_overlap(a: Schedule, b: Schedule) -> bool:
    """True when a child could be expected in both classes at the same moment."""
    if not (a.daily_start < b.daily_end and b.daily_start < a.daily_end):
        return False
    first, last = max(a.starts_on, b.starts_on), min(a.ends_on, b.ends_on)
    shared = a.weekdays & b.weekdays
    span = (last - first).days + 1
    return any((first + timedelta(n)).isoweekday() in shared for n in range(min(span, 7)))


def parse_weekdays(values: Iterable[object]) -> frozenset[int]:
    days = frozenset(int(v) for v in values)
    if not days or not days <= set(WEEKDAY_LABELS):
        raise InvalidInput(N_("请至少选择一个上课日（周一至周日）。"), field="weekdays")
    return days


def weekdays_label(days: Iterable[int]) -> str:
    days = sorted(days)
    if days == [1, 2, 3, 4, 5]:
        return N_("周一至周五")
    if days == list(range(1, 8)):
        return N_("每天")
    return "、".join(WEEKDAY_LABELS[d] for d in days)


class Phase(StrEnum):
    NOT_OPEN = "not_open"  # before the registration window
    WINDOW_OPEN = "window_open"  # requests collected for the draw
    AWAITING_DRAW = "awaiting_draw"  # window closed, seats not allocated yet
    FIRST_COME = "first_come"  # after the draw: first come, first served
    RUNNING = "running"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS = {
    Phase.NOT_OPEN: N_("尚未开始报名"),
    Phase.WINDOW_OPEN: N_("报名中（截止后按优先顺序和抽签分配）"),
    Phase.AWAITING_DRAW: N_("报名已截止，待分配名额"),
    Phase.FIRST_COME: N_("名额已分配，余位先到先得"),
    Phase.RUNNING: N_("开班中"),
    Phase.FINISHED: N_("已结班"),
}


def class_phase(today: date, *, opens_on: date, closes_on: date, starts_on: date, ends_on: date,
                allocated: bool) -> Phase:
    """Where a class stands on ``today``; the window is open from ``opens_on`` to ``closes_on`` inclusive."""
    if today > ends_on:
        return Phase.FINISHED
    if today >= starts_on:
        return Phase.RUNNING
    if today < opens_on:
        return Phase.NOT_OPEN
    if today <= closes_on:
        return Phase.WINDOW_OPEN
    return Phase.FIRST_COME if allocated else Phase.AWAITING_DRAW


def check_class_dates(*, opens_on: date, closes_on: date, starts_on: date, ends_on: date) -> None:
    """The registration window ends before the class starts, and the class ends after it starts."""
    if ends_on < starts_on:
        raise InvalidInput(N_("结班日期不能早于开班日期。"), field="ends_on")
    if closes_on < opens_on:
        raise InvalidInput(N_("报名截止日期不能早于报名开始日期。"), field="registration_closes_on")
    if closes_on >= starts_on:
        raise InvalidInput(N_("报名须在开班前截止，以便分配名额并通知家长。"), field="registration_closes_on")


def attendance_rate(present_days: int, possible_days: int) -> float | None:
    """Share of possible child-days attended; ``None`` before any class day has passed."""
    return None if possible_days <= 0 else present_days / possible_days


# --- notices -------------------------------------------------------------------------------

MIN_NOTICE_LENGTH = 4
MAX_NOTICE_LENGTH = 300


def notice_words(body: str | None) -> str:
    """The organiser's own words for a class notice, as they go out in the ``childcare_notice`` text.

    This is where text a person typed enters an official text message: for now any notice of 4 to
    300 characters goes out as typed (runs of spaces folded). A rule on what a notice may say (set
    phrases, a check before sending) belongs here, and nowhere else.
    """
    body = " ".join((body or "").split())
    if len(body) < MIN_NOTICE_LENGTH:
        raise InvalidInput(N_("请填写通知内容（至少4个字）。"), field="body")
    if len(body) > MAX_NOTICE_LENGTH:
        raise InvalidInput(N_("通知最多%(max)s字，短信太长家长不便阅读。"), field="body", max=MAX_NOTICE_LENGTH)
    return body


def cancel_reason_words(reason: str | None) -> str | None:
    """The reason typed when cancelling a registration, kept with it. When the class cancels, the
    reason also reaches the parent in the ``childcare_cancelled`` text: like a notice, the
    organiser's own words, and checked here if they are ever restricted."""
    return (reason or "").strip()[:200] or None

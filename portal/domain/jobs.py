"""Rules of the work-study programme "关爱·圆梦": enterprises, positions, students, placements.

Plain Python: dates are passed in, money is integer fen. Services and the kiosk share these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_, Msgid
from portal.domain.identity import IdNumber, normalise
from portal.domain.states import StateMachine

# The law lets 16-year-olds work; the programme never goes below it, whatever a position says.
MIN_STUDENT_AGE = 16
# A position asking more than this excludes every student (and a huge number overflows the column).
MAX_MIN_AGE = 30
# "A student applies to a few positions": more live applications than this crowd others out.
MAX_LIVE_APPLICATIONS = 3
MAX_PLACES_PER_POSITION = 200
MAX_DAYS_PER_WEEK = 7


class EnterpriseStatus(StrEnum):
    PENDING = "pending"  # registered, waiting for a union officer
    APPROVED = "approved"  # registered by an officer, or approved by one
    REJECTED = "rejected"


class EnterpriseAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class PayUnit(StrEnum):
    DAY = "day"
    MONTH = "month"


class PositionStatus(StrEnum):
    PENDING = "pending"  # posted by its enterprise, waiting for the union's approval: not public
    OPEN = "open"
    REJECTED = "rejected"  # the union turned it down, with a reason the enterprise is told
    CLOSED = "closed"  # full, past its deadline, or taken down


class PositionAction(StrEnum):
    APPROVE = "approve"  # the union: fit to be published
    REJECT = "reject"  # the union: not as posted (a reason is required)
    WITHDRAW = "withdraw"  # its enterprise no longer needs it
    TAKE_DOWN = "take_down"  # the union: unsafe or misleading
    EXPIRE = "expire"  # the application deadline passed
    FILL = "fill"  # the last place was taken


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the enterprise
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ApplicationAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"  # by the enterprise, or because the position filled
    WITHDRAW = "withdraw"  # by the parent, before the enterprise answers


LIVE_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED)


class PlacementStatus(StrEnum):
    CONFIRMED = "confirmed"  # accepted; agreement and insurance still to record
    UNDER_WAY = "under_way"  # agreement signed, insured, started
    FINISHED = "finished"


class PlacementAction(StrEnum):
    START = "start"  # the signed agreement and the accident insurance are recorded
    FINISH = "finish"  # days worked and pay received are recorded


class ConcernCategory(StrEnum):
    UNPAID_WAGES = "unpaid_wages"
    SAFETY = "safety"
    HOURS = "hours"
    OTHER = "other"


class ConcernStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class ConcernAction(StrEnum):
    ANSWER = "answer"


ENTERPRISE_STATUS_LABELS = {
    EnterpriseStatus.PENDING: N_("待审核"), EnterpriseStatus.APPROVED: N_("已认定"),
    EnterpriseStatus.REJECTED: N_("未通过"),
}
PAY_UNIT_LABELS = {PayUnit.DAY: N_("元/天"), PayUnit.MONTH: N_("元/月")}
POSITION_STATUS_LABELS = {PositionStatus.PENDING: N_("待工会审核"), PositionStatus.OPEN: N_("招募中"),
                          PositionStatus.REJECTED: N_("未通过审核"), PositionStatus.CLOSED: N_("已结束")}
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: N_("待企业答复"), ApplicationStatus.ACCEPTED: N_("已录用"),
    ApplicationStatus.DECLINED: N_("未录用"), ApplicationStatus.WITHDRAWN: N_("已撤回"),
}
PLACEMENT_STATUS_LABELS = {
    PlacementStatus.CONFIRMED: N_("待签协议"), PlacementStatus.UNDER_WAY: N_("实践中"),
    PlacementStatus.FINISHED: N_("已结束"),
}


# ---------------------------------------------------------------- what a person sees
# One answer to "where is this placement?", the same words for the student, the parent, the
# enterprise and the union officer: a placement whose agreement and insurance are recorded but
# whose first day is still to come is 待上岗, never 实践中 a month early.


class PlacementShown(StrEnum):
    AWAITING_AGREEMENT = "awaiting_agreement"  # accepted; agreement and insurance still to record
    NOT_STARTED = "not_started"  # agreement and insurance recorded, first day still to come
    UNDER_WAY = "under_way"  # at work
    FINISHED = "finished"


PLACEMENT_SHOWN_LABELS = {
    PlacementShown.AWAITING_AGREEMENT: N_("待签协议"), PlacementShown.NOT_STARTED: N_("待上岗"),
    PlacementShown.UNDER_WAY: N_("实践中"), PlacementShown.FINISHED: N_("已结束"),
}
PLACEMENT_SHOWN_TONES = {PlacementShown.UNDER_WAY: "ok", PlacementShown.FINISHED: "muted"}


def placement_shown(status: str, starts_on: date | None, today: date) -> PlacementShown:
    """What one placement means on ``today``, on every page of every role."""
    if status == PlacementStatus.FINISHED:
        return PlacementShown.FINISHED
    if status == PlacementStatus.CONFIRMED:
        return PlacementShown.AWAITING_AGREEMENT
    return PlacementShown.NOT_STARTED if starts_on is not None and starts_on > today else PlacementShown.UNDER_WAY


CONCERN_CATEGORY_LABELS = {
    ConcernCategory.UNPAID_WAGES: N_("拖欠报酬"), ConcernCategory.SAFETY: N_("安全问题"),
    ConcernCategory.HOURS: N_("工作时间过长"), ConcernCategory.OTHER: N_("其他问题"),
}
CONCERN_STATUS_LABELS = {ConcernStatus.OPEN: N_("待处理"), ConcernStatus.ANSWERED: N_("已答复")}
CLOSED_REASON_LABELS = {"full": N_("名额已满"), "deadline": N_("报名已截止"), "withdrawn": N_("企业已撤下"),
                        "union": N_("工会已下架"), "pending": N_("待工会审核"), "rejected": N_("未通过工会审核")}

# ---------------------------------------------------------------- state machines
# Every status of the programme and the only moves between them; the columns' CHECKs come from
# the same enums (``portal.models.jobs``).

ENTERPRISE = StateMachine(
    name="enterprise", statuses=EnterpriseStatus, labels=ENTERPRISE_STATUS_LABELS, initial=EnterpriseStatus.PENDING,
    transitions={
        (EnterpriseStatus.PENDING, EnterpriseAction.APPROVE): EnterpriseStatus.APPROVED,
        (EnterpriseStatus.PENDING, EnterpriseAction.REJECT): EnterpriseStatus.REJECTED,
    },
    action_labels={EnterpriseAction.APPROVE: N_("通过审核"), EnterpriseAction.REJECT: N_("退回登记")},
)

POSITION = StateMachine(
    name="position", statuses=PositionStatus, labels=POSITION_STATUS_LABELS, initial=PositionStatus.PENDING,
    transitions={
        (PositionStatus.PENDING, PositionAction.APPROVE): PositionStatus.OPEN,
        (PositionStatus.PENDING, PositionAction.REJECT): PositionStatus.REJECTED,
        (PositionStatus.PENDING, PositionAction.WITHDRAW): PositionStatus.CLOSED,
        (PositionStatus.PENDING, PositionAction.EXPIRE): PositionStatus.CLOSED,
        **{(PositionStatus.OPEN, action): PositionStatus.CLOSED
           for action in (PositionAction.WITHDRAW, PositionAction.TAKE_DOWN, PositionAction.EXPIRE,
                          PositionAction.FILL)},
    },
    action_labels={PositionAction.APPROVE: N_("通过审核"), PositionAction.REJECT: N_("退回岗位"),
                   PositionAction.WITHDRAW: N_("撤下岗位"), PositionAction.TAKE_DOWN: N_("下架岗位"),
                   PositionAction.EXPIRE: N_("截止报名"), PositionAction.FILL: N_("满员停招")},
)
# Why a closed position closed, by the move that closed it (keys of ``CLOSED_REASON_LABELS``).
CLOSED_REASONS = {PositionAction.WITHDRAW: "withdrawn", PositionAction.TAKE_DOWN: "union",
                  PositionAction.EXPIRE: "deadline", PositionAction.FILL: "full"}

APPLICATION = StateMachine(
    name="application", statuses=ApplicationStatus, labels=APPLICATION_STATUS_LABELS,
    initial=ApplicationStatus.SUBMITTED,
    transitions={
        (ApplicationStatus.SUBMITTED, ApplicationAction.ACCEPT): ApplicationStatus.ACCEPTED,
        (ApplicationStatus.SUBMITTED, ApplicationAction.DECLINE): ApplicationStatus.DECLINED,
        (ApplicationStatus.SUBMITTED, ApplicationAction.WITHDRAW): ApplicationStatus.WITHDRAWN,
    },
    action_labels={ApplicationAction.ACCEPT: N_("录用"), ApplicationAction.DECLINE: N_("不录用"),
                   ApplicationAction.WITHDRAW: N_("撤回报名")},
)

PLACEMENT = StateMachine(
    name="placement", statuses=PlacementStatus, labels=PLACEMENT_STATUS_LABELS, initial=PlacementStatus.CONFIRMED,
    transitions={
        (PlacementStatus.CONFIRMED, PlacementAction.START): PlacementStatus.UNDER_WAY,
        (PlacementStatus.UNDER_WAY, PlacementAction.FINISH): PlacementStatus.FINISHED,
    },
    action_labels={PlacementAction.START: N_("登记协议和保险"), PlacementAction.FINISH: N_("结束实践")},
)

CONCERN = StateMachine(
    name="concern", statuses=ConcernStatus, labels=CONCERN_STATUS_LABELS, initial=ConcernStatus.OPEN,
    transitions={(ConcernStatus.OPEN, ConcernAction.ANSWER): ConcernStatus.ANSWERED},
    action_labels={ConcernAction.ANSWER: N_("答复")},
)


def check_move(machine: StateMachine, status: str, action: StrEnum, refusal: Msgid, *, code: str) -> None:
    """Refuse ``action`` from ``status`` in the programme's own words (``refusal`` may name the
    status as ``%(status)s``); the service then moves the record with ``machine.move``."""
    if not machine.can(status, action):
        raise Conflict(refusal, code=code, status=machine.label(status))


def parse_uscc(raw: object) -> str:
    """A unified social credit code (统一社会信用代码), checked; ``InvalidInput`` says how to fix it."""
    code = normalise(raw)
    if not code:
        raise InvalidInput(N_("请填写统一社会信用代码。"), code="uscc_missing", field="uscc")
    try:
        return uscc.validate(code)
    except InvalidLength:
        raise InvalidInput(N_("统一社会信用代码应为18位，您填写的是%(length)s位，请对照营业执照核对。"),
                           code="uscc_length", field="uscc", length=len(code)) from None
    except InvalidChecksum:
        raise InvalidInput(N_("统一社会信用代码校验位不正确，请对照营业执照逐位核对。"),
                           code="uscc_checksum", field="uscc") from None
    except (InvalidFormat, ValidationError):
        raise InvalidInput(
            N_("统一社会信用代码格式不正确：只含数字和大写字母（不含I、O、Z、S、V），请对照营业执照核对。"),
            code="uscc_format", field="uscc") from None


def compose_uscc(region_code: str, sequence: int) -> str:
    """A well-formed code for demo data and tests: a company (91) in ``region_code``, check character added."""
    body = f"91{region_code}{sequence:09d}"[:17]
    return body + uscc.calc_check_digit(body)


def check_student_age(id_number: IdNumber, starts_on: date, *, minimum_age: int = MIN_STUDENT_AGE) -> int:
    """The student's age on the position's first day; refused below ``minimum_age`` (never below 16)."""
    minimum = max(minimum_age, MIN_STUDENT_AGE)
    age = id_number.age_on(starts_on)
    if age < minimum:
        raise InvalidInput(
            N_("按身份证号码计算，学生在岗位开始日（%(starts_on)s）时%(age)s岁，未满%(minimum)s周岁，不能报名该岗位。"
               "请选择开始日期更晚或年龄要求更低的岗位。"),
            code="student_too_young", field="id_number", starts_on=starts_on, age=age, minimum=minimum,
        )
    return age


@dataclass(frozen=True)
class PositionTerms:
    """What an enterprise offers; ``check`` refuses terms the programme cannot accept."""

    places: int
    pay_fen: int
    pay_unit: PayUnit
    starts_on: date
    ends_on: date
    apply_by: date
    min_age: int
    agreement_and_insurance_confirmed: bool

    def check(self, *, today: date) -> None:
        if not self.agreement_and_insurance_confirmed:
            raise InvalidInput(N_("发布岗位须承诺与学生签订实践协议并为其购买意外伤害保险，请勾选确认。"),
                               code="agreement_required", field="agreement_confirmed")
        if not 1 <= self.places <= MAX_PLACES_PER_POSITION:
            raise InvalidInput(N_("招募人数应在1到%(max)s之间。"), code="places_invalid", field="places",
                               max=MAX_PLACES_PER_POSITION)
        if self.pay_fen <= 0:
            raise InvalidInput(N_("请填写报酬（爱心岗位须有报酬）。"), code="pay_invalid", field="pay")
        if self.min_age < MIN_STUDENT_AGE:
            raise InvalidInput(N_("最低年龄不能低于%(age)s周岁。"), code="min_age_invalid", field="min_age",
                               age=MIN_STUDENT_AGE)
        if self.min_age > MAX_MIN_AGE:
            raise InvalidInput(N_("最低年龄不能高于%(age)s周岁。"), code="min_age_invalid", field="min_age",
                               age=MAX_MIN_AGE)
        if self.ends_on < self.starts_on:
            raise InvalidInput(N_("结束日期不能早于开始日期。"), code="dates_invalid", field="ends_on")
        if self.apply_by < today:
            raise InvalidInput(N_("报名截止日期已过，请填写今天或以后的日期。"), code="deadline_past", field="apply_by")
        if self.apply_by > self.starts_on:
            raise InvalidInput(N_("报名截止日期应不晚于岗位开始日期。"), code="deadline_after_start", field="apply_by")


def position_closed_reason(*, status: str, filled: int, places: int, apply_by: date, today: date) -> str | None:
    """Why a position takes no applications (a key of ``CLOSED_REASON_LABELS``), or ``None`` if open."""
    if status == PositionStatus.CLOSED:
        return "withdrawn"
    if status in (PositionStatus.PENDING, PositionStatus.REJECTED):
        return PositionStatus(status).value
    if filled >= places:
        return "full"
    if apply_by < today:
        return "deadline"
    return None


def check_can_apply(*, closed_reason: str | None, already_applied: bool, live_applications: int) -> None:
    """Refuse an application to a closed position, a second one to the same position, or too many."""
    if closed_reason is not None:
        raise Conflict(N_("该岗位已停止报名（%(reason)s），请选择其他招募中的岗位。"), code="position_closed",
                       reason=CLOSED_REASON_LABELS[closed_reason])
    if already_applied:
        raise Conflict(N_("该学生已报名过这个岗位，无需重复报名。请在“我的勤工俭学”中查看进度。"),
                       code="duplicate_application")
    if live_applications >= MAX_LIVE_APPLICATIONS:
        raise Conflict(N_("每名学生同时最多报名%(max)s个岗位。请先撤回一个待答复的报名，或等待企业答复。"),
                       code="too_many_applications", max=MAX_LIVE_APPLICATIONS)


def check_decision(status: str, *, accept: bool) -> None:
    """Only an application waiting for the enterprise can be accepted or declined."""
    check_move(APPLICATION, status, ApplicationAction.ACCEPT if accept else ApplicationAction.DECLINE,
               N_("该报名已处理（%(status)s），不能再次答复。"), code="already_decided")


def priority_key(*, is_hardship_family: bool, applied_order: int) -> tuple[int, int]:
    """Applications in the order an enterprise should read them: hardship families first, then first come."""
    return (0 if is_hardship_family else 1, applied_order)


def week_starting(day: date) -> date:
    """The Monday of ``day``'s week: attendance is reported once per placement per week."""
    return day - timedelta(days=day.weekday())


def check_attendance(*, week: date, days_present: int, starts_on: date, today: date) -> None:
    if week > week_starting(today):
        raise InvalidInput(N_("不能填报未来周次的出勤。"), code="week_in_future", field="week")
    if week < week_starting(starts_on):
        raise InvalidInput(N_("该周早于实践开始日期。"), code="week_before_start", field="week")
    if not 0 <= days_present <= MAX_DAYS_PER_WEEK:
        raise InvalidInput(N_("出勤天数应在0到7之间。"), code="days_invalid", field="days_present")


def expected_pay_fen(*, pay_fen: int, pay_unit: PayUnit, days_worked: int, days_per_month: int = 21) -> int:
    """What the offer promises for ``days_worked``: daily pay times days, or monthly pay pro rata.

    A monthly rate is prorated over 21.75 working days in labour law; we use the rounder 21 only as
    a default the caller may change, rounding half up to the fen.
    """
    if days_worked < 0:
        raise InvalidInput(N_("实践天数不能为负数。"), field="days_worked")
    if pay_unit == PayUnit.DAY:
        return pay_fen * days_worked
    amount = Decimal(pay_fen) * days_worked / days_per_month
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_completion(*, days_worked: int, pay_received_fen: int, starts_on: date, ends_on: date) -> None:
    """The end-of-placement record: days within the dates, pay not negative, unpaid work flagged."""
    span = (ends_on - starts_on).days + 1
    if ends_on < starts_on:
        raise InvalidInput(N_("结束日期不能早于开始日期。"), code="dates_invalid", field="ends_on")
    if not 0 <= days_worked <= span:
        raise InvalidInput(N_("实践天数应在0到%(span)s天之间（开始到结束共%(span)s天）。"), code="days_invalid",
                           field="days_worked", span=span)
    if pay_received_fen < 0:
        raise InvalidInput(N_("报酬不能为负数。"), code="pay_invalid", field="pay_received")
    if days_worked > 0 and pay_received_fen == 0:
        raise InvalidInput(N_("学生已实践却未记录报酬。爱心岗位须支付报酬，请填写实际发放的金额。"),
                           code="unpaid_work", field="pay_received")


def average_fen(amounts: Iterable[int]) -> int | None:
    """The mean of integer fen amounts, rounded half up to the fen; ``None`` for no amounts."""
    values = list(amounts)
    if not values:
        return None
    mean = Decimal(sum(values)) / len(values)
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pay_per_day_fen(total_pay_fen: int, total_days: int) -> int | None:
    """Average pay per day worked, rounded half up to the fen; ``None`` when no day was worked."""
    if total_days <= 0:
        return None
    mean = Decimal(total_pay_fen) / total_days
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def certificate_number(year: int, placement_id: int) -> str:
    """``SJ2026-000042``: printed on the practice certificate, checkable by the union."""
    return f"SJ{year}-{placement_id:06d}"

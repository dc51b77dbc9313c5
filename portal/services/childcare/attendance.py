"""The class day: one tap checks a child in (or marks them absent), and a child leaves only with
an adult the parent authorised."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from portal import clock
from portal.domain.childcare import ATTENDANCE, ATTENDANCE_ACTIONS, AttendanceStatus, RegistrationStatus
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import mask_mobile, parse_mobile
from portal.extensions import db
from portal.models.childcare import Attendance, ChildcareClass, PickupAdult, Registration
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.childcare.permissions import get_registration, require_organiser_of, today_in_china
from portal.services.unit_of_work import independent_unit, savepoint, unit_of_work


def _attendance_target(actor, registration_id: int, day: date, today: date) -> tuple[Registration, ChildcareClass]:
    registration = get_registration(registration_id)
    cls = registration.childcare_class
    require_organiser_of(actor, cls)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise InvalidInput(N_("只有已录取的孩子才能签到。"), code="not_confirmed")
    if day > today:
        raise InvalidInput(N_("不能为以后的日期签到。"), code="future_day")
    if not cls.schedule.is_class_day(day):
        raise InvalidInput(N_("%(day)s不是本班的上课日。"), code="not_a_class_day", day=day)
    return registration, cls


def _locked_mark(registration: Registration, day: date) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(Attendance.registration_id == registration.id, Attendance.day == day)
        .with_for_update().execution_options(populate_existing=True))


def _day_mark(registration: Registration, cls: ChildcareClass, day: date) -> Attendance:
    """The child's mark for ``day``, locked; the day's first tap makes it. When a second tablet
    makes it at the same moment, its row wins and is read back."""
    mark = _locked_mark(registration, day)
    if mark is not None:
        return mark
    try:
        with savepoint():
            mark = Attendance(registration_id=registration.id, class_id=cls.id, day=day, status=ATTENDANCE.initial)
            db.session.add(mark)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        return _locked_mark(registration, day)
    return mark


@unit_of_work
def mark_attendance(actor, registration_id: int, day: date, status: str, *,
                    now: datetime | None = None) -> Attendance:
    """One tap: the child arrived (or is absent) on ``day``. Tapping again keeps one record."""
    now = now or clock.now()
    registration, cls = _attendance_target(actor, registration_id, day, today_in_china(now))
    try:
        wanted = AttendanceStatus(status)
    except ValueError:
        raise InvalidInput(N_("签到状态不正确。"), field="status") from None
    mark = _day_mark(registration, cls, day)
    if mark.picked_up_at is not None and wanted is AttendanceStatus.ABSENT:
        raise Conflict(N_("孩子已被接走，不能再改为缺勤。"), code="already_picked_up")
    ATTENDANCE.move(mark, ATTENDANCE_ACTIONS[wanted])
    mark.recorded_by_id = actor.id
    mark.checked_in_at = (mark.checked_in_at or now) if wanted is AttendanceStatus.PRESENT else None
    audit.record(actor, "childcare.attendance", "childcare_registration", registration.id,
                 day=day.isoformat(), status=wanted.value)
    return mark


def _authorised_adult(registration: Registration, pickup_adult_id: int | None, mobile: str | None
                      ) -> PickupAdult | None:
    """The adult chosen from the parent's list, or found on it by the mobile they give."""
    adults = registration.child.authorised_adults
    if pickup_adult_id:
        return next((a for a in adults if a.id == int(pickup_adult_id)), None)
    if not mobile:
        raise InvalidInput(N_("请选择接送人，或填写来接孩子的人的手机号码。"), field="mobile")
    try:
        wanted = lookup_hash(parse_mobile(mobile))
    except InvalidInput:
        raise InvalidInput(N_("请填写接送人的11位手机号码。"), code="mobile_invalid", field="mobile") from None
    return next((a for a in adults if a.mobile_hash == wanted), None)


def _refuse_pickup(actor, registration: Registration, day: date) -> InvalidInput:
    """The refusal, audited in a unit of its own: the action rolls back, the record of it stays."""
    with independent_unit() as session:
        audit.record(actor, "childcare.pickup_refused", "childcare_registration", registration.id,
                     day=day.isoformat(), session=session)
    return InvalidInput(
        N_("此人不在家长授权的接送名单中，请不要让孩子离开，并立即联系家长（%(mobile)s，完整号码见该孩子的“紧急联系”页）核实。"),
        code="pickup_not_authorised", field="mobile", mobile=mask_mobile(registration.parent.mobile))


@unit_of_work
def record_pickup(actor, registration_id: int, day: date, *, pickup_adult_id: int | None = None,
                  mobile: str | None = None, now: datetime | None = None) -> Attendance:
    """Record who collected the child; only an adult the parent authorised is accepted.

    The adult is chosen from the list, or found by the mobile they give; anyone else is refused
    (and the refusal audited) so the organiser knows not to hand the child over.
    """
    now = now or clock.now()
    registration, _ = _attendance_target(actor, registration_id, day, today_in_china(now))
    mark = _locked_mark(registration, day)
    if mark is None or mark.status != AttendanceStatus.PRESENT:
        raise InvalidInput(N_("孩子今天还没有签到，不能登记接走。"), code="not_checked_in")
    if mark.picked_up_at is not None:
        return mark
    adult = _authorised_adult(registration, pickup_adult_id, mobile)
    if adult is None:
        raise _refuse_pickup(actor, registration, day)
    mark.pickup_adult_id = adult.id
    mark.picked_up_at = now
    mark.recorded_by_id = actor.id
    audit.record(actor, "childcare.pickup", "childcare_registration", registration.id, day=day.isoformat(),
                 pickup_adult_id=adult.id)
    return mark


@unit_of_work
def undo_last_tap(actor, registration_id: int, day: date, *, now: datetime | None = None) -> Attendance | None:
    """Take back the last tap on the tablet for ``day``: a pick-up goes back to 已到; 到 or 缺勤 goes
    back to unmarked. For a mistaken tap on a busy morning; audited like the tap itself."""
    now = now or clock.now()
    registration, _ = _attendance_target(actor, registration_id, day, today_in_china(now))
    mark = _locked_mark(registration, day)
    if mark is None:
        return None
    if mark.picked_up_at is not None:
        undone = "pickup"
        mark.picked_up_at = None
        mark.pickup_adult_id = None
        mark.recorded_by_id = actor.id
    else:
        undone = mark.status
        db.session.delete(mark)
        mark = None
    audit.record(actor, "childcare.attendance_undo", "childcare_registration", registration.id,
                 day=day.isoformat(), undone=undone)
    return mark

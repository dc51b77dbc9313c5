"""The statuses of summer childcare and the only moves between them."""

import pytest

from portal.domain.childcare import (
    ATTENDANCE,
    ATTENDANCE_ACTIONS,
    CLASS,
    REGISTRATION,
    AttendanceAction,
    AttendanceStatus,
    ClassAction,
    ClassStatus,
    RegistrationAction,
    RegistrationStatus,
)
from portal.domain.errors import Conflict


class Row:
    def __init__(self, status):
        self.status = status


def test_a_draft_class_is_published_once():
    cls = Row(CLASS.initial)
    assert CLASS.move(cls, ClassAction.PUBLISH) == ClassStatus.PUBLISHED
    with pytest.raises(Conflict) as refused:
        CLASS.move(cls, ClassAction.PUBLISH)
    assert refused.value.code == "childcare_class_state" and "已发布" in refused.value.message
    assert not CLASS.can(ClassStatus.CANCELLED, ClassAction.PUBLISH)


def test_a_request_is_confirmed_or_waitlisted_and_only_the_waitlist_is_promoted():
    assert REGISTRATION.initial == RegistrationStatus.REQUESTED
    assert REGISTRATION.next("requested", RegistrationAction.CONFIRM) == RegistrationStatus.CONFIRMED
    assert REGISTRATION.next("requested", RegistrationAction.WAITLIST) == RegistrationStatus.WAITLISTED
    assert REGISTRATION.next("waitlisted", RegistrationAction.PROMOTE) == RegistrationStatus.CONFIRMED
    for status in ("requested", "confirmed"):
        assert not REGISTRATION.can(status, RegistrationAction.PROMOTE)
    assert not REGISTRATION.can("confirmed", RegistrationAction.WAITLIST)  # a seat is never taken back


def test_every_live_registration_can_be_cancelled_and_a_cancelled_one_goes_nowhere():
    for status in ("requested", "confirmed", "waitlisted"):
        assert REGISTRATION.next(status, RegistrationAction.CANCEL) == RegistrationStatus.CANCELLED
    assert REGISTRATION.terminal() == {RegistrationStatus.CANCELLED}
    with pytest.raises(Conflict) as refused:
        REGISTRATION.move(Row("cancelled"), RegistrationAction.PROMOTE)
    assert refused.value.code == "childcare_registration_state"
    assert refused.value.params["status"] == "已取消"


def test_the_organisers_taps_move_a_days_mark_either_way_and_repeat_harmlessly():
    mark = Row(ATTENDANCE.initial)
    assert mark.status == AttendanceStatus.ABSENT  # nobody has checked the child in yet
    for wanted in ("present", "present", "absent", "absent", "present"):
        ATTENDANCE.move(mark, ATTENDANCE_ACTIONS[AttendanceStatus(wanted)])
        assert mark.status == wanted
    assert set(ATTENDANCE_ACTIONS.values()) == set(AttendanceAction)


def test_every_status_has_a_chinese_label():
    for machine in (CLASS, REGISTRATION, ATTENDANCE):
        assert all(machine.label(status) for status in machine.statuses)
    assert REGISTRATION.label("waitlisted") == "候补中" and ATTENDANCE.label("present") == "已到"

"""Work-study rules: USCC, the student's age on the start date, position terms, pay in fen."""

from datetime import date

import pytest

from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.jobs import PayUnit

TODAY = date(2026, 7, 1)


def test_uscc_is_accepted_in_any_spacing_and_case():
    assert rules.parse_uscc("9111 0000 6000 3734 1l") == "91110000600037341L"


@pytest.mark.parametrize("raw, code", [
    ("", "uscc_missing"),
    ("9111000060003734", "uscc_length"),
    ("91110000600037342L", "uscc_checksum"),
    ("A1110000600037341L", "uscc_format"),
])
def test_bad_uscc_is_refused_with_what_to_check(raw, code):
    with pytest.raises(InvalidInput) as refused:
        rules.parse_uscc(raw)
    assert refused.value.code == code
    assert "营业执照" in refused.value.message or code == "uscc_missing"


def test_composed_uscc_passes_the_check():
    assert rules.parse_uscc(rules.compose_uscc("320206", 42)) == rules.compose_uscc("320206", 42)


def _student(birth: date):
    return parse_id_number(compose_id_number("320206", birth, 101), today=TODAY)


def test_age_counts_on_the_start_date_not_today():
    student = _student(date(2010, 7, 20))  # 15 today, 16 from 20 July
    assert rules.check_student_age(student, date(2026, 7, 20)) == 16
    with pytest.raises(InvalidInput) as refused:
        rules.check_student_age(student, date(2026, 7, 19))
    assert refused.value.code == "student_too_young"
    assert "2026年7月19日" in refused.value.message and "15岁" in refused.value.message


def test_a_position_may_ask_more_than_sixteen_but_never_less():
    student = _student(date(2008, 1, 1))  # 18
    with pytest.raises(InvalidInput):
        rules.check_student_age(student, date(2026, 7, 15), minimum_age=19)
    assert rules.check_student_age(_student(date(2010, 1, 1)), date(2026, 7, 15), minimum_age=12) == 16


def _terms(**changes):
    values = dict(places=3, pay_fen=15_000, pay_unit=PayUnit.DAY, starts_on=date(2026, 7, 15),
                  ends_on=date(2026, 8, 15), apply_by=date(2026, 7, 10), min_age=16,
                  agreement_and_insurance_confirmed=True)
    values.update(changes)
    return rules.PositionTerms(**values)


@pytest.mark.parametrize("changes, code", [
    ({"agreement_and_insurance_confirmed": False}, "agreement_required"),
    ({"places": 0}, "places_invalid"),
    ({"pay_fen": 0}, "pay_invalid"),
    ({"min_age": 15}, "min_age_invalid"),
    ({"min_age": 31}, "min_age_invalid"),  # no student is older: a typing slip
    ({"min_age": 10**20}, "min_age_invalid"),  # would overflow the database's INTEGER (a 500)
    ({"ends_on": date(2026, 7, 14)}, "dates_invalid"),
    ({"apply_by": date(2026, 6, 30)}, "deadline_past"),
    ({"apply_by": date(2026, 7, 16)}, "deadline_after_start"),
])
def test_position_terms_refused(changes, code):
    with pytest.raises(InvalidInput) as refused:
        _terms(**changes).check(today=TODAY)
    assert refused.value.code == code


@pytest.mark.parametrize("edge, beyond, code", [
    ({"places": 1}, {"places": 0}, "places_invalid"),
    ({"places": rules.MAX_PLACES_PER_POSITION}, {"places": rules.MAX_PLACES_PER_POSITION + 1}, "places_invalid"),
    ({"pay_fen": 1}, {"pay_fen": 0}, "pay_invalid"),
    ({"min_age": 16}, {"min_age": 15}, "min_age_invalid"),
    ({"min_age": 30}, {"min_age": 31}, "min_age_invalid"),
    ({"ends_on": date(2026, 7, 15)}, {"ends_on": date(2026, 7, 14)}, "dates_invalid"),
    ({"apply_by": TODAY}, {"apply_by": date(2026, 6, 30)}, "deadline_past"),
    ({"apply_by": date(2026, 7, 15)}, {"apply_by": date(2026, 7, 16)}, "deadline_after_start"),
])
def test_good_terms_pass(edge, beyond, code):
    """Passing means every limit is inclusive: terms on the edge are accepted, one step beyond refused."""
    assert _terms(**edge).check(today=TODAY) is None
    with pytest.raises(InvalidInput) as refused:
        _terms(**beyond).check(today=TODAY)
    assert refused.value.code == code


def test_position_closes_when_full_or_past_its_deadline():
    kwargs = dict(status="open", places=2, apply_by=date(2026, 7, 10))
    assert rules.position_closed_reason(filled=1, today=date(2026, 7, 10), **kwargs) is None
    assert rules.position_closed_reason(filled=2, today=TODAY, **kwargs) == "full"
    assert rules.position_closed_reason(filled=0, today=date(2026, 7, 11), **kwargs) == "deadline"


def test_application_refusals_say_why():
    with pytest.raises(Conflict, match="名额已满"):
        rules.check_can_apply(closed_reason="full", already_applied=False, live_applications=0)
    with pytest.raises(Conflict, match="已报名过"):
        rules.check_can_apply(closed_reason=None, already_applied=True, live_applications=1)
    with pytest.raises(Conflict, match="最多报名3个"):
        rules.check_can_apply(closed_reason=None, already_applied=False, live_applications=3)


def test_hardship_families_come_first_then_first_come():
    keys = [rules.priority_key(is_hardship_family=h, applied_order=o) for h, o in [(False, 1), (True, 5), (True, 2)]]
    assert sorted(keys) == [(0, 2), (0, 5), (1, 1)]


def test_expected_pay_in_fen():
    assert rules.expected_pay_fen(pay_fen=15_050, pay_unit=PayUnit.DAY, days_worked=20) == 301_000
    # 3,000.00 a month for 10 of 21 days: 1,428.571… → 1,428.57 (half up to the fen)
    assert rules.expected_pay_fen(pay_fen=300_000, pay_unit=PayUnit.MONTH, days_worked=10) == 142_857


def test_averages_round_half_up_to_the_fen_and_never_use_floats():
    assert rules.average_fen([100, 101]) == 101  # 100.5 → 101
    assert rules.average_fen([300_000, 150_001, 200_000]) == 216_667
    assert rules.average_fen([]) is None
    assert rules.pay_per_day_fen(100_001, 3) == 33_334
    assert rules.pay_per_day_fen(5_000, 0) is None


def test_completion_refuses_impossible_days_and_unpaid_work():
    span = dict(starts_on=date(2026, 7, 15), ends_on=date(2026, 7, 24))
    rules.check_completion(days_worked=10, pay_received_fen=150_000, **span)
    with pytest.raises(InvalidInput, match="0到10天"):
        rules.check_completion(days_worked=11, pay_received_fen=150_000, **span)
    with pytest.raises(InvalidInput) as refused:
        rules.check_completion(days_worked=5, pay_received_fen=0, **span)
    assert refused.value.code == "unpaid_work"


def test_attendance_weeks_are_mondays_and_not_in_the_future():
    assert rules.week_starting(date(2026, 7, 19)) == date(2026, 7, 13)
    with pytest.raises(InvalidInput):
        rules.check_attendance(week=date(2026, 7, 6), days_present=3, starts_on=date(2026, 6, 1), today=TODAY)
    with pytest.raises(InvalidInput):
        rules.check_attendance(week=date(2026, 6, 29), days_present=8, starts_on=date(2026, 6, 1), today=TODAY)


# ---------------------------------------------------------------- state machines

@pytest.mark.parametrize("machine, start, action, end", [
    (rules.ENTERPRISE, "pending", rules.EnterpriseAction.APPROVE, "approved"),
    (rules.ENTERPRISE, "pending", rules.EnterpriseAction.REJECT, "rejected"),
    (rules.POSITION, "open", rules.PositionAction.FILL, "closed"),
    (rules.APPLICATION, "submitted", rules.ApplicationAction.ACCEPT, "accepted"),
    (rules.APPLICATION, "submitted", rules.ApplicationAction.WITHDRAW, "withdrawn"),
    (rules.PLACEMENT, "confirmed", rules.PlacementAction.START, "under_way"),
    (rules.PLACEMENT, "under_way", rules.PlacementAction.FINISH, "finished"),
    (rules.CONCERN, "open", rules.ConcernAction.ANSWER, "answered"),
])
def test_records_move_only_along_their_tables(machine, start, action, end):
    class Record:
        status = start

    record = Record()
    assert machine.move(record, action) == end and record.status == end
    with pytest.raises(Conflict) as refused:  # the same move again: the record has moved on
        machine.move(record, action)
    assert refused.value.code == f"{machine.name}_state" and record.status == end


def test_what_is_final_in_each_machine():
    assert rules.ENTERPRISE.terminal() == {"approved", "rejected"}
    assert rules.POSITION.terminal() == {"closed", "rejected"}
    assert rules.APPLICATION.terminal() == {"accepted", "declined", "withdrawn"}
    assert rules.PLACEMENT.terminal() == {"finished"}
    assert rules.CONCERN.terminal() == {"answered"}
    assert rules.PLACEMENT.allowed_actions("confirmed") == [rules.PlacementAction.START]


def test_every_way_a_position_closes_has_its_reason_shown_to_people():
    closing = {action for action in rules.PositionAction
               if any(rules.POSITION.next(status, action) == "closed" for status in rules.PositionStatus
                      if rules.POSITION.can(status, action))}
    assert set(rules.CLOSED_REASONS) == closing
    # and a position not yet public says why too: waiting for the union, or refused by it
    assert set(rules.CLOSED_REASONS.values()) | {"pending", "rejected"} == set(rules.CLOSED_REASON_LABELS)


def test_a_refused_move_speaks_the_programmes_words_with_the_status():
    class Concern:
        status = "answered"

    rules.check_move(rules.CONCERN, "open", rules.ConcernAction.ANSWER, "不会出现", code="already_answered")
    with pytest.raises(Conflict) as refused:
        rules.check_move(rules.CONCERN, Concern.status, rules.ConcernAction.ANSWER, "该问题已处理（%(status)s）。",
                         code="already_answered")
    assert refused.value.code == "already_answered" and refused.value.message == "该问题已处理（已答复）。"
    with pytest.raises(Conflict, match="已录用"):
        rules.check_decision("accepted", accept=False)

"""Rules of singles' events and the collective wedding: places, balance, ages, choices, matches."""

from datetime import date

import pytest

from portal.domain import events as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.events import PARTICIPANT, ParticipantAction, ParticipantStatus, Places

HELD = date(2026, 7, 20)


def test_a_full_event_refuses_the_next_registration():
    rules.take_place(Places(4, False, 3, 3, 0), "M")
    with pytest.raises(Conflict) as refused:
        rules.take_place(Places(4, False, 4, 4, 0), "F")
    assert refused.value.code == "event_full"


def test_a_balanced_event_keeps_each_sex_to_half_the_places():
    places = Places(capacity=6, balanced=True, taken=3, men=3, women=0)
    with pytest.raises(Conflict) as refused:
        rules.take_place(places, "M")
    assert refused.value.code == "event_sex_full"
    rules.take_place(places, "F")  # women's half still open
    assert places.left_for("F") == 3 and places.left_for("M") == 0


def test_a_balanced_event_needs_an_even_number_of_places():
    with pytest.raises(InvalidInput):
        rules.check_capacity(7, True)
    rules.check_capacity(7, False)
    with pytest.raises(InvalidInput):
        rules.check_capacity(1, False)


def test_age_is_counted_on_the_day_of_the_event():
    assert rules.check_age(date(1986, 7, 20), HELD, 22, 40) == 40
    with pytest.raises(InvalidInput) as refused:
        rules.check_age(date(1985, 7, 20), HELD, 22, 40)
    assert refused.value.code == "event_age"


def test_registration_closes_before_the_day():
    with pytest.raises(InvalidInput):
        rules.check_dates(opens_on=date(2026, 7, 1), closes_on=HELD, held_on=HELD)
    assert rules.phase(date(2026, 7, 10), opens_on=date(2026, 7, 1), closes_on=date(2026, 7, 15), held_on=HELD) \
        is rules.Phase.OPEN
    assert rules.phase(HELD, opens_on=date(2026, 7, 1), closes_on=date(2026, 7, 15), held_on=HELD) is rules.Phase.HELD


def test_a_match_needs_both_choices():
    choices = [(1, 2), (2, 1), (3, 4), (5, 1), (6, 6)]
    assert rules.mutual_pairs(choices) == {frozenset((1, 2))}
    assert rules.mutual_pairs([(3, 4)]) == set()


def test_choices_name_an_attendee_other_than_oneself_within_the_window():
    attended = [1, 2, 3, 4, 5]
    rules.check_choice(own_number=1, chosen=2, attended_numbers=attended, already=[], today=HELD, held_on=HELD)
    cases = [
        (dict(chosen=1), "match_self"),
        (dict(chosen=9), "match_unknown"),
        (dict(chosen=5, already=[2, 3, 4]), "match_too_many"),
        (dict(chosen=2, today=date(2026, 7, 28)), "match_window"),
        (dict(chosen=2, today=date(2026, 7, 19)), "match_window"),
    ]
    for overrides, code in cases:
        values = dict(own_number=1, attended_numbers=attended, already=[], today=HELD, held_on=HELD) | overrides
        with pytest.raises(InvalidInput) as refused:
            rules.check_choice(**values)
        assert refused.value.code == code


def test_only_a_confirmed_participant_checks_in():
    assert PARTICIPANT.next(ParticipantStatus.CONFIRMED, ParticipantAction.CHECK_IN) is ParticipantStatus.ATTENDED
    with pytest.raises(Conflict):
        PARTICIPANT.next(ParticipantStatus.REQUESTED, ParticipantAction.CHECK_IN)
    with pytest.raises(Conflict):
        PARTICIPANT.next(ParticipantStatus.DECLINED, ParticipantAction.CONFIRM)


def test_the_wedding_takes_recently_married_couples_up_to_capacity():
    rules.check_certificate_date(date(2026, 5, 1), today=date(2026, 7, 1), held_on=HELD)
    with pytest.raises(InvalidInput):
        rules.check_certificate_date(date(2026, 7, 2), today=date(2026, 7, 1), held_on=HELD)
    with pytest.raises(InvalidInput):
        rules.check_certificate_date(date(2024, 1, 1), today=date(2026, 7, 1), held_on=HELD)
    rules.take_couple_place(100, 99)
    with pytest.raises(Conflict):
        rules.take_couple_place(100, 100)

"""The allocation rules of summer childcare: tiers first, a reproducible seeded ballot inside a tier."""

from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.childcare import (
    BallotEntry,
    Phase,
    PriorityCategory,
    Schedule,
    allocate,
    categories_from_record,
    check_age,
    class_phase,
    effective_category,
    schedules_overlap,
)
from portal.domain.errors import InvalidInput

GIG = ("快递员", "外卖配送员", "网约车司机", "货车司机")

entries_strategy = st.lists(
    st.tuples(st.integers(1, 400), st.integers(1, 4)), max_size=80, unique_by=lambda pair: pair[0]
).map(lambda pairs: [BallotEntry(number, tier) for number, tier in pairs])


@settings(max_examples=300, deadline=None)
@given(entries=entries_strategy, seats=st.integers(0, 60), seed=st.text(min_size=1, max_size=20))
def test_allocation_never_overfills_respects_tiers_and_reruns_identically(entries, seats, seed):
    result = allocate(entries, seats, seed)
    tiers = {entry.number: entry.tier for entry in entries}

    assert len(result.confirmed) == min(seats, len(entries))  # never more than seats, no seat left idle
    assert sorted(result.order) == sorted(tiers)  # everyone placed exactly once
    assert result.order == result.confirmed + result.waitlisted
    if result.confirmed and result.waitlisted:  # nobody waits while a lower tier holds a seat
        assert max(tiers[n] for n in result.confirmed) <= min(tiers[n] for n in result.waitlisted)
    assert [tiers[n] for n in result.order] == sorted(tiers[n] for n in result.order)
    assert allocate(list(reversed(entries)), seats, seed) == result  # same seed, same draw, any input order


def test_the_draw_is_the_published_recipe():
    import random

    entries = [BallotEntry(n, 1 if n % 3 == 0 else 4) for n in range(1, 21)]
    rng = random.Random("5eed")
    expected = []
    for tier in (1, 4):
        numbers = sorted(e.number for e in entries if e.tier == tier)
        rng.shuffle(numbers)
        expected += numbers
    result = allocate(entries, 8, "5eed")
    assert list(result.order) == expected
    assert set(result.confirmed) >= {3, 6, 9, 12, 15, 18}  # all six tier-1 requests got seats


def test_different_seeds_draw_differently_inside_a_tier():
    entries = [BallotEntry(n, 1) for n in range(1, 31)]
    assert allocate(entries, 10, "a").order != allocate(entries, 10, "b").order


def test_duplicate_numbers_and_negative_seats_are_programming_errors():
    with pytest.raises(ValueError):
        allocate([BallotEntry(1, 1), BallotEntry(1, 2)], 1, "x")
    with pytest.raises(ValueError):
        allocate([], -1, "x")


def test_priority_comes_from_the_record_and_a_declaration_only_raises_it():
    recorded = categories_from_record(is_gig_worker=False, occupation="环卫工人", is_hardship_family=True,
                                      gig_occupations=GIG, sanitation_occupation="环卫工人")
    assert recorded == {PriorityCategory.SANITATION_WORKER, PriorityCategory.HARDSHIP_FAMILY}
    assert effective_category(recorded, None) == (PriorityCategory.SANITATION_WORKER, False)
    assert effective_category(recorded, PriorityCategory.DUAL_WORKING) == (PriorityCategory.SANITATION_WORKER, False)
    assert effective_category(set(), PriorityCategory.DUAL_WORKING) == (PriorityCategory.DUAL_WORKING, True)
    assert effective_category(set(), None) == (PriorityCategory.GENERAL, False)
    rider = categories_from_record(is_gig_worker=False, occupation="外卖配送员", is_hardship_family=False,
                                   gig_occupations=GIG, sanitation_occupation="环卫工人")
    assert effective_category(rider, None) == (PriorityCategory.GIG_WORKER, False)
    with pytest.raises(InvalidInput):
        effective_category(set(), PriorityCategory.HARDSHIP_FAMILY)  # only the union flags hardship


def test_age_is_counted_on_the_first_day_of_the_class():
    assert check_age(date(2014, 7, 10), date(2026, 7, 10), 6, 12) == 12
    with pytest.raises(InvalidInput, match="13岁"):
        check_age(date(2013, 7, 9), date(2026, 7, 10), 6, 12)
    with pytest.raises(InvalidInput, match="5岁"):
        check_age(date(2020, 7, 11), date(2026, 7, 10), 6, 12)


def _schedule(start, end, days="12345", hours=(8, 17)):
    return Schedule(start, end, frozenset(int(d) for d in days), time(hours[0]), time(hours[1]))


def test_classes_overlap_only_when_they_share_a_day_and_an_hour():
    july = _schedule(date(2026, 7, 6), date(2026, 7, 31))
    assert schedules_overlap(july, _schedule(date(2026, 7, 27), date(2026, 8, 14)))
    assert not schedules_overlap(july, _schedule(date(2026, 8, 3), date(2026, 8, 28)))
    assert not schedules_overlap(july, _schedule(date(2026, 7, 6), date(2026, 7, 31), days="67"))
    assert not schedules_overlap(_schedule(date(2026, 7, 6), date(2026, 7, 31), hours=(8, 12)),
                                 _schedule(date(2026, 7, 6), date(2026, 7, 31), hours=(13, 17)))
    # a one-day weekend class against a weekday class over the same dates
    assert not schedules_overlap(july, _schedule(date(2026, 7, 11), date(2026, 7, 11), days="6"))


def test_phases_follow_the_dates():
    dates = dict(opens_on=date(2026, 6, 1), closes_on=date(2026, 6, 20), starts_on=date(2026, 7, 6),
                 ends_on=date(2026, 8, 14))
    assert class_phase(date(2026, 5, 31), allocated=False, **dates) is Phase.NOT_OPEN
    assert class_phase(date(2026, 6, 20), allocated=False, **dates) is Phase.WINDOW_OPEN
    assert class_phase(date(2026, 6, 21), allocated=False, **dates) is Phase.AWAITING_DRAW
    assert class_phase(date(2026, 6, 21), allocated=True, **dates) is Phase.FIRST_COME
    assert class_phase(date(2026, 7, 6), allocated=True, **dates) is Phase.RUNNING
    assert class_phase(date(2026, 8, 15), allocated=True, **dates) is Phase.FINISHED

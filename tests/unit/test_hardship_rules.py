"""Hardship register rules: who registers at which level, review dates, the record's moves."""

from datetime import date

import pytest

from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.hardship import (
    HARDSHIP,
    HardshipAction,
    HardshipLevel,
    HardshipStatus,
    check_level,
    check_reason,
    check_review_on,
    is_active,
    levels_for,
)

TODAY = date(2026, 7, 1)


def test_a_union_registers_at_its_own_level_or_below():
    assert levels_for(None) == list(HardshipLevel)
    assert levels_for("federation") == list(HardshipLevel)
    assert levels_for("district") == [HardshipLevel.DISTRICT, HardshipLevel.GRASSROOTS]
    assert levels_for("grassroots") == [HardshipLevel.GRASSROOTS]
    assert levels_for("street") == [HardshipLevel.GRASSROOTS]
    with pytest.raises(PermissionDenied):
        check_level("city", "district")
    with pytest.raises(InvalidInput):
        check_level("province", None)
    assert check_level("district", "district") is HardshipLevel.DISTRICT


def test_the_next_review_is_after_today_and_within_a_year():
    assert check_review_on(date(2027, 7, 1), TODAY) == date(2027, 7, 1)
    for bad in (None, TODAY, date(2026, 6, 1), date(2027, 7, 3)):
        with pytest.raises(InvalidInput):
            check_review_on(bad, TODAY)


def test_a_reason_is_required_and_short():
    assert check_reason("  因病致困 ") == "因病致困"
    with pytest.raises(InvalidInput):
        check_reason(" ")
    with pytest.raises(InvalidInput):
        check_reason("困" * 201)


def test_a_removed_family_is_off_the_register_until_registered_again():
    assert is_active("registered") and is_active("reviewed") and not is_active("removed")
    assert HARDSHIP.next(HardshipStatus.REGISTERED, HardshipAction.REVIEW) is HardshipStatus.REVIEWED
    assert HARDSHIP.next(HardshipStatus.REVIEWED, HardshipAction.REMOVE) is HardshipStatus.REMOVED
    assert HARDSHIP.next(HardshipStatus.REMOVED, HardshipAction.RESTORE) is HardshipStatus.REGISTERED
    with pytest.raises(Conflict):
        HARDSHIP.next(HardshipStatus.REMOVED, HardshipAction.REVIEW)
    with pytest.raises(Conflict):
        HARDSHIP.next(HardshipStatus.REGISTERED, HardshipAction.RESTORE)

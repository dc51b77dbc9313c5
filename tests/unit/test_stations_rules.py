"""Station rules: the season decides whether a station is open, the kiosk is derived, phones are checked."""

from datetime import date

import pytest

from portal.domain.errors import InvalidInput
from portal.domain.stations import (
    SeasonState,
    StationService,
    check_season,
    normal_phone,
    season_state,
    services_offered,
    ticked_services,
)

SUMMER = (date(2026, 6, 15), date(2026, 9, 15))


@pytest.mark.parametrize(("today", "state"), [
    (date(2026, 6, 14), SeasonState.BEFORE_SEASON), (date(2026, 6, 15), SeasonState.IN_SEASON),
    (date(2026, 9, 15), SeasonState.IN_SEASON), (date(2026, 9, 16), SeasonState.AFTER_SEASON)])
def test_a_cooling_station_is_open_only_in_its_season_both_ends_included(today, state):
    assert season_state(*SUMMER, today) is state
    assert state.is_open == (state is SeasonState.IN_SEASON)


def test_a_station_without_season_is_open_all_year():
    assert season_state(None, None, date(2026, 1, 1)) is SeasonState.YEAR_ROUND
    assert SeasonState.YEAR_ROUND.is_open


@pytest.mark.parametrize(("starts", "ends", "field"), [
    (date(2026, 6, 1), None, "season_ends_on"), (None, date(2026, 6, 1), "season_starts_on"),
    (date(2026, 9, 1), date(2026, 6, 1), "season_ends_on")])
def test_a_season_needs_both_ends_in_order(starts, ends, field):
    with pytest.raises(InvalidInput) as refused:
        check_season(starts, ends)
    assert refused.value.field == field
    check_season(None, None)
    check_season(date(2026, 6, 1), date(2026, 6, 1))


def test_staff_tick_services_in_a_fixed_order_but_never_the_kiosk():
    assert ticked_services(["toilet", "water", "water"]) == [StationService.WATER, StationService.TOILET]
    with pytest.raises(InvalidInput):
        ticked_services(["kiosk"])
    with pytest.raises(InvalidInput):
        ticked_services(["sauna"])


def test_the_kiosk_is_offered_only_while_a_kiosk_is_active_there():
    assert services_offered(["rest"], has_active_kiosk=True) == [StationService.REST, StationService.KIOSK]
    assert services_offered(["rest"], has_active_kiosk=False) == [StationService.REST]


def test_a_station_phone_is_digits_spaces_and_dashes():
    assert normal_phone(" 0510-82345678 ") == "0510-82345678"
    assert normal_phone("") is None
    with pytest.raises(InvalidInput):
        normal_phone("call 110")

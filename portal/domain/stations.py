"""Service stations (户外劳动者服务站点 and their kin): kinds, what a station offers, its season.

A station is a place a union runs for outdoor workers (couriers, riders, sanitation workers);
kiosks stand in stations. The public directory shows each station's services and whether it is
open today: a 清凉驿站 opens only for the heat season, so its state is computed from its season
dates and the day asked about, never stored (a stored "open" flag would go stale on 1 October).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_


class StationKind(StrEnum):
    OUTDOOR_WORKERS = "outdoor_workers"  # 户外劳动者服务站点
    COOLING = "cooling"  # 清凉驿站 (summer heat relief)
    CARNATION = "carnation"  # 康乃馨服务站 (women workers)
    SERVICE_CENTRE = "service_centre"  # 职工服务中心

    @property
    def label(self) -> str:
        return STATION_KIND_LABELS[self]


STATION_KIND_LABELS = {
    StationKind.OUTDOOR_WORKERS: N_("户外劳动者服务站点"),
    StationKind.COOLING: N_("清凉驿站"),
    StationKind.CARNATION: N_("康乃馨服务站"),
    StationKind.SERVICE_CENTRE: N_("职工服务中心"),
}

STATION_CODE_MAX = 32


class StationService(StrEnum):
    """What a worker finds at a station. ``KIOSK`` is never ticked by staff: a station offers it
    while a kiosk registered to it is active, so the directory cannot promise a kiosk that is gone."""

    WATER = "water"
    REST = "rest"
    CHARGING = "charging"
    MICROWAVE = "microwave"
    FIRST_AID = "first_aid"
    TOILET = "toilet"
    KIOSK = "kiosk"

    @property
    def label(self) -> str:
        return STATION_SERVICE_LABELS[self]


STATION_SERVICE_LABELS = {
    StationService.WATER: N_("饮用水"),
    StationService.REST: N_("休息"),
    StationService.CHARGING: N_("充电"),
    StationService.MICROWAVE: N_("微波炉加热"),
    StationService.FIRST_AID: N_("急救药箱"),
    StationService.TOILET: N_("卫生间"),
    StationService.KIOSK: N_("自助终端"),
}

# The services staff tick on the station's form (the kiosk follows from the kiosks themselves).
TICKED_SERVICES = tuple(service for service in StationService if service is not StationService.KIOSK)


def ticked_services(values) -> list[StationService]:
    """The services staff may record, in the directory's order; unknown values and the kiosk are refused."""
    chosen = set()
    for value in values or ():
        try:
            service = StationService(value)
        except ValueError:
            raise InvalidInput(N_("请从列表中选择提供的服务。"), field="services") from None
        if service is StationService.KIOSK:
            raise InvalidInput(N_("自助终端由登记在本站点的终端自动显示，无需勾选。"), field="services")
        chosen.add(service)
    return [service for service in TICKED_SERVICES if service in chosen]


def services_offered(ticked, *, has_active_kiosk: bool) -> list[StationService]:
    """Everything the station offers, in the directory's order."""
    offered = {StationService(value) for value in ticked}
    if has_active_kiosk:
        offered.add(StationService.KIOSK)
    return [service for service in StationService if service in offered]


class SeasonState(StrEnum):
    """Whether a station is open on a given day, as far as its season goes."""

    YEAR_ROUND = "year_round"
    IN_SEASON = "in_season"
    BEFORE_SEASON = "before_season"
    AFTER_SEASON = "after_season"

    @property
    def label(self) -> str:
        return SEASON_STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in (SeasonState.YEAR_ROUND, SeasonState.IN_SEASON)


SEASON_STATE_LABELS = {
    SeasonState.YEAR_ROUND: N_("常年开放"),
    SeasonState.IN_SEASON: N_("季节开放中"),
    SeasonState.BEFORE_SEASON: N_("尚未开放"),
    SeasonState.AFTER_SEASON: N_("本季已结束"),
}


def check_season(starts_on: date | None, ends_on: date | None) -> None:
    """A season has both ends, in order, or neither (the station is open all year)."""
    if (starts_on is None) != (ends_on is None):
        raise InvalidInput(N_("季节开放请同时填写开始和结束日期；常年开放的站点两项都不填。"),
                           field="season_starts_on" if starts_on is None else "season_ends_on")
    if starts_on is not None and ends_on < starts_on:
        raise InvalidInput(N_("结束日期不能早于开始日期。"), field="season_ends_on")


def season_state(starts_on: date | None, ends_on: date | None, today: date) -> SeasonState:
    if starts_on is None or ends_on is None:
        return SeasonState.YEAR_ROUND
    if today < starts_on:
        return SeasonState.BEFORE_SEASON
    if today > ends_on:
        return SeasonState.AFTER_SEASON
    return SeasonState.IN_SEASON


# A station's public phone: a mobile or a landline with its area code and extension.
PHONE_RE = re.compile(r"^[0-9][0-9\- ]{5,18}[0-9]$")


def normal_phone(value: str | None) -> str | None:
    """The station's public contact number, or ``None``; a typo is refused rather than printed on a poster."""
    value = (value or "").strip()
    if not value:
        return None
    if not PHONE_RE.match(value):
        raise InvalidInput(N_("联系电话只能包含数字、空格和“-”，如 0510-82345678。"), field="contact_phone")
    return value

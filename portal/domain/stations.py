"""Service stations (户外劳动者服务站点 and their kin): the kinds a station can be.

A station is a place a union runs for outdoor workers (couriers, riders, sanitation workers);
kiosks stand in stations. What a station offers, its seasons and contacts come later; the kind
is what decides how it is shown and named.
"""

from __future__ import annotations

from enum import StrEnum

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

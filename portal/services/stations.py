"""Service stations: created by administrators (or from a bare code when a kiosk is registered
on the command line), completed and edited in the staff portal by administrators and by the
officers of the union that runs them, and listed to anyone in the public directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.domain import stations as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.domain.stations import STATION_CODE_MAX, SeasonState, StationKind, StationService
from portal.domain.sync import KioskStatus
from portal.extensions import db
from portal.models import Kiosk, Station, StationOffer, SyncEnvelope, Union, UnionKind
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, union_scope
from portal.services.unit_of_work import unit_of_work

STATION_NOT_FOUND = N_("找不到该服务站点。")
MAX_ID = 2**31 - 1


@dataclass
class StationInput:
    code: str
    name: str
    kind: str
    union_code: str
    address: str = ""
    opening_hours: str = ""
    district: str = ""
    season_starts_on: date | None = None
    season_ends_on: date | None = None
    contact_name: str = ""
    contact_phone: str = ""
    services: list[str] = field(default_factory=list)


def normal_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not code or len(code) > STATION_CODE_MAX or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise InvalidInput(N_("站点代码只能由字母、数字、“-”和“_”组成，最多%(max)s位。"), field="code",
                           max=STATION_CODE_MAX)
    return code


def station_by_code(code: str) -> Station | None:
    return db.session.scalar(select(Station).where(Station.code == code.strip().upper()))


def federation() -> Union:
    union = db.session.scalar(select(Union).where(Union.kind == UnionKind.FEDERATION).order_by(Union.id).limit(1))
    if union is None:
        raise InvalidInput(N_("系统中还没有市总工会，请先建立工会组织。"))
    return union


@unit_of_work
def ensure_station(actor, code: str) -> Station:
    """The station with ``code``; an unknown code creates a station under the federation, marked
    to be completed (name, union, address) in the staff portal."""
    code = normal_code(code)
    station = station_by_code(code)
    if station is not None:
        return station
    station = Station(code=code, name=code, kind=StationKind.OUTDOOR_WORKERS, union=federation(),
                      needs_completion=True)
    db.session.add(station)
    db.session.flush()
    audit.record(actor, "station.create", "station", station.id, code=code, from_code=True)
    return station


def _checked(actor, data: StationInput) -> tuple[dict, list[StationService]]:
    name = (data.name or "").strip()
    if not name:
        raise InvalidInput(N_("请填写站点名称。"), field="name")
    try:
        kind = StationKind(data.kind)
    except ValueError:
        raise InvalidInput(N_("请选择站点类型。"), field="kind") from None
    union = db.session.scalar(select(Union).where(Union.code == (data.union_code or "").strip().upper()))
    if union is None:
        raise InvalidInput(N_("找不到该工会代码。"), field="union_code")
    # An officer may hand a station to a union below its own, never to one outside its scope.
    require_union_in_scope(actor, union)
    rules.check_season(data.season_starts_on, data.season_ends_on)
    services = rules.ticked_services(data.services)
    values = {"name": name[:120], "kind": kind, "union": union,
              "district": (data.district or "").strip()[:40] or union.district,
              "address": (data.address or "").strip()[:200] or None,
              "opening_hours": (data.opening_hours or "").strip()[:120] or None,
              "season_starts_on": data.season_starts_on, "season_ends_on": data.season_ends_on,
              "contact_name": (data.contact_name or "").strip()[:40] or None,
              "contact_phone": rules.normal_phone(data.contact_phone)}
    return values, services


def _set_services(station: Station, services: list[StationService]) -> None:
    wanted = {service.value for service in services}
    station.offers = [offer for offer in station.offers if offer.service in wanted]
    have = {offer.service for offer in station.offers}
    station.offers.extend(StationOffer(service=value) for value in wanted - have)


@unit_of_work
def create_station(actor, data: StationInput) -> Station:
    require_role(actor, Role.ADMIN)
    code = normal_code(data.code)
    if station_by_code(code) is not None:
        raise Conflict(N_("站点代码 %(station_code)s 已被使用。"), field="code", code="station_code_taken",
                       station_code=code)
    values, services = _checked(actor, data)
    station = Station(code=code, **values, needs_completion=False)
    _set_services(station, services)
    db.session.add(station)
    db.session.flush()
    audit.record(actor, "station.create", "station", station.id, code=code)
    return station


def station_for_staff(actor, station_id: int) -> Station:
    """A station the actor may edit: administrators any, union officers their union's subtree."""
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    station = db.session.get(Station, station_id) if 0 < station_id <= MAX_ID else None
    if station is None:
        raise NotFound(STATION_NOT_FOUND)
    require_union_in_scope(actor, station.union)
    return station


@unit_of_work
def update_station(actor, station_id: int, data: StationInput) -> Station:
    """Edit (or complete) a station; its code stays what kiosks were registered with."""
    station = station_for_staff(actor, station_id)
    values, services = _checked(actor, data)
    for name, value in values.items():
        setattr(station, name, value)
    _set_services(station, services)
    station.needs_completion = False
    audit.record(actor, "station.update", "station", station.id)
    return station


def stations_in_scope(actor) -> list[Station]:
    # Each line names its union: loaded with the stations, not one query per line.
    stmt = union_scope(select(Station).options(joinedload(Station.union)).order_by(Station.code), actor,
                       Station.union_id)
    return list(db.session.scalars(stmt))


def kiosk_submission(kiosk_id: str, envelope_id: str) -> SyncEnvelope | None:
    """What the central side holds for one kiosk submission, for the phone page its receipt's QR
    code opens (by the kiosk's id and its own envelope id: two UUIDs, not guessable); None while
    the kiosk has not sent it yet."""
    from portal.domain.sync import normal_envelope_id

    kiosk_key, envelope_key = normal_envelope_id(kiosk_id), normal_envelope_id(envelope_id)
    if kiosk_key is None or envelope_key is None:
        return None
    return db.session.scalar(select(SyncEnvelope).where(SyncEnvelope.kiosk_id == kiosk_key,
                                                        SyncEnvelope.envelope_id == envelope_key))


# ---------------------------------------------------------------- the public directory

@dataclass
class DirectoryFilters:
    district: str = ""
    service: str = ""
    kind: str = ""
    open_only: bool = False


@dataclass(frozen=True)
class StationCard:
    """A station as the public sees it: what it offers (the kiosk included) and whether it is open today."""

    station: Station
    services: list[StationService]
    season: SeasonState


def _active_kiosk(station_id_column):
    return exists().where(Kiosk.station_id == station_id_column, Kiosk.status == KioskStatus.ACTIVE)


def _cards(stations: list[Station], today: date) -> list[StationCard]:
    ids = [station.id for station in stations]
    active = select(Kiosk.station_id).where(Kiosk.station_id.in_(ids), Kiosk.status == KioskStatus.ACTIVE)
    with_kiosk = set(db.session.scalars(active)) if ids else set()
    return [StationCard(station, rules.services_offered(station.ticked_services,
                                                        has_active_kiosk=station.id in with_kiosk),
                        station.season_state(today)) for station in stations]


def directory(filters: DirectoryFilters, *, today: date | None = None) -> list[StationCard]:
    """Every completed station matching the filters, stations open today first, then by district and name.

    An unknown district, service or kind matches nothing rather than everything: a shared link with
    a typo shows an empty list and its filter, not a misleading full one.
    """
    today = today or clock.today()
    stmt = select(Station).where(Station.needs_completion.is_(False)).options(selectinload(Station.offers))
    if filters.district:
        stmt = stmt.where(Station.district == filters.district)
    if filters.kind:
        stmt = stmt.where(Station.kind == filters.kind)
    if filters.service == StationService.KIOSK:
        stmt = stmt.where(_active_kiosk(Station.id))
    elif filters.service:
        stmt = stmt.where(exists().where(StationOffer.station_id == Station.id,
                                         StationOffer.service == filters.service))
    stations = list(db.session.scalars(stmt.order_by(Station.district, Station.name, Station.id)))
    cards = _cards(stations, today)
    if filters.open_only:
        cards = [card for card in cards if card.season.is_open]
    return sorted(cards, key=lambda card: not card.season.is_open)


def directory_districts() -> list[str]:
    stmt = (select(Station.district).where(Station.needs_completion.is_(False), Station.district.is_not(None))
            .group_by(Station.district).order_by(Station.district))
    return list(db.session.scalars(stmt))


def public_station(station_id: int, *, today: date | None = None) -> StationCard:
    """One station for anyone; one still to be completed is not shown."""
    station = db.session.get(Station, station_id) if 0 < station_id <= MAX_ID else None
    if station is None or station.needs_completion:
        raise NotFound(STATION_NOT_FOUND)
    return _cards([station], today or clock.today())[0]


"""Service stations: created by administrators (or from a bare code when a kiosk is registered
on the command line), completed and edited in the staff portal, seen by their union's officers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.domain.stations import STATION_CODE_MAX, StationKind
from portal.extensions import db
from portal.models import Station, SyncEnvelope, Union, UnionKind
from portal.services import audit
from portal.services.access import require_role, union_scope
from portal.services.unit_of_work import unit_of_work

STATION_NOT_FOUND = N_("找不到该服务站点。")


@dataclass
class StationInput:
    code: str
    name: str
    kind: str
    union_code: str
    address: str = ""
    opening_hours: str = ""


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


def _checked(data: StationInput) -> dict:
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
    return {"name": name[:120], "kind": kind, "union": union,
            "address": (data.address or "").strip()[:200] or None,
            "opening_hours": (data.opening_hours or "").strip()[:120] or None}


@unit_of_work
def create_station(actor, data: StationInput) -> Station:
    require_role(actor, Role.ADMIN)
    code = normal_code(data.code)
    if station_by_code(code) is not None:
        raise Conflict(N_("站点代码 %(station_code)s 已被使用。"), field="code", code="station_code_taken",
                       station_code=code)
    station = Station(code=code, **_checked(data), needs_completion=False)
    db.session.add(station)
    db.session.flush()
    audit.record(actor, "station.create", "station", station.id, code=code)
    return station


@unit_of_work
def update_station(actor, station_id: int, data: StationInput) -> Station:
    """Edit (or complete) a station; its code stays what kiosks were registered with."""
    require_role(actor, Role.ADMIN)
    station = db.session.get(Station, station_id) if 0 < station_id < 2**31 else None
    if station is None:
        raise NotFound(STATION_NOT_FOUND)
    for name, value in _checked(data).items():
        setattr(station, name, value)
    station.needs_completion = False
    audit.record(actor, "station.update", "station", station.id)
    return station


def stations_in_scope(actor) -> list[Station]:
    stmt = union_scope(select(Station).order_by(Station.code), actor, Station.union_id)
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

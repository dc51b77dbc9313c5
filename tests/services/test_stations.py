"""Station services: who edits which station, and what the public directory lists."""

from datetime import date

import pytest

from portal.domain.errors import InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.domain.stations import SeasonState, StationService
from portal.extensions import db
from portal.models import AuditEvent, Station, UnionKind
from portal.services import stations
from tests.factories import create_kiosk, create_staff, create_station, create_union

JULY = date(2026, 7, 1)


@pytest.fixture
def tree():
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    liangxi = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    binhu = create_union("BH", "滨湖区总工会", parent=federation, kind=UnionKind.DISTRICT)
    return federation, liangxi, binhu


def _input(station: Station, **changes) -> stations.StationInput:
    values = dict(code=station.code, name=station.name, kind=station.kind, union_code=station.union.code,
                  district=station.district or "", address=station.address or "", services=["water"])
    values.update(changes)
    return stations.StationInput(**values)


def test_an_officer_edits_its_own_unions_station_only(tree):
    _, liangxi, binhu = tree
    officer = create_staff("lx", Role.UNION_OFFICER, union=liangxi)
    own, other = create_station(liangxi), create_station(binhu)
    stations.update_station(officer, own.id, _input(own, name="南禅寺清凉驿站", services=["water", "charging"],
                                                    contact_phone="0510-82345678"))
    db.session.expire_all()
    own = db.session.get(Station, own.id)
    assert own.name == "南禅寺清凉驿站" and own.ticked_services == ["charging", "water"]
    assert db.session.query(AuditEvent).filter_by(action="station.update").count() == 1
    with pytest.raises(PermissionDenied):
        stations.update_station(officer, other.id, _input(other, name="别人的"))
    with pytest.raises(PermissionDenied):  # nor hand its own station to another district
        stations.update_station(officer, own.id, _input(own, union_code="BH"))
    with pytest.raises(PermissionDenied):
        stations.create_station(officer, stations.StationInput(code="NEW", name="新站", kind="cooling",
                                                               union_code="LX"))


def test_an_administrator_creates_a_station_and_its_district_defaults_to_the_unions(tree):
    _, liangxi, _ = tree
    liangxi.district = "梁溪区"
    db.session.commit()
    admin = create_staff("admin1")
    station = stations.create_station(admin, stations.StationInput(
        code="lx-01", name="清名桥驿站", kind="cooling", union_code="LX", services=["rest", "microwave"],
        season_starts_on=date(2026, 6, 15), season_ends_on=date(2026, 9, 15)))
    assert station.code == "LX-01" and station.district == "梁溪区"
    assert station.season_state(JULY) is SeasonState.IN_SEASON
    with pytest.raises(InvalidInput) as refused:
        stations.create_station(admin, stations.StationInput(code="LX-02", name="x", kind="cooling", union_code="LX",
                                                             services=["kiosk"]))
    assert refused.value.field == "services"


def test_the_directory_filters_by_district_service_and_kind(tree):
    _, liangxi, binhu = tree
    a = create_station(liangxi, district="梁溪区", services=("water", "charging"))
    b = create_station(binhu, district="滨湖区", services=("water",), kind="cooling")
    create_station(binhu, district="滨湖区", services=("rest",), needs_completion=True)  # not public yet

    def names(**filters):
        return {card.station.id for card in stations.directory(stations.DirectoryFilters(**filters), today=JULY)}

    assert names() == {a.id, b.id}
    assert names(district="滨湖区") == {b.id}
    assert names(service="charging") == {a.id}
    assert names(service="water", kind="cooling") == {b.id}
    assert names(district="不存在区") == set() and names(service="sauna") == set()
    assert sorted(stations.directory_districts()) == sorted(["梁溪区", "滨湖区"])


def test_the_kiosk_service_follows_the_active_kiosks(tree):
    _, liangxi, _ = tree
    with_kiosk, revoked, without = create_station(liangxi), create_station(liangxi), create_station(liangxi)
    create_kiosk(with_kiosk)
    create_kiosk(revoked, status="revoked")
    found = stations.directory(stations.DirectoryFilters(service="kiosk"), today=JULY)
    assert [card.station.id for card in found] == [with_kiosk.id]
    assert StationService.KIOSK in found[0].services
    assert StationService.KIOSK not in stations.public_station(without.id, today=JULY).services


def test_stations_open_today_come_first_and_can_be_the_only_ones(tree):
    _, liangxi, _ = tree
    closed = create_station(liangxi, name="甲驿站", kind="cooling", season_starts_on=date(2026, 6, 15),
                            season_ends_on=date(2026, 9, 15))
    always = create_station(liangxi, name="乙驿站")
    winter = date(2026, 12, 1)
    order = [card.station.id for card in stations.directory(stations.DirectoryFilters(), today=winter)]
    assert order == [always.id, closed.id]
    only_open = stations.directory(stations.DirectoryFilters(open_only=True), today=winter)
    assert [card.station.id for card in only_open] == [always.id]


def test_a_station_still_to_be_completed_is_not_public(tree):
    federation, _, _ = tree
    station = stations.ensure_station(None, "S9")
    with pytest.raises(NotFound):
        stations.public_station(station.id)
    with pytest.raises(NotFound):
        stations.public_station(2**40)

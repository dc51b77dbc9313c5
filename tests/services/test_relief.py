"""Heat relief: seasons by level, confirmation once a year per family, payout files, packs."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, CoolingPackHandout, HeatSubsidy, UnionKind
from portal.services import relief
from tests.factories import create_hardship_family, create_member, create_staff, create_station, create_union

TODAY = date(2026, 7, 1)


@pytest.fixture
def city():
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    liangxi = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    binhu = create_union("BH", "滨湖区总工会", parent=federation, kind=UnionKind.DISTRICT)
    lx01 = create_union("LX01", "梁溪快递工会", parent=liangxi)
    bh01 = create_union("BH01", "滨湖环卫工会", parent=binhu)
    return {"WX": federation, "LX": liangxi, "BH": binhu, "LX01": lx01, "BH01": bh01}


def season_input(levels=("city",), amount="200", **changes):
    values = dict(name="2026年夏季送清凉", starts_on=date(2026, 6, 15), ends_on=date(2026, 9, 15), amount_yuan=amount,
                  levels=list(levels))
    values.update(changes)
    return relief.SeasonInput(**values)


def family(union, level="city", status="registered"):
    return create_hardship_family(create_member(union=union), level=level, status=status)


def test_the_city_and_districts_declare_seasons_at_their_own_level(city):
    admin = create_staff("admin1")
    season = relief.declare_season(admin, season_input())
    assert (season.paying_level, season.paying_union.code, season.amount_fen, season.year) == \
        ("city", "WX", 20000, 2026)
    district = create_staff("lx", Role.UNION_OFFICER, union=city["LX"])
    own = relief.declare_season(district, season_input(levels=["district"], amount="150.50"))
    assert own.paying_level == "district" and own.paying_union.code == "LX" and own.amount_fen == 15050
    with pytest.raises(PermissionDenied):  # a district does not pay for the city's register
        relief.declare_season(district, season_input(levels=["city"]))
    with pytest.raises(PermissionDenied):
        relief.declare_season(create_staff("g", Role.UNION_OFFICER, union=city["LX01"]), season_input())
    with pytest.raises(InvalidInput):
        relief.declare_season(admin, season_input(ends_on=date(2027, 1, 5)))
    with pytest.raises(InvalidInput) as refused:
        relief.declare_season(admin, season_input(amount="0"))
    assert refused.value.field == "amount"
    assert db.session.query(AuditEvent).filter_by(action="relief.season_declare").count() == 2


def test_a_season_lists_the_covered_families_in_the_officers_scope(city):
    admin = create_staff("admin1")
    season = relief.declare_season(admin, season_input(levels=["city"]))
    mine, theirs = family(city["LX01"]), family(city["BH01"])
    family(city["LX01"], level="district")  # not covered
    family(city["LX01"], status="removed")  # off the register
    assert {row.family.id for row in relief.season_view(admin, season.id).rows} == {mine.id, theirs.id}
    officer = create_staff("lx01", Role.UNION_OFFICER, union=city["LX01"])
    view = relief.season_view(officer, season.id)
    assert [row.family.id for row in view.rows] == [mine.id] and view.total == 1
    with pytest.raises(PermissionDenied):
        relief.confirm_families(officer, season.id, [theirs.id], today=TODAY)


def test_a_family_is_paid_once_a_year_whichever_level_pays(city):
    admin = create_staff("admin1")
    city_season = relief.declare_season(admin, season_input(levels=["city", "district"]))
    district = create_staff("lx", Role.UNION_OFFICER, union=city["LX"])
    district_season = relief.declare_season(district, season_input(name="梁溪区送清凉", levels=["district"],
                                                                   amount="300"))
    shared = family(city["LX01"], level="district")
    relief.confirm_families(district, district_season.id, [shared.id], today=TODAY)
    with pytest.raises(Conflict) as refused:
        relief.confirm_families(admin, city_season.id, [shared.id], today=TODAY)
    assert refused.value.code == "heat_subsidy_paid" and "区级" in refused.value.message
    with pytest.raises(Conflict):  # nor twice by the same season
        relief.confirm_families(district, district_season.id, [shared.id], today=TODAY)
    assert db.session.query(HeatSubsidy).count() == 1
    view = relief.season_view(admin, city_season.id)
    assert view.paid_elsewhere == 1 and view.confirmed == 0
    assert view.rows[0].subsidy.paying_level == "district" and not view.rows[0].paid_here
    # Next year's season pays the family again.
    next_year = relief.declare_season(admin, season_input(levels=["district"], starts_on=date(2027, 6, 15),
                                                          ends_on=date(2027, 9, 15)))
    assert len(relief.confirm_families(admin, next_year.id, [shared.id], today=TODAY)) == 1


def test_the_database_refuses_a_second_subsidy_in_a_year(city):
    admin = create_staff("admin1")
    first = relief.declare_season(admin, season_input(levels=["city"]))
    second = relief.declare_season(admin, season_input(name="补发", levels=["city"]))
    shared = family(city["LX01"])
    for season in (first, second):
        db.session.add(HeatSubsidy(season=season, family=shared, year=2026, paying_level="city",
                                   union_id=shared.union_id, amount_fen=20000, confirmed_by_label="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_confirmation_is_all_or_nothing_and_stops_when_the_season_closes(city):
    admin = create_staff("admin1")
    season = relief.declare_season(admin, season_input(levels=["city"]))
    a, b = family(city["LX01"]), family(city["BH01"])
    relief.confirm_families(admin, season.id, [a.id], today=TODAY)
    with pytest.raises(Conflict):
        relief.confirm_families(admin, season.id, [b.id, a.id], today=TODAY)
    assert db.session.query(HeatSubsidy).count() == 1  # b was not paid either: confirm the list again
    with pytest.raises(InvalidInput):
        relief.confirm_families(admin, season.id, [], today=TODAY)
    district = create_staff("lx", Role.UNION_OFFICER, union=city["LX"])
    with pytest.raises(PermissionDenied):
        relief.close_season(district, season.id)
    relief.close_season(admin, season.id)
    with pytest.raises(InvalidInput):
        relief.confirm_families(admin, season.id, [b.id], today=TODAY)


def test_the_payout_file_masks_id_numbers_for_officers(city):
    admin = create_staff("admin1")
    season = relief.declare_season(admin, season_input(levels=["city"]))
    mine, theirs = family(city["LX01"]), family(city["BH01"])
    relief.confirm_families(admin, season.id, [mine.id, theirs.id], today=TODAY)

    def sheet(actor):
        rows = list(load_workbook(io.BytesIO(relief.payout_file(actor, season.id))).active.iter_rows(values_only=True))
        return rows[0], rows[1:]

    headers, rows = sheet(admin)
    assert headers[:3] == ("序号", "姓名", "身份证号") and len(rows) == 2
    assert rows[0][2] == mine.member.id_number and rows[0][5] == "200.00"
    officer = create_staff("lx01", Role.UNION_OFFICER, union=city["LX01"])
    _, rows = sheet(officer)
    assert len(rows) == 1 and rows[0][2] == mine.member.masked_id_number and "*" in rows[0][2]
    exports = db.session.query(AuditEvent).filter_by(action="relief.payout_export").order_by(AuditEvent.id).all()
    assert [event.details["full_id_numbers"] for event in exports] == [True, False]


def test_packs_are_recorded_per_family_or_per_station_in_scope(city):
    admin = create_staff("admin1")
    season = relief.declare_season(admin, season_input(levels=["city"]))
    officer = create_staff("lx01", Role.UNION_OFFICER, union=city["LX01"])
    station, elsewhere = create_station(city["LX01"]), create_station(city["BH01"])
    mine = family(city["LX01"])
    relief.record_packs(officer, season.id, station_id=station.id, count=120, handed_on=TODAY, today=TODAY)
    relief.record_packs(officer, season.id, family_id=mine.id, count=2, handed_on=TODAY, today=TODAY)
    view = relief.season_view(officer, season.id)
    assert (view.packs_at_stations, view.packs_to_families) == (120, 2)
    with pytest.raises(PermissionDenied):
        relief.record_packs(officer, season.id, station_id=elsewhere.id, count=5, handed_on=TODAY, today=TODAY)
    with pytest.raises(InvalidInput):
        relief.record_packs(officer, season.id, station_id=station.id, family_id=mine.id, count=5, handed_on=TODAY,
                            today=TODAY)
    with pytest.raises(InvalidInput):
        relief.record_packs(officer, season.id, station_id=station.id, count=0, handed_on=TODAY, today=TODAY)
    db.session.add(CoolingPackHandout(season=season, union_id=station.union_id, count=1, handed_on=TODAY,
                                      recorded_by_label="x"))  # neither a family nor a station
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_an_officer_does_not_see_another_districts_season(city):
    binhu = create_staff("bh", Role.UNION_OFFICER, union=city["BH"])
    season = relief.declare_season(binhu, season_input(levels=["district"]))
    liangxi = create_staff("lx", Role.UNION_OFFICER, union=city["LX"])
    assert relief.seasons_for_staff(liangxi) == []
    with pytest.raises(NotFound):
        relief.season_view(liangxi, season.id)
    assert [s.id for s in relief.seasons_for_staff(create_staff("bh01", Role.UNION_OFFICER, union=city["BH01"]))] \
        == [season.id]

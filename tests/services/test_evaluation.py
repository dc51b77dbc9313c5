"""A 康乃馨 evaluation round from panels to published results: who fills which sheet, no unit on
its own station, reproducible panels, all sheets before publishing, the export."""

import io

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models import Station
from portal.models.evaluation import EvaluationEntry, EvaluationSheet
from portal.services import evaluation
from tests.factories import create_staff, create_union

CRITERIA = "阵地建设|20\n管理制度|30\n服务成效|50"


@pytest.fixture
def district():
    district = create_union("HS", "惠山区总工会")
    units = [create_union(f"HS{n:02d}", f"惠山单位{n}工会", district) for n in range(1, 7)]
    stations = []
    for number, union in enumerate(units, start=1):
        station = Station(code=f"KNX{number:02d}", name=f"康乃馨服务站{number}", kind="carnation", union=union)
        db.session.add(station)
        stations.append(station)
    db.session.commit()
    return district, units, stations


def _round(district, stations, organiser, **kw):
    return evaluation.create_round(organiser, year=2023, title="2023年度康乃馨服务站质效评价", panel_size=2,
                                   criteria=CRITERIA, station_ids=[s.id for s in stations], **kw)


def test_a_round_runs_from_panels_to_published_results(district):
    hs, units, stations = district
    organiser = create_staff("hs", Role.UNION_OFFICER, hs)
    round_ = _round(hs, stations, organiser)
    evaluation.draw_panels(organiser, round_.id, seed="2023-knx")
    sheets = db.session.scalars(select(EvaluationSheet).where(EvaluationSheet.round_id == round_.id)).all()
    assert len(sheets) == 6 * 2  # six stations, each by the two units of the panel before it
    assert all(s.evaluator_id != s.target_id for s in sheets)
    assert evaluation.verify_panels(organiser, round_.id).matches

    officers = {u.id: create_staff(f"u{u.id}", Role.UNION_OFFICER, u) for u in units}
    criteria = round_.criteria
    with pytest.raises(Conflict) as refused:
        evaluation.publish_results(organiser, round_.id)
    assert refused.value.code == "sheets_pending"
    with pytest.raises(PermissionDenied):  # the organiser above does not score for a unit
        evaluation.submit_sheet(organiser, sheets[0].id, {c.id: 90 for c in criteria})
    for index, sheet in enumerate(sheets):
        officer = officers[sheet.evaluator.union_id]
        assert sheet in evaluation.my_sheets(officer)
        wrong = next(o for uid, o in officers.items() if uid != sheet.evaluator.union_id)
        with pytest.raises(PermissionDenied):
            evaluation.submit_sheet(wrong, sheet.id, {c.id: 90 for c in criteria})
        evaluation.submit_sheet(officer, sheet.id, {c.id: 80 + index % 3 * 5 for c in criteria}, "场地整洁")
    evaluation.publish_results(organiser, round_.id)
    entries = db.session.scalars(select(EvaluationEntry).where(EvaluationEntry.round_id == round_.id)).all()
    assert all(entry.total is not None for entry in entries)
    with pytest.raises(Conflict):
        evaluation.submit_sheet(officers[sheets[0].evaluator.union_id], sheets[0].id, {c.id: 10 for c in criteria})
    # each station's officers read their own published result, not the others'
    own = evaluation.my_results(officers[units[0].id])
    assert [e.union_id for e in own] == [units[0].id]
    result = evaluation.result_for_station(officers[units[0].id], own[0].id)
    assert result.entry.total == own[0].total and set(result.by_criterion) == {c.id for c in criteria}
    with pytest.raises(PermissionDenied):  # another unit does not read this station's result
        evaluation.result_for_station(officers[units[1].id], own[0].id)
    headers, rows = evaluation.export_results(organiser, round_.id)
    assert headers[:2] == ["排名", "服务站"] and len(rows) == 6
    book = CalamineWorkbook.from_filelike(io.BytesIO(write_xlsx(headers, rows, sheet="评价结果")))
    assert book.get_sheet_by_index(0).to_python()[0][-1] == "等级"


def test_the_same_seed_draws_the_same_panels_in_another_round(district):
    hs, _, stations = district
    organiser = create_staff("hs", Role.UNION_OFFICER, hs)
    first = evaluation.draw_panels(organiser, _round(hs, stations, organiser).id, seed="abc")
    panels = [[n, [e for e in m], [e for e in t]] for n, m, t in first.panels]
    by_station = {e.id: e.station_id for e in first.entries}
    second = evaluation.draw_panels(organiser, _round(hs, stations, organiser).id, seed="abc")
    by_station_2 = {e.id: e.station_id for e in second.entries}
    as_stations = [[n, sorted(by_station[e] for e in m)] for n, m, _ in panels]
    assert as_stations == [[n, sorted(by_station_2[e] for e in m)] for n, m, _ in second.panels]


def test_a_round_needs_enough_units_one_station_per_union_and_carnation_stations(district):
    hs, units, stations = district
    organiser = create_staff("hs", Role.UNION_OFFICER, hs)
    with pytest.raises(InvalidInput) as refused:
        _round(hs, stations[:3], organiser)
    assert refused.value.code == "too_few_units"
    twin = Station(code="KNX99", name="第二个站", kind="carnation", union=units[0])
    db.session.add(twin)
    db.session.commit()
    with pytest.raises(InvalidInput):
        _round(hs, [*stations, twin], organiser)
    with pytest.raises(PermissionDenied):  # another district's officer
        _round(hs, stations, create_staff("bh", Role.UNION_OFFICER, create_union("BH", "滨湖区总工会")))


def test_the_database_refuses_a_sheet_of_a_unit_on_its_own_station(district):
    hs, _, stations = district
    organiser = create_staff("hs", Role.UNION_OFFICER, hs)
    round_ = evaluation.draw_panels(organiser, _round(hs, stations, organiser).id, seed="s")
    sheet = db.session.scalars(select(EvaluationSheet).where(EvaluationSheet.round_id == round_.id)).first()
    with pytest.raises(IntegrityError):
        db.session.execute(update(EvaluationSheet).where(EvaluationSheet.id == sheet.id)
                           .values(target_id=sheet.evaluator_id))
    db.session.rollback()


def test_station_plans_are_kept_by_the_stations_union(district):
    hs, units, stations = district
    evaluation.add_plan_item(create_staff("u1", Role.UNION_OFFICER, units[0]), stations[0].id, kind="rule",
                             title="女职工休息室管理制度")
    with pytest.raises(PermissionDenied):
        evaluation.add_plan_item(create_staff("u2", Role.UNION_OFFICER, units[1]), stations[0].id, kind="service",
                                 title="每月一次健康讲座")
    assert [i.title for i in evaluation.plan_items(stations[0].id)] == ["女职工休息室管理制度"]


def test_photos_go_through_the_safe_upload_path(district):
    from tests.factories import jpeg_bytes

    hs, units, stations = district
    organiser = create_staff("hs", Role.UNION_OFFICER, hs)
    round_ = evaluation.draw_panels(organiser, _round(hs, stations, organiser).id, seed="s")
    sheet = db.session.scalars(select(EvaluationSheet).where(EvaluationSheet.round_id == round_.id)).first()
    officer = create_staff("unit", Role.UNION_OFFICER, sheet.evaluator.union)
    photo = evaluation.upload_photo(officer, sheet.id, filename="现场.jpg", data=jpeg_bytes(with_gps=True))
    again = evaluation.upload_photo(officer, sheet.id, filename="again.jpg", data=jpeg_bytes(with_gps=True))
    assert again.id == photo.id  # the same file twice is one photo
    _, path = evaluation.open_photo(organiser, photo.id)
    assert path.read_bytes()[:2] == b"\xff\xd8" and b"GPS" not in path.read_bytes()
    with pytest.raises(InvalidInput):
        evaluation.upload_photo(officer, sheet.id, filename="x.exe", data=b"MZ not a picture")
    with pytest.raises(PermissionDenied):
        evaluation.open_photo(create_staff("other", Role.UNION_OFFICER, create_union("BH", "滨湖区总工会")), photo.id)

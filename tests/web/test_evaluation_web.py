"""The evaluation pages per role: the organiser draws the panels and publishes, a unit's officer
fills its sheets (never its own station), results and the .xlsx export; others are kept out."""

import io

from python_calamine import CalamineWorkbook
from sqlalchemy import select

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Station
from portal.models.evaluation import EvaluationEntry, EvaluationRound, EvaluationSheet
from portal.services import evaluation
from tests.conftest import Auth, post_form
from tests.factories import create_member, create_staff, create_union


def _client(app, username):
    client = app.test_client()
    Auth(client).staff(username)
    return client


def test_a_round_from_the_form_to_the_export(app):
    hs = create_union("HS", "惠山区总工会")
    units = [create_union(f"HS{n:02d}", f"单位{n}工会", hs) for n in range(1, 5)]
    for n, union in enumerate(units, start=1):
        db.session.add(Station(code=f"KNX{n:02d}", name=f"康乃馨站{n}", kind="carnation", union=union))
    db.session.commit()
    create_staff("hs", Role.UNION_OFFICER, hs)
    for union in units:
        create_staff(f"u{union.code}", Role.UNION_OFFICER, union)
    organiser = _client(app, "hs")
    stations = db.session.scalars(select(Station.id)).all()
    page = post_form(organiser, "/evaluation/rounds/new", {
        "year": "2023", "title": "2023年度评价", "panel_size": "2", "criteria": "阵地建设|40\n服务成效|60",
        "stations": [str(s) for s in stations]}, follow_redirects=True)
    assert "2023年度评价" in page.get_data(as_text=True)
    round_id = db.session.scalar(select(EvaluationRound.id))
    page = post_form(organiser, f"/evaluation/rounds/{round_id}/draw", {"seed": "公开种子"},
                     form_page=f"/evaluation/rounds/{round_id}", follow_redirects=True).get_data(as_text=True)
    assert "公开种子" in page and "第1组" in page
    assert "结果与记录一致" in organiser.get(f"/evaluation/rounds/{round_id}/check",
                                         follow_redirects=True).get_data(as_text=True)

    sheets = db.session.scalars(select(EvaluationSheet)).all()
    assert len(sheets) == 8
    criteria = evaluation.round_for_staff(create_staff(role=Role.ADMIN), round_id).criteria
    for sheet in sheets:
        client = _client(app, f"u{sheet.evaluator.union.code}")
        assert f"/evaluation/sheets/{sheet.id}" in client.get("/evaluation/").get_data(as_text=True)
        other = next(s for s in sheets if s.evaluator_id != sheet.evaluator_id)
        assert client.get(f"/evaluation/sheets/{other.id}").status_code == 403
        post_form(client, f"/evaluation/sheets/{sheet.id}", {f"score-{c.id}": "88" for c in criteria} | {"note": "好"})
    assert organiser.get(f"/evaluation/rounds/{round_id}/export.xlsx").status_code == 302  # not published yet
    post_form(organiser, f"/evaluation/rounds/{round_id}/publish", {}, form_page=f"/evaluation/rounds/{round_id}")
    page = organiser.get(f"/evaluation/rounds/{round_id}").get_data(as_text=True)
    assert "88.0" in page and "良好" in page
    unit = _client(app, f"u{units[0].code}")
    home = unit.get("/evaluation/").get_data(as_text=True)
    entry_id = db.session.scalar(select(EvaluationEntry.id).where(EvaluationEntry.union_id == units[0].id))
    assert f"/evaluation/results/{entry_id}" in home
    result = unit.get(f"/evaluation/results/{entry_id}").get_data(as_text=True)
    assert "88.0" in result and "好" in result  # the score and the panel's notes
    assert unit.get(f"/evaluation/results/{entry_id + 1}").status_code == 403
    export = organiser.get(f"/evaluation/rounds/{round_id}/export.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.data)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "排名" and len(rows) == 5


def test_members_reviewers_and_other_districts_are_kept_out(app):
    hs = create_union("HS", "惠山区总工会")
    create_staff("bh", Role.UNION_OFFICER, create_union("BH", "滨湖区总工会"))
    create_staff("rev", Role.REVIEWER)
    units = [create_union(f"HS{n:02d}", f"单位{n}工会", hs) for n in range(1, 5)]
    for n, union in enumerate(units, start=1):
        db.session.add(Station(code=f"KNX{n:02d}", name=f"康乃馨站{n}", kind="carnation", union=union))
    db.session.commit()
    organiser = create_staff("hs", Role.UNION_OFFICER, hs)
    round_ = evaluation.create_round(organiser, year=2023, title="评价", panel_size=2, criteria="a|1",
                                     station_ids=db.session.scalars(select(Station.id)).all())
    assert _client(app, "rev").get("/evaluation/").status_code == 403
    assert _client(app, "bh").get(f"/evaluation/rounds/{round_.id}").status_code == 403
    member = app.test_client()
    Auth(member).member(create_member(union=hs))
    assert member.get("/evaluation/").status_code == 403

"""Heat relief and the hardship register through HTTP: officers confirm, download, record packs."""

import io
from datetime import date

from openpyxl import load_workbook

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import HeatSubsidy, UnionKind
from portal.services import relief
from tests.conftest import post_form
from tests.factories import create_hardship_family, create_member, create_staff, create_station, create_union


def _setup():
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    district = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    union = create_union("LX01", "梁溪快递工会", parent=district)
    admin = create_staff("admin1")
    season = relief.declare_season(admin, relief.SeasonInput(
        name="2026年夏季送清凉", starts_on=date(2026, 6, 15), ends_on=date(2026, 9, 15), amount_yuan="200",
        levels=["city"]))
    families = [create_hardship_family(create_member(union=union, name=name), level="city")
                for name in ("王建国", "李秀英")]
    create_staff("lx01", Role.UNION_OFFICER, union=union)
    return season, families, union


def test_an_officer_confirms_its_families_and_downloads_a_masked_payout_file(client, auth):
    season, families, _ = _setup()
    auth.staff("lx01")
    page = client.get(f"/relief/seasons/{season.id}").get_data(as_text=True)
    assert "王*国" in page and "王建国" not in page and "待确认" in page  # masked in the list
    post_form(client, f"/relief/seasons/{season.id}/confirm", {"family_ids": [str(families[0].id)]},
              form_page=f"/relief/seasons/{season.id}")
    assert db.session.query(HeatSubsidy).count() == 1
    page = client.get(f"/relief/seasons/{season.id}").get_data(as_text=True)
    assert "1 户，合计 200.00" in page
    again = post_form(client, f"/relief/seasons/{season.id}/confirm", {"family_ids": [str(families[0].id)]},
                      form_page=f"/relief/seasons/{season.id}", follow_redirects=True)
    assert "同一年度不能重复发放" in again.get_data(as_text=True)
    download = client.get(f"/relief/seasons/{season.id}/payout.xlsx")
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    assert download.status_code == 200 and len(rows) == 2 and "*" in rows[1][2]


def test_packs_are_recorded_at_a_station_and_a_bad_count_is_explained(client, auth):
    season, _, union = _setup()
    station = create_station(union, name="南禅寺驿站")
    auth.staff("lx01")
    form = {"target": "station", "station_id": str(station.id), "count": "0", "handed_on": "2026-07-01"}
    refused = post_form(client, f"/relief/seasons/{season.id}/packs", form, form_page=f"/relief/seasons/{season.id}")
    assert refused.status_code == 422
    post_form(client, f"/relief/seasons/{season.id}/packs", {**form, "count": "80"},
              form_page=f"/relief/seasons/{season.id}")
    page = client.get(f"/relief/seasons/{season.id}").get_data(as_text=True)
    assert "站点 80 份" in page and "南禅寺驿站" in page


def test_the_register_pages_show_history_and_mask_the_list(client, auth):
    _, families, _ = _setup()
    auth.staff("lx01")
    listing = client.get("/hardship/").get_data(as_text=True)
    assert "李*英" in listing and "李秀英" not in listing
    assert client.get("/hardship/", headers={"HX-Request": "true"}).get_data(as_text=True).lstrip() \
        .startswith('<section id="register"')
    record = client.get(f"/hardship/{families[1].id}").get_data(as_text=True)
    assert "李秀英" in record and "建档" in record and "历史记录" in record
    # a grassroots officer cannot review a city-level record: no form, and a forged post is refused
    assert "复核通过" not in record and "由上级工会复核或退出" in record
    answer = post_form(client, f"/hardship/{families[1].id}/review", {"level": "grassroots", "review_on": "2027-01-05"},
                       form_page="/hardship/")
    assert answer.status_code == 422 and "不能办理市级建档" in answer.get_data(as_text=True)
    db.session.refresh(families[1])
    assert families[1].status == "registered"

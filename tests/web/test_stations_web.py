"""The public station directory, a station's page and its QR poster, and staff editing, through HTTP."""

from datetime import date

import segno  # noqa: F401 - the poster's QR comes from segno; a missing install fails here first

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Station, UnionKind
from tests.conftest import post_form
from tests.factories import create_kiosk, create_staff, create_station, create_union


def _stations():
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    liangxi = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    binhu = create_union("BH", "滨湖区总工会", parent=federation, kind=UnionKind.DISTRICT)
    a = create_station(liangxi, name="南禅寺驿站", district="梁溪区", services=("water", "charging"),
                       contact_phone="0510-82345678")
    b = create_station(binhu, name="蠡湖清凉驿站", district="滨湖区", kind="cooling", services=("water",),
                       season_starts_on=date(2000, 1, 1), season_ends_on=date(2999, 12, 31))
    create_kiosk(b)
    return liangxi, binhu, a, b


def test_anyone_finds_stations_without_signing_in_and_filters_by_address(client):
    _stations()
    page = client.get("/stations/").get_data(as_text=True)
    assert "南禅寺驿站" in page and "蠡湖清凉驿站" in page and 'hx-push-url="true"' in page
    assert "tel:0510-82345678" in page
    filtered = client.get("/stations/?district=滨湖区").get_data(as_text=True)
    assert "蠡湖清凉驿站" in filtered and "南禅寺驿站" not in filtered
    charging = client.get("/stations/?service=charging").get_data(as_text=True)
    assert "南禅寺驿站" in charging and "蠡湖清凉驿站" not in charging
    with_kiosk = client.get("/stations/?service=kiosk").get_data(as_text=True)
    assert "蠡湖清凉驿站" in with_kiosk and "南禅寺驿站" not in with_kiosk


def test_htmx_gets_only_the_list(client):
    _stations()
    answer = client.get("/stations/?district=梁溪区", headers={"HX-Request": "true"})
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="station-list"') and "<html" not in body
    assert "南禅寺驿站" in body and "蠡湖清凉驿站" not in body
    assert "HX-Request" in answer.headers.get("Vary", "")


def test_a_station_page_and_its_poster_with_a_qr_code_of_that_page(client):
    _, _, a, b = _stations()
    page = client.get(f"/stations/{b.id}").get_data(as_text=True)
    assert "蠡湖清凉驿站" in page and "季节开放中" in page and "自助终端" in page
    poster = client.get(f"/stations/{a.id}/poster")
    body = poster.get_data(as_text=True)
    assert poster.status_code == 200 and "<svg" in body and "data-print" in body
    assert f"http://localhost/stations/{a.id}" in body  # the QR's address, printed under it too
    assert client.get("/stations/999999/poster").status_code == 404


def test_an_officer_edits_its_stations_services_but_not_another_unions(client, auth):
    liangxi, _, a, b = _stations()
    create_staff("lx", Role.UNION_OFFICER, union=liangxi)
    auth.staff("lx")
    manage = client.get("/stations/manage").get_data(as_text=True)
    assert "南禅寺驿站" in manage and "蠡湖清凉驿站" not in manage and "添加站点" not in manage
    form = {"code": a.code, "name": "南禅寺驿站", "kind": "outdoor_workers", "union_code": "LX", "district": "梁溪区",
            "services": ["water", "microwave"], "contact_phone": "值班室"}
    refused = post_form(client, f"/stations/{a.id}/edit", form)
    body = refused.get_data(as_text=True)
    assert "联系电话只能包含数字" in body and 'value="南禅寺驿站"' in body
    post_form(client, f"/stations/{a.id}/edit", {**form, "contact_phone": "0510-82340000"})
    db.session.expire_all()
    station = db.session.get(Station, a.id)
    assert station.ticked_services == ["microwave", "water"] and station.contact_phone == "0510-82340000"
    assert client.get(f"/stations/{b.id}/edit").status_code == 404


def test_an_administrator_adds_a_station_and_a_bad_form_loses_nothing(client, auth):
    _stations()
    create_staff("admin1")
    auth.staff("admin1")
    form = {"code": "LX-09", "name": "清名桥驿站", "kind": "cooling", "union_code": "LX", "services": ["water"],
            "season_starts_on": "2026-09-01", "season_ends_on": "2026-06-01", "address": "清名桥"}
    refused = post_form(client, "/stations/manage", form)
    assert refused.status_code == 422 and "结束日期不能早于开始日期" in refused.get_data(as_text=True)
    assert 'value="清名桥"' in refused.get_data(as_text=True)
    post_form(client, "/stations/manage", {**form, "season_starts_on": "2026-06-01", "season_ends_on": "2026-09-01"})
    assert db.session.query(Station).filter_by(code="LX-09").one().season_ends_on == date(2026, 9, 1)

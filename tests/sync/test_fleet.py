"""The fleet page: administrators see every kiosk, a union officer only its stations' kiosks; an
administrator enrols, rotates and revokes; staff see and close rejected submissions."""

import re

from sqlalchemy import select

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Kiosk, SyncEnvelope
from tests.conftest import post_form
from tests.factories import create_staff, create_union
from tests.sync.conftest import KioskClient, enrolment_envelope, new_private_key, public_pem, register, sign


def test_an_officer_sees_only_the_kiosks_of_its_own_stations(client, auth, federation):
    from portal.services.stations import StationInput, create_station

    admin = create_staff("admin1")
    ours = create_union("LX", parent=federation)
    theirs = create_union("BH", parent=federation)
    create_station(admin, StationInput("S-LX", "清名桥驿站", "cooling", "LX"))
    create_station(admin, StationInput("S-BH", "滨湖站", "outdoor_workers", "BH"))
    register("S-LX", "梁溪一号机")
    register("S-BH", "滨湖一号机")
    create_staff("officer_lx", Role.UNION_OFFICER, union=ours)
    del theirs
    auth.staff("officer_lx")
    page = client.get("/stations/kiosks").get_data(as_text=True)
    assert "梁溪一号机" in page and "滨湖一号机" not in page
    auth.logout()
    auth.staff("admin1")
    page = client.get("/stations/kiosks").get_data(as_text=True)
    assert "梁溪一号机" in page and "滨湖一号机" in page


def test_an_officer_cannot_open_another_unions_kiosk(client, auth, federation):
    ours = create_union("LX", parent=federation)
    kiosk, _ = register("S-FED", "市级一号机")  # a station of the federation, above the officer's union
    create_staff("officer_lx", Role.UNION_OFFICER, union=ours)
    auth.staff("officer_lx")
    assert client.get(f"/stations/kiosks/{kiosk.id}").status_code == 403


def test_a_token_from_the_portal_enrols_a_kiosk_that_then_syncs(client, auth, federation):
    from portal.services.stations import StationInput, create_station

    admin = create_staff("admin1")
    station = create_station(admin, StationInput("S1", "清名桥驿站", "cooling", "FED"))
    auth.staff("admin1")
    page = post_form(client, "/stations/kiosks/new", {"station_id": station.id, "name": "一号机"},
                     form_page="/stations/kiosks").get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    assert "kiosk enroll --central" in page
    key = new_private_key()
    enrolment = sign("enrolment", key, "POST", "/enrolment", json={"token": token, "public_key": public_pem(key)})
    response = client.open(enrolment.url, method="POST", headers=enrolment.headers, data=enrolment.body)
    assert response.status_code == 201, response.get_data(as_text=True)
    kiosk_id = response.get_json()["kiosk_id"]
    assert db.session.get(Kiosk, kiosk_id).status == "active"
    assert KioskClient(client, kiosk_id, key).post("/session", json={}).status_code == 200
    # The token is used up.
    again = sign("enrolment", key, "POST", "/enrolment",
                 json={"token": token, "public_key": public_pem(new_private_key())})
    assert client.open(again.url, method="POST", headers=again.headers, data=again.body).status_code == 401


def test_an_enrolment_must_be_signed_by_the_key_it_brings(client, auth, federation):
    from portal.services.stations import StationInput, create_station
    from portal.services.sync.kiosks import issue_enrolment_token

    admin = create_staff("admin1")
    station = create_station(admin, StationInput("S1", "清名桥驿站", "cooling", "FED"))
    _, token = issue_enrolment_token(admin, station_id=station.id, name="一号机")
    claimed, signer = new_private_key(), new_private_key()
    enrolment = sign("enrolment", signer, "POST", "/enrolment",
                     json={"token": token, "public_key": public_pem(claimed)})
    response = client.open(enrolment.url, method="POST", headers=enrolment.headers, data=enrolment.body)
    assert response.status_code == 401 and response.get_json()["code"] == "signature_invalid"


def test_staff_see_a_rejection_with_its_reason_and_close_it_deleting_the_payload(client, auth, federation,
                                                                                recording_handler):
    create_staff("admin1")
    kiosk, key = register("S1", "一号机")
    kiosk_id = kiosk.id
    bad = enrolment_envelope("坏人")
    KioskClient(client, kiosk_id, key).push(bad)
    auth.staff("admin1")
    page = client.get(f"/stations/kiosks/{kiosk_id}").get_data(as_text=True)
    assert "测试规则拒绝了坏人。" in page and "320213199001010012" in page
    fleet = client.get("/stations/kiosks").get_data(as_text=True)
    assert 'class="attention"' in fleet
    row = db.session.scalar(select(SyncEnvelope).where(SyncEnvelope.envelope_id == bad["id"]))
    post_form(client, f"/stations/rejections/{row.id}/handled", {}, form_page=f"/stations/kiosks/{kiosk_id}")
    db.session.expire_all()
    row = db.session.get(SyncEnvelope, row.id)
    assert row.payload is None and row.handled_at is not None and row.code == "test_refused"


def test_an_administrator_revokes_a_kiosk_from_its_page(client, auth, federation):
    create_staff("admin1")
    kiosk, key = register("S1", "一号机")
    kiosk_id = kiosk.id
    auth.staff("admin1")
    post_form(client, f"/stations/kiosks/{kiosk_id}/revoke", {}, form_page=f"/stations/kiosks/{kiosk_id}")
    assert KioskClient(client, kiosk_id, key).post("/session", json={}).status_code == 403


def test_an_administrator_adds_a_key_and_both_are_valid(client, auth, federation):
    create_staff("admin1")
    kiosk, key = register("S1", "一号机")
    kiosk_id = kiosk.id
    new_key = new_private_key()
    auth.staff("admin1")
    post_form(client, f"/stations/kiosks/{kiosk_id}/keys", {"public_key": public_pem(new_key)},
              form_page=f"/stations/kiosks/{kiosk_id}")
    assert KioskClient(client, kiosk_id, new_key).post("/session", json={}).status_code == 200
    assert KioskClient(client, kiosk_id, key).post("/session", json={}).status_code == 200


def test_a_station_made_from_a_bare_code_is_completed_in_the_portal(client, auth, federation, runner, tmp_path):
    from portal.models import Station

    create_union("LX", parent=federation)
    create_staff("admin1")
    key_file = tmp_path / "k.pub"
    key_file.write_text(public_pem(new_private_key()))
    runner.invoke(args=["kiosk", "register", "--station", "S9", "--name", "x", "--public-key", str(key_file)])
    station = db.session.scalar(select(Station).where(Station.code == "S9"))
    auth.staff("admin1")
    assert "待补全" in client.get("/stations/manage").get_data(as_text=True)
    post_form(client, f"/stations/{station.id}/edit", {"code": "S9", "name": "南禅寺驿站", "kind": "cooling",
                                                      "union_code": "LX", "address": "南禅寺", "opening_hours": "7-21"})
    db.session.expire_all()
    station = db.session.get(Station, station.id)
    assert station.name == "南禅寺驿站" and station.union.code == "LX" and not station.needs_completion


def test_the_fleet_page_is_closed_to_other_roles(client, auth, federation):
    create_staff("reviewer1", Role.REVIEWER)
    auth.staff("reviewer1")
    assert client.get("/stations/kiosks").status_code == 403

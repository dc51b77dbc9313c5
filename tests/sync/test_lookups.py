"""Live look-ups: the same 202 for members and strangers, a code only to the registered mobile,
masked answers, 5 minutes, 5 wrong codes, and a per-kiosk rate limit."""

import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import SmsMessage, SyncLookup
from portal.services.sms import delivered_text
from tests.factories import create_enrollment, create_member

CODE_RE = re.compile(r"验证码为(\d{6})")


def texted_code(member) -> str:
    db.session.rollback()
    message = db.session.scalar(select(SmsMessage).where(SmsMessage.member_id == member.id,
                                                         SmsMessage.kind == "kiosk_lookup_code"))
    return CODE_RE.search(delivered_text(message)).group(1)


def test_a_member_sees_masked_cover_after_the_texted_code(kiosk_client, federation):
    member = create_member(name="虞建国", union=federation)
    create_enrollment(member)
    started = kiosk_client.post("/lookups", json={"id_number": member.id_number, "mobile": member.mobile})
    assert started.status_code == 202
    lookup_id = started.get_json()["lookup_id"]
    wrong = kiosk_client.post(f"/lookups/{lookup_id}/verify", json={"code": "000000"})
    assert wrong.status_code == 422 and wrong.get_json()["attempts_left"] == 4
    answer = kiosk_client.post(f"/lookups/{lookup_id}/verify", json={"code": texted_code(member)})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["member"]["name"] == "虞*国" and member.id_number not in str(body)
    assert body["covers"][0]["status"] == "active" and body["covers"][0]["plan_code"]
    again = kiosk_client.post(f"/lookups/{lookup_id}/verify", json={"code": texted_code(member)})
    assert again.status_code == 410 and again.get_json()["code"] == "lookup_expired"


def test_a_stranger_gets_the_same_answer_and_no_text(kiosk_client, federation):
    member = create_member(union=federation)
    started = kiosk_client.post("/lookups", json={"id_number": member.id_number, "mobile": "13900000000"})
    assert started.status_code == 202 and set(started.get_json()) == {"lookup_id", "expires_at"}
    assert db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "kiosk_lookup_code")) is None
    lookup_id = started.get_json()["lookup_id"]
    for _ in range(5):
        assert kiosk_client.post(f"/lookups/{lookup_id}/verify", json={"code": "123456"}).status_code == 422
    assert kiosk_client.post(f"/lookups/{lookup_id}/verify", json={"code": "123456"}).status_code == 410


def test_a_lookup_expires_after_five_minutes(kiosk_client, federation):
    member = create_member(union=federation)
    lookup_id = kiosk_client.post("/lookups", json={"id_number": member.id_number, "mobile": member.mobile}) \
        .get_json()["lookup_id"]
    lookup = db.session.get(SyncLookup, lookup_id)
    lookup.expires_at -= timedelta(minutes=5)
    db.session.commit()
    response = kiosk_client.post(f"/lookups/{lookup_id}/verify", json={"code": texted_code(member)})
    assert response.status_code == 410


def test_a_malformed_id_number_is_refused_openly(kiosk_client, federation):
    response = kiosk_client.post("/lookups", json={"id_number": "123", "mobile": "13861800001"})
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_input"


def test_a_nul_in_a_lookup_is_a_bad_request_not_a_server_error(kiosk_client, federation):
    response = kiosk_client.post("/lookups", json={"id_number": "32021319880520001\u00002", "mobile": "13861800001"})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"


def test_lookups_are_rate_limited_per_kiosk(client, kiosk_client, federation):
    from tests.sync.conftest import KioskClient, register

    member = create_member(union=federation)
    statuses = [kiosk_client.post("/lookups", json={"id_number": member.id_number, "mobile": member.mobile})
                for _ in range(11)]
    assert [r.status_code for r in statuses[:10]] == [202] * 10
    assert statuses[10].status_code == 429 and statuses[10].get_json()["code"] == "rate_limited"
    assert int(statuses[10].headers["Retry-After"]) > 0
    other, key = register("ST02", "二号机")
    assert KioskClient(client, other.id, key).post(
        "/lookups", json={"id_number": member.id_number, "mobile": member.mobile}).status_code == 202


def test_another_kiosk_cannot_verify_a_lookup(client, kiosk_client, federation):
    from tests.sync.conftest import KioskClient, register

    member = create_member(union=federation)
    lookup_id = kiosk_client.post("/lookups", json={"id_number": member.id_number, "mobile": member.mobile}) \
        .get_json()["lookup_id"]
    other, key = register("ST02", "二号机")
    response = KioskClient(client, other.id, key).post(f"/lookups/{lookup_id}/verify",
                                                       json={"code": texted_code(member)})
    assert response.status_code == 404

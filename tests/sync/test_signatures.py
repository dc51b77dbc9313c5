"""Only a registered kiosk's fresh, untampered, never-seen signed requests get through."""

import time

from portal.extensions import db
from portal.models import Kiosk
from tests.sync.conftest import KioskClient, new_private_key, public_pem, register, sign


def test_a_signed_session_answers_the_kiosks_own_id_and_the_limits(kiosk_client):
    response = kiosk_client.post("/session", json={"backlog": 3, "software_version": "kiosk 1.0"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["kiosk_id"] == kiosk_client.kiosk_id
    assert set(body["limits"]) >= {"max_envelopes", "max_body_bytes", "max_blob_bytes"}
    kiosk = db.session.get(Kiosk, kiosk_client.kiosk_id)
    assert kiosk.reported_backlog == 3 and kiosk.last_contact_at is not None


def test_an_unsigned_request_is_refused_with_the_server_time(client, kiosk_client):
    response = client.post("/api/sync/v1/session", json={})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "signature_missing"
    assert response.get_json()["server_time"].endswith("Z")


def test_a_replayed_request_is_refused(kiosk_client):
    signed = kiosk_client.sign("POST", "/session", json={})
    assert kiosk_client.send(signed).status_code == 200
    again = kiosk_client.send(signed)
    assert again.status_code == 401
    assert again.get_json()["code"] == "nonce_replayed"


def test_a_tampered_body_does_not_match_its_digest(kiosk_client):
    signed = kiosk_client.sign("POST", "/envelopes", json={"envelopes": []})
    signed.body = b'{"envelopes": [{"id": "x"}]}'
    response = kiosk_client.send(signed)
    assert response.status_code == 401
    assert response.get_json()["code"] == "digest_mismatch"


def test_a_tampered_digest_or_path_breaks_the_signature(kiosk_client):
    signed = kiosk_client.sign("POST", "/envelopes", json={"envelopes": []})
    signed.url = signed.url.replace("/envelopes", "/session")
    assert kiosk_client.send(signed).get_json()["code"] == "signature_invalid"
    other = kiosk_client.sign("POST", "/session", json={})
    other.headers["Content-Digest"] = "sha-256=:" + "A" * 43 + "=:"
    assert kiosk_client.send(other).get_json()["code"] == "signature_invalid"


def test_a_signature_by_another_key_is_refused(client, kiosk_client):
    impostor = KioskClient(client, kiosk_client.kiosk_id, new_private_key())
    response = impostor.post("/session", json={})
    assert response.status_code == 401 and response.get_json()["code"] == "signature_invalid"


def test_an_unknown_kiosk_id_is_refused(client, kiosk_client):
    stranger = KioskClient(client, "6f1c7f55-1111-4222-8333-444455556666", new_private_key())
    response = stranger.post("/session", json={})
    assert response.status_code == 401 and response.get_json()["code"] == "kiosk_unknown"


def test_a_kiosk_whose_clock_is_a_day_off_is_told_the_server_time(kiosk_client):
    response = kiosk_client.post("/session", json={}, created=time.time() - 86400)
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == "clock_skew"
    assert "server_time" in body
    kiosk = db.session.get(Kiosk, kiosk_client.kiosk_id)
    assert -86400 - 5 < kiosk.clock_skew_seconds < -86400 + 5  # shown to staff on the fleet page


def test_a_clock_within_the_window_is_accepted(kiosk_client):
    assert kiosk_client.post("/session", json={}, created=time.time() + 200).status_code == 200


def test_a_revoked_kiosk_gets_403(kiosk_client):
    from portal.services.sync.kiosks import revoke_kiosk

    revoke_kiosk(None, kiosk_client.kiosk_id)
    response = kiosk_client.post("/session", json={})
    assert response.status_code == 403
    assert response.get_json()["code"] == "kiosk_revoked"


def test_a_get_without_body_needs_no_digest_but_still_a_signature(kiosk_client):
    assert kiosk_client.get("/changes?limit=5").status_code == 200


def test_both_keys_work_during_a_rotation_and_only_the_new_one_after(client, kiosk_client):
    from datetime import timedelta

    from portal.models.base import utcnow
    from portal.services.sync.kiosks import rotate_key

    new_key = new_private_key()
    rotate_key(None, kiosk_client.kiosk_id, public_pem(new_key))
    rotated = KioskClient(client, kiosk_client.kiosk_id, new_key)
    assert rotated.post("/session", json={}).status_code == 200
    assert kiosk_client.post("/session", json={}).status_code == 200  # still inside the overlap
    kiosk = db.session.get(Kiosk, kiosk_client.kiosk_id)
    for key in kiosk.keys:
        if key.valid_until is not None:
            key.valid_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert kiosk_client.post("/session", json={}).get_json()["code"] == "signature_invalid"
    assert rotated.post("/session", json={}).status_code == 200


def test_the_kiosk_rotates_its_own_key_by_signing_with_the_current_one(client, kiosk_client):
    new_key = new_private_key()
    response = kiosk_client.post("/keys", json={"public_key": public_pem(new_key)})
    assert response.status_code == 201
    assert KioskClient(client, kiosk_client.kiosk_id, new_key).post("/session", json={}).status_code == 200


def test_a_signature_for_another_host_is_refused(kiosk_client):
    signed = sign(kiosk_client.kiosk_id, kiosk_client.key, "POST", "/session", json={}, base="http://evil.example")
    signed.url = signed.url.replace("evil.example", "localhost")
    assert kiosk_client.send(signed).get_json()["code"] == "signature_invalid"


def test_register_on_the_command_line_prints_the_kiosk_id_and_creates_the_station(runner, federation, tmp_path):
    import json

    from portal.models import Station

    key_file = tmp_path / "kiosk.pub"
    key_file.write_text(public_pem(new_private_key()))
    result = runner.invoke(args=["kiosk", "register", "--station", "lx-007", "--name", "清名桥驿站",
                                 "--public-key", str(key_file), "--json"])
    assert result.exit_code == 0, result.output
    kiosk_id = json.loads(result.output)["kiosk_id"]
    kiosk = db.session.get(Kiosk, kiosk_id)
    assert kiosk.status == "active" and kiosk.station.code == "LX-007"
    station = db.session.query(Station).filter_by(code="LX-007").one()
    assert station.needs_completion and station.union.code == "FED"


def test_register_refuses_a_key_that_is_not_ed25519(runner, federation, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key_file = tmp_path / "kiosk.pub"
    key_file.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    result = runner.invoke(args=["kiosk", "register", "--station", "S1", "--name", "x",
                                 "--public-key", str(key_file), "--json"])
    assert result.exit_code == 2 and "Ed25519" in result.output


def test_a_second_kiosk_cannot_sign_as_the_first(client, kiosk_client):
    other, other_key = register(station_code="ST02", name="二号机")
    response = KioskClient(client, kiosk_client.kiosk_id, other_key).post("/session", json={})
    assert response.get_json()["code"] == "signature_invalid"

"""Attachments are stored by the hash of what the kiosk sent, checked by content, cleaned of EXIF,
idempotent, and an upload cut off halfway leaves nothing but can be sent again."""

import hashlib
import io
import socket
from pathlib import Path

import requests
from PIL import Image

from portal.extensions import db
from portal.models import SyncBlob
from tests.sync.conftest import API, effects, enrolment_envelope, sign, signature_auth


def jpeg_with_exif(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "KioskCam"  # Make
    exif[0x0110] = "GPS-carrying model"  # Model
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_photo_is_stored_once_without_its_exif(app, kiosk_client):
    photo = jpeg_with_exif()
    name = digest(photo)
    assert kiosk_client.head(f"/blobs/{name}").status_code == 404
    first = kiosk_client.put(f"/blobs/{name}", data=photo, headers={"Content-Type": "image/jpeg"})
    assert first.status_code == 201
    assert kiosk_client.head(f"/blobs/{name}").status_code == 200
    again = kiosk_client.put(f"/blobs/{name}", data=photo, headers={"Content-Type": "image/jpeg"})
    assert again.status_code == 200
    blob = db.session.get(SyncBlob, name)
    stored = (Path(app.config["UPLOAD_FOLDER"]) / blob.stored_name).read_bytes()
    assert b"KioskCam" in photo and b"KioskCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (64, 48) and not image.getexif()


def test_bytes_that_do_not_hash_to_the_name_are_refused(kiosk_client):
    photo = jpeg_with_exif()
    response = kiosk_client.put(f"/blobs/{digest(b'something else')}", data=photo)
    assert response.status_code == 422 and response.get_json()["code"] == "hash_mismatch"


def test_a_file_that_is_not_jpeg_png_or_pdf_by_content_is_refused(kiosk_client):
    text = b"MZ\x90\x00 pretending to be a photo"
    response = kiosk_client.put(f"/blobs/{digest(text)}", data=text, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 415 and response.get_json()["code"] == "unsupported_media_type"


def test_a_truncated_jpeg_is_unreadable(kiosk_client):
    broken = jpeg_with_exif()[:200]
    response = kiosk_client.put(f"/blobs/{digest(broken)}", data=broken)
    assert response.status_code == 422 and response.get_json()["code"] == "blob_unreadable"


def test_a_blob_over_the_limit_is_refused_before_it_is_read(app, kiosk_client, monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_MAX_BLOB_BYTES", 1000)
    photo = jpeg_with_exif(size=(400, 400))
    assert len(photo) > 1000
    response = kiosk_client.put(f"/blobs/{digest(photo)}", data=photo)
    assert response.status_code == 413 and response.get_json()["code"] == "blob_too_large"


def test_an_envelope_waits_for_its_attachments_then_is_applied(kiosk_client, recording_handler):
    photo = jpeg_with_exif()
    attachment = {"sha256": digest(photo), "name": "出院小结.jpg", "content_type": "image/jpeg",
                  "size": len(photo), "role": "discharge_summary"}
    envelope = enrolment_envelope(attachments=[attachment])
    [waiting] = kiosk_client.push(envelope).get_json()["results"]
    assert waiting["status"] == "pending_attachments" and waiting["code"] == "attachments_missing"
    assert effects() == 0
    kiosk_client.put(f"/blobs/{attachment['sha256']}", data=photo)
    [applied] = kiosk_client.push(envelope).get_json()["results"]
    assert applied["status"] == "applied"


def test_an_upload_cut_off_halfway_stores_nothing_and_can_be_sent_again(app, kiosk_and_key, central_server):
    kiosk_id, key = kiosk_and_key
    photo = jpeg_with_exif(size=(300, 300))
    name = digest(photo)
    url = f"/blobs/{name}"
    signed = sign(kiosk_id, key, "PUT", url, data=photo, headers={"Content-Type": "image/jpeg"},
                  base=central_server.url)
    head = [f"PUT {API}{url} HTTP/1.1", f"Host: 127.0.0.1:{central_server.port}"]
    head += [f"{name_}: {value}" for name_, value in signed.headers.items() if name_.lower() != "host"]
    with socket.create_connection(("127.0.0.1", central_server.port)) as connection:
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + photo[: len(photo) // 2])
    session = requests.Session()
    session.auth = signature_auth(kiosk_id, key)
    assert session.head(central_server.url + API + url, timeout=10).status_code == 404
    resumed = session.put(central_server.url + API + url, data=photo, headers={"Content-Type": "image/jpeg"},
                          timeout=10)
    assert resumed.status_code == 201
    assert session.head(central_server.url + API + url, timeout=10).status_code == 200
    leftovers = list(Path(app.config["UPLOAD_FOLDER"]).rglob(".part-*"))
    assert leftovers == []


def test_a_pdf_with_a_script_or_an_image_over_the_pixel_budget_is_refused(kiosk_client):
    from tests.untrusted_files import pdf, png_bomb

    scripted = pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    response = kiosk_client.put(f"/blobs/{digest(scripted)}", data=scripted,
                                headers={"Content-Type": "application/pdf"})
    assert response.status_code == 415 and response.get_json()["code"] == "unsupported_media_type"
    bomb = png_bomb(9400)
    response = kiosk_client.put(f"/blobs/{digest(bomb)}", data=bomb, headers={"Content-Type": "image/png"})
    assert response.status_code == 413 and response.get_json()["code"] == "blob_too_large"
    assert db.session.query(SyncBlob).count() == 0

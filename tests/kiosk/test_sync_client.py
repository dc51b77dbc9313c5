"""The sync client against the real central app (gunicorn on loopback) and against what a
station's network may put in its way: a captive Wi-Fi page, an upload cut halfway, a wrong clock."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import select

from kiosk import outbox
from kiosk.domain import Backoff, OutboxState, spaced_receipt_number
from kiosk.models import Blob, Envelope, Reference
from kiosk.outbox import Upload
from kiosk.sync import SyncClient, SyncError, Unreachable, run_forever
from portal import clock
from portal.extensions import db
from portal.models import Claim, Kiosk
from tests.factories import (
    create_enrollment,
    create_enterprise,
    create_member,
    create_plan,
    create_position,
    create_union,
)
from tests.kiosk.conftest import PIN, CuttingProxy, big_photo, claim_payload, client_for, enrol


def covered():
    """A member with a year's cover that started 300 days ago, so the claim is applied centrally."""
    member = create_member(union=create_union(), name="虞建国")
    create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=300), is_renewal=True)
    return member


def queue_claim(store, photo: bytes, member=None):
    identity = (member.name, member.id_number, member.mobile) if member else ("虞建国", "320213198805200012",
                                                                               "13861800001")
    payload = claim_payload(*identity)
    payload["event"]["admission_date"] = (clock.today() - timedelta(days=20)).isoformat()
    payload["event"]["discharge_date"] = (clock.today() - timedelta(days=15)).isoformat()
    return outbox.submit(store, "claim.submit", payload, [("姓名", "虞*国")],
                         uploads=[Upload(photo, "image/jpeg", "discharge_summary", "出院小结.jpg")])


def envelope_of(store, receipt) -> Envelope:
    with store.read() as session:
        return session.get(Envelope, receipt.envelope_id)



def staff_page(kiosk_app) -> str:
    """The station staff page, signed in with the PIN."""
    web = kiosk_app.test_client()
    token = web.get("/staff").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    web.post("/staff", data={"csrf_token": token, "pin": PIN})
    return web.get("/staff/submissions").get_data(as_text=True)


# --- back-off ---------------------------------------------------------------------------------

def test_backoff_grows_with_full_jitter_up_to_five_minutes():
    backoff = Backoff(base=2, cap=300, rng=random.Random(7))
    ceilings, delays = [], []
    for _ in range(15):
        ceilings.append(backoff.ceiling())
        delays.append(backoff.next_delay())
    assert ceilings[:9] == [2, 4, 8, 16, 32, 64, 128, 256, 300] and set(ceilings[8:]) == {300}
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert len({round(delay, 3) for delay in delays}) == len(delays)  # jittered, not a fixed schedule
    assert Backoff(base=2, cap=300, failures=3).next_delay(retry_after=120) >= 120
    assert Backoff(base=2, cap=300).next_delay(retry_after=10_000) == 300
    backoff.reset()
    assert backoff.ceiling() == 2


def test_the_loop_never_gives_up():
    failures = [SyncError("offline", code="network")] * 30 + [RuntimeError("a bug")] * 5
    rounds, sleeps = [], []

    class Client:
        def round(self):
            rounds.append(1)
            if failures:
                raise failures.pop(0)
            return "ok"

    run_forever(Client, interval=30, backoff=Backoff(base=2, cap=300, rng=random.Random(1)), sleep=sleeps.append,
                should_stop=lambda: len(rounds) >= 40)
    assert len(rounds) == 40 and len(sleeps) == 40
    assert all(0 <= delay <= 300 for delay in sleeps[:35]) and sleeps[35:] == [30] * 5
    assert max(sleeps[:35]) > 100  # it did back off


# --- a captive Wi-Fi page ---------------------------------------------------------------------

class _Captive(BaseHTTPRequestHandler):
    body = b"<html><body>Welcome to Station Wi-Fi. Please log in.</body></html>"
    content_type = "text/html"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.body)

    do_GET = do_POST = do_PUT = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def captive():
    servers = []

    def start(body: bytes, content_type: str) -> str:
        handler = type("Handler", (_Captive,), {"body": body, "content_type": content_type})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("body, content_type", [
    (_Captive.body, "text/html"),
    (json.dumps({"kiosk_id": "00000000-0000-0000-0000-000000000000", "server_time": "2026-12-02T00:00:00Z",
                 "limits": {"max_envelopes": 100, "max_body_bytes": 1, "max_blob_bytes": 1}}).encode(),
     "application/json"),
], ids=["html-page", "another-kiosks-json"])
def test_a_captive_portal_answering_200_is_not_a_sync(kiosk_app, kiosk_store, captive, body, content_type):
    url = captive(body, content_type)
    from tests.kiosk.conftest import private_pem
    from tests.sync.conftest import new_private_key

    key_file = kiosk_app.config["KEY_FILE"]
    with open(key_file, "wb") as handle:
        handle.write(private_pem(new_private_key()))
    kiosk_store.put("central_url", url)
    kiosk_store.put("kiosk_id", "7b0ad0a5-6b7a-4ad1-9d8e-3f4f2c4a1111")
    receipt = queue_claim(kiosk_store, big_photo())
    with pytest.raises(Unreachable) as refused:
        client_for(kiosk_app).round()
    assert refused.value.code == "untrusted"
    assert kiosk_store.get("last_sync_at") is None and "无线网络" in kiosk_store.get("last_error")
    envelope = envelope_of(kiosk_store, receipt)
    assert envelope.state == OutboxState.QUEUED and envelope.payload is not None and envelope.attempts == 0
    with kiosk_store.read() as session:
        assert session.scalar(select(Blob.uploaded_at)) is None


# --- against the central app ------------------------------------------------------------------

def test_a_round_uploads_pushes_and_pulls(kiosk_app, kiosk_store, federation, central_server):
    enrol(kiosk_app, central_server.url)
    enterprise = create_enterprise()
    create_position(enterprise, starts_on=date(2027, 7, 15), ends_on=date(2027, 8, 15), apply_by=date(2027, 7, 1))
    photo = big_photo()
    member = covered()
    receipt = queue_claim(kiosk_store, photo, member)
    impostor = type("Person", (), {"name": "王五", "id_number": member.id_number, "mobile": member.mobile})
    refused = queue_claim(kiosk_store, big_photo(seed=3), impostor)  # the name does not match the record
    report = client_for(kiosk_app).round()
    assert report.pushed == 2 and report.blobs_uploaded == 2 and report.changes >= 1
    assert report.answered == {"applied": 1, "rejected": 1}
    envelope = envelope_of(kiosk_store, receipt)
    db.session.rollback()
    claim = db.session.scalar(select(Claim))
    assert envelope.state == OutboxState.APPLIED and envelope.central_receipt == claim.reference
    assert envelope.payload is None and claim.reference in envelope.message
    rejected = envelope_of(kiosk_store, refused)
    assert rejected.state == OutboxState.REJECTED and rejected.message and rejected.payload is None
    staff = staff_page(kiosk_app)
    assert rejected.message in staff and spaced_receipt_number(refused.number) in staff
    assert spaced_receipt_number(receipt.number) not in staff
    # The receipt's QR code opens the central page on a phone: where it stands, nothing personal.
    with kiosk_app.test_request_context():
        from kiosk.blueprints.home import phone_link

        link = phone_link(receipt)
    phone = requests.get(link, timeout=10)
    assert phone.status_code == 200 and claim.reference in phone.text and "已办理" in phone.text
    assert member.id_number not in phone.text and "虞" not in phone.text
    waiting = requests.get(link.replace(receipt.envelope_id, str(uuid.uuid4())), timeout=10)
    assert waiting.status_code == 200 and "还没有收到" in waiting.text
    assert requests.get(f"{central_server.url}/stations/receipts/x/y", timeout=10).status_code == 200
    with kiosk_store.read() as session:
        positions = list(session.scalars(select(Reference).where(Reference.entity == "position")))
        assert [row.data["title"] for row in positions] == ["行政助理"]
        assert kiosk_store.get("cursor")
    assert kiosk_store.get("last_sync_at") and outbox.waiting_count(kiosk_store) == 0
    again = client_for(kiosk_app).round()
    assert again.pushed == 0 and again.blobs_uploaded == 0


def test_an_attachment_cut_off_halfway_is_sent_again_and_the_claim_goes_through(
        kiosk_app, kiosk_store, federation, central_server):
    proxy = CuttingProxy(central_server.port)
    try:
        enrol(kiosk_app, f"http://127.0.0.1:{proxy.port}")
        photo = big_photo(seed=2)
        assert len(photo) > 3 * proxy.keep
        receipt = queue_claim(kiosk_store, photo, covered())
        proxy.armed.set()
        client = client_for(kiosk_app, timeout=(5, 10))
        with pytest.raises(Unreachable):
            client.round()
        assert proxy.cuts == 1
        sha256 = envelope_of(kiosk_store, receipt).attachments[0]["sha256"]
        from portal.models import SyncBlob

        db.session.rollback()
        assert db.session.get(SyncBlob, sha256) is None  # nothing half-stored centrally
        envelope = envelope_of(kiosk_store, receipt)
        assert envelope.state == OutboxState.QUEUED and envelope.attempts == 0
        assert kiosk_store.blob_path(sha256).read_bytes() == photo
        report = client_for(kiosk_app, timeout=(5, 10)).round()
        assert report.blobs_uploaded == 1 and report.pushed == 1
        db.session.rollback()
        assert db.session.get(SyncBlob, sha256) is not None
        assert envelope_of(kiosk_store, receipt).state == OutboxState.APPLIED
    finally:
        proxy.close()


def test_a_kiosk_a_day_off_is_told_the_time_reports_its_skew_and_still_syncs(
        kiosk_app, kiosk_store, federation, central_server):
    kiosk_id = enrol(kiosk_app, central_server.url)
    day_ahead = lambda: time.time() + 86_400  # noqa: E731
    client = client_for(kiosk_app, clock=day_ahead)
    report = client.round()
    assert report.clock_refused and abs(report.skew_seconds - 86_400) < 60
    assert abs(kiosk_store.get("clock_skew_seconds") - 86_400) < 60
    db.session.rollback()
    assert db.session.get(Kiosk, kiosk_id).last_contact_at is not None
    staff = staff_page(kiosk_app)  # station staff see it on the kiosk
    assert "偏差过大" in staff and str(kiosk_store.get("clock_skew_seconds")) in staff


def test_a_kiosk_that_is_not_enrolled_says_so(kiosk_app, kiosk_store):
    with pytest.raises(SyncError) as error:
        SyncClient.from_store(kiosk_store, kiosk_app.config["KEY_FILE"])
    assert error.value.code == "not_enrolled"


def test_my_cover_and_claims_are_looked_up_live_with_a_texted_code(kiosk_app, kiosk_store, federation,
                                                                  central_server):
    from tests.conftest import sent_code

    enrol(kiosk_app, central_server.url)
    member = covered()
    web = kiosk_app.test_client()

    def post(url, data):
        token = web.get(url).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        return web.post(url, data={"csrf_token": token, **data})

    asked = post("/cover/check", {"member_id_number": member.id_number, "member_mobile": member.mobile})
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/cover/code")
    code = sent_code(member, "kiosk_lookup_code")
    wrong = post("/cover/code", {"code": "000000" if code != "000000" else "111111"})
    assert "验证码不正确" in wrong.get_data(as_text=True)
    shown = post("/cover/code", {"code": code}).get_data(as_text=True)
    assert "虞*国 的保障和理赔" in shown and "职工住院+重疾+意外三合一互助保障" in shown
    assert member.id_number not in shown and member.mobile not in shown
    assert web.get("/cover/code").status_code == 302  # used up: back to the start


def test_a_child_registered_and_a_student_applying_at_the_kiosk_are_done_centrally(
        kiosk_app, kiosk_store, federation, central_server):
    from tests.factories import create_childcare_class, create_member, create_student
    from tests.kiosk.conftest import post_form

    enrol(kiosk_app, central_server.url)
    cls = create_childcare_class(create_union(), today=clock.today(), seats=1)
    enterprise = create_enterprise()
    job = create_position(enterprise, starts_on=clock.today() + timedelta(days=40),
                          ends_on=clock.today() + timedelta(days=70), apply_by=clock.today() + timedelta(days=20))
    parent = create_member(union=create_union(), name="虞建国")
    client_for(kiosk_app).round()  # the class and the position arrive by the feed
    web = kiosk_app.test_client()
    who = {"parent_name": parent.name, "parent_id_number": parent.id_number, "parent_mobile": parent.mobile}
    for child, number in (("虞小明", "32021320180501015X"), ("虞小红", "320213201806010020")):
        done = post_form(web, f"/childcare/{cls.id}", {**who, "child_name": child, "child_id_number": number,
                                                       "pickup1_name": parent.name, "pickup1_mobile": parent.mobile,
                                                       "accepted_rules": "yes"})
        assert done.status_code == 302, done.get_data(as_text=True)[-3000:]
    student = create_student(parent, name="虞明")  # registered on the web first (with the student's code)
    done = post_form(web, f"/jobs/{job.id}", {**who, "student_name": student.name,
                                              "student_id_number": student.id_number})
    assert done.status_code == 302
    report = client_for(kiosk_app).round()
    assert report.answered == {"applied": 3}, report
    with kiosk_store.read() as session:
        answers = {envelope.seq: envelope.message for envelope in session.scalars(select(Envelope))}
    # Within the registration window seats are drawn after it closes: both are requests for now.
    assert "报名已收到（报名序号1）" in answers[1] and "报名已收到（报名序号2）" in answers[2]
    assert "已报名“行政助理”" in answers[3]

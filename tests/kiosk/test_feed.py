"""Applying the change feed: a page and the cursor after it are stored in one local transaction,
a cursor the server no longer knows (410) starts a full copy that drops what it did not bring
again, and a submission's status arriving by the feed ends its wait like a push answer."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from kiosk import outbox, sync
from kiosk.domain import OutboxState
from kiosk.models import Envelope, Reference
from tests.kiosk.conftest import client_for, private_pem
from tests.sync.conftest import new_private_key

KIOSK_ID = "7b0ad0a5-6b7a-4ad1-9d8e-3f4f2c4a2222"


class FakeCentral(BaseHTTPRequestHandler):
    """Answers like the sync API (without checking signatures): a hello for our kiosk, and the
    change-feed pages a test scripted by cursor."""

    pages: dict = {}
    asked: list = []

    def _json(self, status: int, body: dict, content_type: str = "application/json"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._json(200, {"kiosk_id": KIOSK_ID, "server_time": "2026-12-02T00:00:00Z",
                         "limits": {"max_envelopes": 100, "max_body_bytes": 2_000_000, "max_blob_bytes": 10_000_000}})

    def do_GET(self):  # noqa: N802
        cursor = parse_qs(urlparse(self.path).query).get("cursor", [""])[0]
        self.asked.append(cursor)
        page = self.pages[cursor]
        if page == 410:
            self._json(410, {"code": "cursor_expired", "title": "同步位置已过期"}, "application/problem+json")
        else:
            self._json(200, page)

    def log_message(self, *args):
        pass


@pytest.fixture
def central(kiosk_app, kiosk_store):
    handler = type("Handler", (FakeCentral,), {"pages": {}, "asked": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(kiosk_app.config["KEY_FILE"], "wb") as key_file:
        key_file.write(private_pem(new_private_key()))
    kiosk_store.put("central_url", f"http://127.0.0.1:{server.server_port}")
    kiosk_store.put("kiosk_id", KIOSK_ID)
    yield handler
    server.shutdown()
    server.server_close()


def position(key: int, title: str) -> dict:
    return {"entity": "position", "id": str(key), "op": "upsert", "data": {"id": key, "title": title}}


def references(store) -> dict:
    with store.read() as session:
        return {(row.entity, row.id): row.data.get("title") for row in session.scalars(select(Reference))}


def test_a_page_and_its_cursor_commit_together(kiosk_app, kiosk_store, central, monkeypatch):
    central.pages.update({"": {"changes": [position(1, "甲")], "cursor": "c1", "more": True},
                          "c1": {"changes": [position(2, "乙"), position(3, "丙")], "cursor": "c2", "more": False}})
    real = sync.SyncClient._apply_change

    def fail_on_third(self, session, change, now):
        if change["id"] == "3":
            raise RuntimeError("power cut while applying the page")
        return real(self, session, change, now)

    monkeypatch.setattr(sync.SyncClient, "_apply_change", fail_on_third)
    with pytest.raises(RuntimeError):
        client_for(kiosk_app).round()
    # The first page and its cursor are kept; nothing of the second page, and its cursor is not.
    assert references(kiosk_store) == {("position", "1"): "甲"} and kiosk_store.get("cursor") == "c1"
    monkeypatch.setattr(sync.SyncClient, "_apply_change", real)
    client_for(kiosk_app).round()
    assert len(references(kiosk_store)) == 3 and kiosk_store.get("cursor") == "c2"
    assert central.asked == ["", "c1", "c1"]


def test_an_expired_cursor_starts_a_full_copy_that_drops_what_is_gone(kiosk_app, kiosk_store, central):
    central.pages.update({"": {"changes": [position(1, "甲"), position(2, "乙")], "cursor": "c1", "more": False}})
    client_for(kiosk_app).round()
    assert len(references(kiosk_store)) == 2
    central.pages.update({"c1": 410, "": {"changes": [position(2, "乙改")], "cursor": "c9", "more": False}})
    client_for(kiosk_app).round()
    assert references(kiosk_store) == {("position", "2"): "乙改"} and kiosk_store.get("cursor") == "c9"


def test_a_status_from_the_feed_ends_the_wait_and_deletes_the_payload(kiosk_app, kiosk_store, central):
    receipt = outbox.submit(kiosk_store, "job.apply", {"parent": {"name": "虞建国"}}, [("家长姓名", "虞*国")])
    # The push's answer was lost (the server died after its commit); the feed tells instead. Pushes
    # answer nothing here: the fake has no /envelopes, so the envelope waits for the feed.
    central.pages.update({"": {"changes": [{"entity": "submission_status", "id": receipt.envelope_id, "op": "upsert",
                                            "data": {"envelope_id": receipt.envelope_id, "status": "applied",
                                                     "receipt": "JA2026-0007", "message": "已报名"}}],
                               "cursor": "c1", "more": False}})
    client = client_for(kiosk_app)
    client.pull_changes(sync.RoundReport())
    with kiosk_store.read() as session:
        envelope = session.get(Envelope, receipt.envelope_id)
    assert envelope.state == OutboxState.APPLIED and envelope.central_receipt == "JA2026-0007"
    assert envelope.payload is None and outbox.waiting_count(kiosk_store) == 0

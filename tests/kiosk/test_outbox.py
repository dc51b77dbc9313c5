"""The outbox: a submission and its receipt are written together or not at all; receipts keep
masked data only once the central side has answered; the SQLite file is WAL with full sync."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from kiosk import outbox
from kiosk.domain import OutboxState, new_receipt_number, normal_receipt_number
from kiosk.models import Blob, Envelope, Receipt
from kiosk.outbox import Upload
from kiosk.store import journal_mode
from tests.factories import jpeg_bytes
from tests.kiosk.conftest import claim_payload


def counts(store) -> tuple[int, int, int]:
    with store.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Envelope, Receipt, Blob))


def test_the_database_is_wal_with_full_sync(kiosk_store):
    assert journal_mode(kiosk_store) == ("wal", 2)


def test_an_envelope_and_its_receipt_are_written_together(kiosk_store):
    payload = claim_payload("虞建国", "320213198805200012", "13861800001")
    receipt = outbox.submit(kiosk_store, "claim.submit", payload, [("姓名", "虞*国")],
                            uploads=[Upload(jpeg_bytes(), "image/jpeg", "discharge_summary", "出院小结.jpg")])
    assert counts(kiosk_store) == (1, 1, 1)
    with kiosk_store.read() as session:
        envelope = session.get(Receipt, receipt.number).envelope
        assert envelope.state == OutboxState.QUEUED and envelope.payload == payload
        assert envelope.attachments[0]["role"] == "discharge_summary"
    assert normal_receipt_number(receipt.number) == receipt.number


def test_a_receipt_that_cannot_be_written_leaves_no_envelope(kiosk_store, monkeypatch):
    first = outbox.submit(kiosk_store, "job.apply", {"a": 1}, [])
    monkeypatch.setattr(outbox, "new_receipt_number", lambda: first.number)  # every draw collides
    with pytest.raises(RuntimeError):
        outbox.submit(kiosk_store, "job.apply", {"a": 2}, [])
    assert counts(kiosk_store)[:2] == (1, 1)


def test_a_receipt_that_fails_after_its_envelope_was_written_takes_the_envelope_with_it(kiosk_store):
    # The envelope is inserted first; the receipt's summary then fails to serialise.
    with pytest.raises(StatementError):
        outbox.submit(kiosk_store, "job.apply", {"a": 1}, [("x", {1, 2})])
    assert counts(kiosk_store)[:2] == (0, 0)


def test_an_answer_deletes_the_personal_payload_and_the_receipt_keeps_masked_data(kiosk_store):
    receipt = outbox.submit(kiosk_store, "claim.submit", claim_payload("虞建国", "320213198805200012", "13861800001"),
                            [("姓名", "虞*国")], uploads=[Upload(jpeg_bytes(), "image/jpeg", "invoice", "发票.jpg")])
    with kiosk_store.transaction() as session:
        envelope = session.get(Receipt, receipt.number).envelope
        assert outbox.record_answer(session, envelope, {"status": "applied", "receipt": "LP2026000001"},
                                    now=envelope.created_at)
    outbox.purge_unreferenced_blobs(kiosk_store, grace_seconds=0)
    with kiosk_store.read() as session:
        kept = session.get(Receipt, receipt.number)
        assert kept.envelope.payload is None and kept.envelope.central_receipt == "LP2026000001"
        assert "320213198805200012" not in str(kept.summary) and kept.summary == [["姓名", "虞*国"]]
    assert counts(kiosk_store)[2] == 0 and not list(kiosk_store.blob_dir.glob("*/*"))


def test_receipt_numbers_catch_a_mistyped_digit():
    number = new_receipt_number()
    assert len(number) == 11 and normal_receipt_number(f"{number[:4]} {number[4:]}") == number
    wrong = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert normal_receipt_number(wrong) is None

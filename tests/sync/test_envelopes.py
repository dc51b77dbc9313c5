"""Each envelope is applied once, in its own transaction; answers are repeatable; one bad envelope
never stops its batch."""

import threading
import uuid

from sqlalchemy import select

from portal.extensions import db
from portal.models import SyncEnvelope
from tests.sync.conftest import effects, enrolment_envelope


def results(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_an_envelope_is_applied_then_answered_duplicate_with_the_same_receipt(kiosk_client, recording_handler):
    envelope = enrolment_envelope()
    [first] = results(kiosk_client.push(envelope))
    assert first["status"] == "applied" and first["receipt"].startswith("T")
    [again] = results(kiosk_client.push(envelope))
    assert again == {**first, "status": "duplicate"}
    assert effects() == 1


def test_an_envelope_repeated_in_its_own_batch_is_answered_duplicate_with_its_receipt(kiosk_client,
                                                                                     recording_handler):
    """Receipts are written for the whole batch just before it commits: a repeat of an envelope
    later in the same batch must still read the first one's receipt, and every applied envelope
    must have its receipt stored once the push has answered."""
    first, other = enrolment_envelope("甲"), enrolment_envelope("乙")
    answers = results(kiosk_client.push(first, other, first))
    assert [a["status"] for a in answers] == ["applied", "applied", "duplicate"]
    assert answers[2]["receipt"] == answers[0]["receipt"] and answers[0]["receipt"].startswith("T")
    assert effects() == 2
    db.session.expire_all()
    stored = {row.envelope_id: row.receipt for row in db.session.scalars(select(SyncEnvelope))}
    assert stored == {first["id"]: answers[0]["receipt"], other["id"]: answers[1]["receipt"]}


def test_a_changed_payload_under_an_old_id_is_a_conflict_and_changes_nothing(kiosk_client, recording_handler):
    envelope = enrolment_envelope()
    results(kiosk_client.push(envelope))
    changed = {**envelope, "payload": {**envelope["payload"], "occupation": "外卖配送员"}}
    [answer] = results(kiosk_client.push(changed))
    assert answer["status"] == "conflict" and answer["code"] == "envelope_id_reused"
    assert effects() == 1


def test_a_resend_with_other_bookkeeping_is_still_the_same_envelope(kiosk_client, recording_handler):
    envelope = enrolment_envelope()
    results(kiosk_client.push(envelope))
    [again] = results(kiosk_client.push({**envelope, "seq": 99, "created_at": "2026-07-15T10:00:00+08:00"}))
    assert again["status"] == "duplicate"


def test_a_poison_envelope_mid_batch_is_rejected_alone_and_kept_for_staff(kiosk_client, recording_handler):
    batch = [enrolment_envelope("甲"), enrolment_envelope("坏人"), enrolment_envelope("崩溃"), enrolment_envelope("乙")]
    answers = results(kiosk_client.push(*batch))
    assert [a["status"] for a in answers] == ["applied", "rejected", "rejected", "applied"]
    assert answers[1]["code"] == "test_refused" and answers[1]["message"] == "测试规则拒绝了坏人。"
    assert answers[2]["code"] == "internal_error" and "工作人员" in answers[2]["message"]
    assert effects() == 2
    kept = db.session.scalar(select(SyncEnvelope).where(SyncEnvelope.envelope_id == batch[1]["id"]))
    assert kept.status == "rejected" and "坏人" in kept.payload  # encrypted at rest, readable by staff
    # Rejected is final: the same envelope again gets the same answer, not a second try.
    [again] = results(kiosk_client.push(batch[1]))
    assert again["status"] == "rejected" and again["code"] == "test_refused"


def test_an_envelope_breaking_its_schema_is_rejected_with_a_reason(kiosk_client, recording_handler):
    broken = enrolment_envelope()
    del broken["payload"]["occupation"]
    unknown = {**enrolment_envelope(), "kind": "tax.refund"}
    no_id = {**enrolment_envelope(), "id": "not-a-uuid"}
    kind_as_list = {**enrolment_envelope(), "kind": ["childcare.register"]}  # not a name the batch can sort by
    answers = results(kiosk_client.push(broken, unknown, no_id, kind_as_list, enrolment_envelope()))
    assert [a["status"] for a in answers] == ["rejected", "rejected", "rejected", "rejected", "applied"]
    assert answers[0]["code"] == "payload_invalid" and "occupation" in answers[0]["message"]
    assert answers[1]["code"] == "payload_invalid"
    assert answers[2]["code"] == "envelope_invalid" and answers[2]["id"] == "not-a-uuid"
    assert db.session.scalar(select(SyncEnvelope).where(SyncEnvelope.envelope_id == "not-a-uuid")) is None


def test_an_envelope_with_text_no_database_can_store_is_rejected_alone(kiosk_client, recording_handler):
    """A NUL (PostgreSQL refuses it in text) or a lone surrogate (not UTF-8 at all) is valid JSON:
    the envelope is refused, unstored, and the rest of the batch goes through."""
    with_nul = {**enrolment_envelope(), "created_at": "2026-07-15\u0000"}
    with_surrogate = enrolment_envelope(occupation="快递员\ud800")
    key_with_nul = {**enrolment_envelope(), "extra": {"a\u0000": 1}}
    answers = results(kiosk_client.push(enrolment_envelope("甲"), with_nul, with_surrogate, key_with_nul,
                                        enrolment_envelope("乙")))
    assert [a["status"] for a in answers] == ["applied", "rejected", "rejected", "rejected", "applied"]
    assert {a["code"] for a in answers[1:4]} == {"envelope_invalid"}
    assert "无法保存的字符" in answers[1]["message"]
    assert effects() == 2
    assert db.session.scalar(select(SyncEnvelope).where(SyncEnvelope.envelope_id == with_nul["id"])) is None


def test_a_batch_over_the_limit_is_refused_whole(app, kiosk_client, recording_handler):
    limit = app.config["SYNC_MAX_ENVELOPES"]
    response = kiosk_client.push(*[enrolment_envelope() for _ in range(limit + 1)])
    assert response.status_code == 413 and response.get_json()["code"] == "too_many_envelopes"
    assert effects() == 0


def test_a_body_that_is_not_a_batch_is_a_bad_request(kiosk_client):
    response = kiosk_client.post("/envelopes", data=b"[1, 2", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_request"


def test_the_same_batch_pushed_from_8_threads_is_applied_once(app, kiosk_client, recording_handler):
    batch = [enrolment_envelope(f"人{i}") for i in range(10)]
    answers, errors = [], []
    start = threading.Barrier(8)

    def push():
        try:
            start.wait()
            with app.app_context():
                answers.append(results(kiosk_client.push(*batch)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=push) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert effects() == 10
    for index in range(len(batch)):
        statuses = sorted(answer[index]["status"] for answer in answers)
        assert statuses == ["applied"] + ["duplicate"] * 7, statuses
        assert len({answer[index]["receipt"] for answer in answers}) == 1


def test_every_outcome_reaches_the_kiosk_through_its_submission_status(client, kiosk_client, recording_handler):
    from tests.sync.conftest import KioskClient, register

    ok, bad = enrolment_envelope("甲"), enrolment_envelope("坏人")
    results(kiosk_client.push(ok, bad))
    feed = kiosk_client.get("/changes").get_json()
    statuses = {c["id"]: c["data"] for c in feed["changes"] if c["entity"] == "submission_status"}
    assert statuses[ok["id"]]["status"] == "applied" and statuses[ok["id"]]["receipt"]
    assert statuses[bad["id"]]["status"] == "rejected" and statuses[bad["id"]]["code"] == "test_refused"
    other, other_key = register(station_code="ST09", name="别的机器")
    theirs = KioskClient(client, other.id, other_key).get("/changes").get_json()
    assert not [c for c in theirs["changes"] if c["entity"] == "submission_status"]


def test_envelope_ids_are_per_kiosk(client, kiosk_client, recording_handler):
    from tests.sync.conftest import KioskClient, register

    envelope = enrolment_envelope(envelope_id=str(uuid.uuid4()))
    other, other_key = register(station_code="ST09", name="别的机器")
    assert results(kiosk_client.push(envelope))[0]["status"] == "applied"
    assert results(KioskClient(client, other.id, other_key).push(envelope))[0]["status"] == "applied"

"""Texts and the words staff type about a person's case are encrypted at rest, like health data.

A text's body (a discharge invitation names the hospital; a decision text the reason) and the free
words of a decision (a claim's rejection, adjustment and exception reasons, an enrolment's
rejection, an enterprise's answer to a student, a declined join request's note, a hardship
family's reason and notes) are read here with plain SQL, as someone with a copy of the database
would. The append-only audit log (in clear) only says that words were given. The SMS log is still
searched by mobile. The migration that encrypts existing rows runs on a scratch database of the
suite's dialect.
"""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import (
    Application,
    AuditEvent,
    Claim,
    Enrollment,
    HardshipEvent,
    HardshipFamily,
    JoinRequest,
    SmsMessage,
)
from portal.pii import EncryptedText, lookup_hash, vault
from portal.services import sms_log
from portal.services.review import decisions
from portal.services.sms import queue_text
from tests.conftest import post_form
from tests.factories import (
    covered_member,
    create_application,
    create_enrollment,
    create_hardship_family,
    create_member,
    create_staff,
    create_union,
    file_claim,
)
from tests.privacy.test_health_data_at_rest import scratch_app  # noqa: F401 (a fixture)

SECRET = "无锡市第九人民医院骨科三病区"
REASON = "双眼皮手术属美容项目不予赔付"


def _raw(sql: str, **params) -> str:
    rows = db.session.execute(text(sql), params).all()
    assert rows, sql
    return " ".join(str(value) for row in rows for value in row)


def test_a_text_naming_the_hospital_is_not_in_clear_and_the_log_still_finds_it_by_mobile(client, auth):
    member = create_member(mobile="13912340001")
    queue_text(member.mobile, kind="claim_invitation", member=member, params={
        "name": member.name, "admitted": "5月1日", "discharged": "5月20日", "hospital": SECRET, "reference": "LP1"})
    db.session.commit()
    assert SECRET not in _raw("SELECT * FROM sms_messages")
    db.session.expire_all()
    [message] = db.session.scalars(select(SmsMessage))
    assert SECRET in message.body  # the portal reads it as it was made
    admin = create_staff("admin_words")
    found, total = sms_log.list_texts(admin, sms_log.SmsFilters(mobile="139 1234 0001"))
    assert total == 1 and SECRET in found[0].body
    assert sms_log.list_texts(admin, sms_log.SmsFilters(mobile="13912340002"))[1] == 0
    other = create_member(mobile="13912340002")
    queue_text(other.mobile, kind="claim_invitation", member=other, params={
        "name": other.name, "admitted": "6月1日", "discharged": "6月9日", "hospital": "另一家医院", "reference": "LP2"})
    db.session.commit()
    auth.staff("admin_words")
    searched = post_form(client, "/staff/texts", {"q": "13912340001"})
    page = client.get(searched.location).get_data(as_text=True)
    assert SECRET in page and "另一家医院" not in page  # found by the mobile's hash, shown decrypted


def test_a_reviewer_s_words_are_not_in_clear_in_the_claim_nor_in_the_audit_log():
    reviewer = create_staff("rev_words", role=Role.REVIEWER)
    member = covered_member()
    claim = file_claim(member)
    decisions.decide_claim(reviewer, claim.id, "reject", version=claim.version_id, reason_code="not_medical",
                           reason=REASON)
    db.session.commit()
    assert REASON not in _raw("SELECT * FROM claims WHERE id = :id", id=claim.id)
    assert REASON not in _raw("SELECT * FROM claim_events WHERE claim_id = :id", id=claim.id)
    assert REASON not in _raw("SELECT * FROM audit_events")
    assert REASON not in _raw("SELECT * FROM sms_messages")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.reject"))
    assert event.details["reason_given"] is True and event.details["reason_code"] == "not_medical"
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).decision_reason == REASON


@pytest.mark.parametrize("model, column", [
    (Claim, "decision_reason"), (Claim, "adjustment_reason"), (Claim, "override_justification"),
    (Enrollment, "cancelled_reason"), (Application, "decision_note"), (JoinRequest, "decline_note"),
    (HardshipFamily, "reason"), (HardshipEvent, "note"), (SmsMessage, "body"),
])
def test_each_column_of_staff_words_is_declared_encrypted(model, column):
    assert isinstance(model.__table__.c[column].type, EncryptedText)


def test_staff_words_set_on_each_record_are_ciphertext_in_the_database():
    member = create_member()
    claim = file_claim(covered_member())
    claim.decision_reason, claim.adjustment_reason, claim.override_justification = (
        f"{REASON}甲", f"{REASON}乙", f"{REASON}丙")
    enrollment = create_enrollment(member)
    enrollment.cancelled_reason = f"{REASON}丁"
    application = create_application(status="declined", note=f"{REASON}戊")
    family = create_hardship_family(create_member(), reason=f"{REASON}己")
    db.session.commit()
    stored = (_raw("SELECT decision_reason, adjustment_reason, override_justification FROM claims WHERE id = :id",
                   id=claim.id)
              + _raw("SELECT cancelled_reason FROM enrollments WHERE id = :id", id=enrollment.id)
              + _raw("SELECT decision_note FROM applications WHERE id = :id", id=application.id)
              + _raw("SELECT reason FROM hardship_families WHERE id = :id", id=family.id)
              + _raw("SELECT note FROM hardship_events WHERE family_id = :id", id=family.id))
    assert REASON not in stored
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).override_justification == f"{REASON}丙"
    assert db.session.get(Application, application.id).decision_note == f"{REASON}戊"
    assert db.session.get(HardshipFamily, family.id).events[0].note == f"{REASON}己"


# ---------------------------------------------------------------- the migration of existing rows

BEFORE = "e5a1c7d3f9b2"  # the last revision with these words in clear


def test_the_migration_encrypts_words_already_stored_and_gives_them_back_on_downgrade(scratch_app):  # noqa: F811
    with scratch_app.app_context():
        upgrade(revision=BEFORE)
        member = create_member(union=create_union())
        family = create_hardship_family(member, reason=f"{REASON}己")  # a table the ORM still writes in clear
        enrollment = create_enrollment(member)
        db.session.commit()
        ids = {"member": member.id, "family": family.id, "enrollment": enrollment.id}
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO sms_messages (mobile, mobile_hash, member_id, kind, body, status, attempts, created_at) "
                "VALUES (:mobile, :hash, :member, 'claim_invitation', :body, 'sent', 1, '2026-06-01 00:00:00+00:00')"),
                {"mobile": vault().encrypt("13912340003"), "hash": lookup_hash("13912340003"),
                 "member": ids["member"], "body": f"您于5月1日在{SECRET}住院"})
            connection.execute(text(
                "UPDATE hardship_families SET reason = :r WHERE id = :id"), {"r": f"{REASON}己", "id": ids["family"]})
            connection.execute(text("UPDATE hardship_events SET note = :r WHERE family_id = :id"),
                               {"r": f"{REASON}辛", "id": ids["family"]})
            connection.execute(text(
                "UPDATE enrollments SET cancelled_reason = :r WHERE id = :id"),
                {"r": f"{REASON}丁", "id": ids["enrollment"]})
        db.session.remove()
        upgrade()
        stored = _raw("SELECT body FROM sms_messages") + _raw("SELECT reason FROM hardship_families") \
            + _raw("SELECT note FROM hardship_events") + _raw("SELECT cancelled_reason FROM enrollments")
        assert SECRET not in stored and REASON not in stored
        assert SECRET in db.session.scalars(select(SmsMessage.body)).one()
        assert db.session.get(HardshipFamily, ids["family"]).reason == f"{REASON}己"
        assert db.session.scalars(select(HardshipEvent.note)).one() == f"{REASON}辛"
        assert db.session.get(Enrollment, ids["enrollment"]).cancelled_reason == f"{REASON}丁"
        # The enrolment's partial unique index kept its condition through the table's copy on SQLite:
        # a cancelled enrolment does not block a live one for the same year.
        indexes = _raw("SELECT sql FROM sqlite_master WHERE name = 'uq_enrollments_member_year_live'") \
            if db.engine.dialect.name == "sqlite" else _raw(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_enrollments_member_year_live'")
        assert "cancelled" in indexes
        db.session.remove()

        downgrade(revision=BEFORE)
        assert SECRET in db.session.execute(text("SELECT body FROM sms_messages")).scalar_one()
        assert db.session.execute(text("SELECT reason FROM hardship_families")).scalar_one() == f"{REASON}己"
        db.session.remove()
        downgrade(revision="base")

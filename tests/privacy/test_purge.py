"""``flask --app wsgi purge`` deletes what is past its retention and keeps what is not."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import (
    JoinCode,
    KioskEnrolmentToken,
    LoginCode,
    RosterImport,
    SmsMessage,
    SmsRequest,
    StaffLoginLock,
    SyncBlob,
    SyncEnvelope,
    SyncLookup,
    SyncNonce,
)
from portal.models.base import utcnow
from portal.services.enrollment import rosters
from tests.factories import create_kiosk, create_member, create_plan, create_staff, create_station, create_union
from tests.services.test_enrollment_rosters import person, xlsx


def _moments():
    """An old and a recent moment, taken when the test runs: taken when the module was imported, a
    full run reaching this test more than ten minutes later saw the 'recent' nonce expired too."""
    now = utcnow()
    return now - timedelta(days=100), now - timedelta(minutes=5)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _world(OLD, RECENT):  # noqa: N803 - the two moments read as constants in the rows below
    """One old and one recent row of every kind purge looks after, files included."""
    union = create_union("LX01")
    member = create_member(union=union)
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    kiosk = create_kiosk(create_station(union))
    for at in (OLD, RECENT):
        db.session.add_all([
            LoginCode(id_number_hash=f"h{at}", member_id=member.id, code_hash="x", expires_at=at, created_at=at),
            JoinCode(id_number_hash=f"h{at}", id_number=member.id_number, mobile=member.mobile, code_hash="x",
                     expires_at=at, created_at=at),
            SmsRequest(recipient_hash=f"r{at}", kind="login_code", created_at=at),
            SmsMessage(mobile=member.mobile, mobile_hash="m", member_id=member.id, kind="login_code",
                       body="验证码******", code_seed=f"seed{at.timestamp()}", created_at=at),
            SyncLookup(id=f"L{int(at.timestamp())}", kiosk_id=kiosk.id, member_id=member.id, code_hash="x",
                       expires_at=at, created_at=at),
            SyncNonce(kiosk_id=kiosk.id, nonce=f"n{at}", expires_at=at + timedelta(minutes=10)),
            KioskEnrolmentToken(kiosk_id=kiosk.id, token_hash=f"t{at}", expires_at=at, created_at=at),
            SyncEnvelope(kiosk_id=kiosk.id, envelope_id=f"e{at}", kind="claim", payload_hash="p", status="rejected",
                         payload='{"id_number": "x"}', received_at=at),
        ])
        sha = f"{int(at.timestamp()):064d}"
        name = f"sync/blobs/{sha[:2]}/{sha}.jpg"
        (_uploads() / name).parent.mkdir(parents=True, exist_ok=True)
        (_uploads() / name).write_bytes(b"jpeg")
        db.session.add(SyncBlob(sha256=sha, stored_name=name, content_type="image/jpeg", size_bytes=4,
                                received_bytes=4, kiosk_id=kiosk.id, created_at=at))
    db.session.add(StaffLoginLock(user_id=officer.id, address_hash="a", failures=3, locks=1, updated_at=OLD))
    db.session.commit()
    old_roster, _ = rosters.upload_roster(officer, union, xlsx([["姓名", "身份证号"], ["张三", person(1)]]), "old.xlsx")
    new_roster, _ = rosters.upload_roster(officer, union, xlsx([["姓名", "身份证号"], ["李四", person(2)]]), "new.xlsx")
    db.session.get(RosterImport, old_roster.id).updated_at = OLD
    db.session.commit()
    stray = _uploads() / "rosters" / "left-behind.xlsx"
    stray.write_bytes(b"x")
    import os

    os.utime(stray, (OLD.timestamp(), OLD.timestamp()))
    return old_roster.id, new_roster.id, stray


def test_purge_removes_what_is_past_retention_and_keeps_the_rest(runner):
    OLD, RECENT = _moments()  # noqa: N806
    old_roster, new_roster, stray = _world(OLD, RECENT)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts == {
        "login_codes": 1, "join_codes": 1, "student_verifications": 0, "kiosk_lookups": 1, "text_requests": 1,
        "code_seeds": 1, "sign_in_locks": 1, "kiosk_nonces": 1, "kiosk_enrolment_tokens": 1,
        "kiosk_rejected_payloads": 1, "kiosk_attachments": 1, "roster_files": 1, "roster_files_unreferenced": 1}
    db.session.expire_all()
    for model in (LoginCode, JoinCode, SmsRequest, SyncLookup, SyncNonce, KioskEnrolmentToken, SyncBlob):
        assert _count(model) == 1, model.__name__  # the recent one stays
    assert _count(StaffLoginLock) == 0
    assert _count(SmsMessage, SmsMessage.code_seed.is_not(None)) == 1
    assert _count(SyncEnvelope, SyncEnvelope.payload.is_not(None)) == 1
    assert _count(SyncEnvelope) == 2  # the refused submission's reason stays
    # Only this test's two attachments are looked at: the uploads folder is shared by the session.
    ours = {f"{int(at.timestamp()):064d}.jpg": at for at in (OLD, RECENT)}
    blobs = sorted(path.name for path in (_uploads() / "sync" / "blobs").rglob("*.jpg") if path.name in ours)
    assert blobs == [Path(db.session.scalars(select(SyncBlob.stored_name)).one()).name] == [
        f"{int(RECENT.timestamp()):064d}.jpg"]
    old, new = db.session.get(RosterImport, old_roster), db.session.get(RosterImport, new_roster)
    assert old.file_removed_at is not None and new.file_removed_at is None
    assert not (_uploads() / "rosters" / old.stored_name).exists()
    assert (_uploads() / "rosters" / new.stored_name).exists()
    assert not stray.exists()
    # A second run finds nothing more.
    again = json.loads(runner.invoke(args=["purge"]).output)
    assert set(again.values()) == {0}


def test_purge_runs_nightly_in_the_task_queue():
    from datetime import datetime

    from portal import tasks

    due = {task.name for task in tasks.huey.read_periodic(datetime(2026, 12, 2, 16, 20))}
    assert "purge_expired" in due  # 00:20 in China, every night
    assert "purge_expired" not in {task.name for task in tasks.huey.read_periodic(datetime(2026, 12, 2, 16, 21))}
    _world(*_moments())
    first = tasks.purge_expired.call_local()
    assert first["login_codes"] == 1 and set(tasks.purge_expired.call_local().values()) == {0}

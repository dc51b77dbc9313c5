"""Retention: what is kept only as long as it is needed is deleted when that time is over.

``flask --app wsgi purge`` and the nightly task ``purge_expired`` call ``purge`` (the task module
calls services, never the reverse).
Each kind of record has its retention in the settings (``RETENTION_*``, in days); ``purge`` deletes
what is past it and answers how many of each it removed. Sessions and search tokens need nothing
here: both live in the browser, signed and sealed with an expiry, and the server keeps no copy.

What is never purged here: the audit log (append-only), claims, enrolments and their documents
(kept under the association's own rules), and anything a person is still waiting on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, or_, select, update

from portal.domain.sync import EnvelopeStatus
from portal.extensions import db
from portal.models import (
    JoinCode,
    KioskEnrolmentToken,
    LoginCode,
    RosterImport,
    RosterImportStatus,
    SmsMessage,
    SmsRequest,
    StaffLoginLock,
    StudentVerification,
    SyncBlob,
    SyncEnvelope,
    SyncLookup,
    SyncNonce,
)
from portal.models.base import utcnow
from portal.services.enrollment import rosters
from portal.services.unit_of_work import after_commit, unit_of_work

EXPIRED_BY_RETENTION = "保存期满，已自动删除个人信息"


def _days(name: str) -> timedelta:
    return timedelta(days=int(current_app.config[name]))


@unit_of_work
def purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; the count of each kind removed (zeros included)."""
    now = now or utcnow()
    codes_before = now - _days("RETENTION_CODES_DAYS")
    counts = {
        # One-time codes and what waited for them (hashes, encrypted details of a student, a person
        # joining online): long expired, kept only for the daily caps.
        "login_codes": _delete(LoginCode, LoginCode.created_at < codes_before),
        "join_codes": _delete(JoinCode, JoinCode.created_at < codes_before),
        "student_verifications": _delete(StudentVerification, StudentVerification.created_at < codes_before),
        "kiosk_lookups": _delete(SyncLookup, SyncLookup.created_at < codes_before),
        "text_requests": _delete(SmsRequest, SmsRequest.created_at < codes_before),
        # The seed a text's code is derived from: once the code expired, the seed is worthless but
        # for an attacker who later reads the server key.
        "code_seeds": db.session.execute(
            update(SmsMessage).where(SmsMessage.code_seed.is_not(None),
                                     SmsMessage.created_at < now - timedelta(seconds=_code_seconds()))
            .values(code_seed=None).execution_options(synchronize_session=False)).rowcount,
        "sign_in_locks": _delete(StaffLoginLock, StaffLoginLock.updated_at < codes_before,
                                 or_(StaffLoginLock.locked_until.is_(None), StaffLoginLock.locked_until < now)),
        "kiosk_nonces": _delete(SyncNonce, SyncNonce.expires_at < now),
        "kiosk_enrolment_tokens": _delete(KioskEnrolmentToken, KioskEnrolmentToken.expires_at < codes_before),
        "kiosk_rejected_payloads": _wipe_rejected_payloads(now - _days("RETENTION_KIOSK_REJECTED_DAYS"), now),
        "kiosk_attachments": _delete_blobs(now - _days("RETENTION_KIOSK_ATTACHMENT_DAYS")),
        "roster_files": _forget_roster_files(now),
        "roster_files_unreferenced": _delete_stray_roster_files(now),
    }
    return counts


def _code_seconds() -> int:
    return max(int(current_app.config["OTP_TTL_SECONDS"]), 3600)  # at least an hour: texts may be delayed


def _delete(model, *conditions) -> int:
    return db.session.execute(delete(model).where(*conditions).execution_options(synchronize_session=False)).rowcount


def _wipe_rejected_payloads(before: datetime, now: datetime) -> int:
    """A kiosk submission refused centrally keeps its (encrypted) details for staff to re-enter;
    left unhandled past retention, the details go and the reason stays."""
    return db.session.execute(
        update(SyncEnvelope).where(SyncEnvelope.status == EnvelopeStatus.REJECTED, SyncEnvelope.payload.is_not(None),
                                   SyncEnvelope.received_at < before)
        .values(payload=None, handled_at=now, handled_by=EXPIRED_BY_RETENTION)
        .execution_options(synchronize_session=False)).rowcount


def _delete_blobs(before: datetime) -> int:
    """Kiosk attachments: each was copied into the claim it came with when its envelope was applied;
    the copy sent by the kiosk is kept only to answer a retried upload."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    blobs = db.session.execute(select(SyncBlob.sha256, SyncBlob.stored_name).where(SyncBlob.created_at < before)).all()
    if not blobs:
        return 0
    for start in range(0, len(blobs), 500):
        db.session.execute(delete(SyncBlob).where(SyncBlob.sha256.in_([sha for sha, _ in blobs[start:start + 500]]))
                           .execution_options(synchronize_session=False))
    paths = [folder / name for _, name in blobs]
    after_commit(lambda: [path.unlink(missing_ok=True) for path in paths])
    return len(blobs)


def _forget_roster_files(now: datetime) -> int:
    """Roster files (full ID numbers and mobiles): an imported one at once (left by an import made
    before files were deleted after import), one never confirmed or failed once past retention."""
    unconfirmed_before = now - _days("RETENTION_ROSTER_FILE_DAYS")
    rows = db.session.scalars(select(RosterImport).where(
        RosterImport.file_removed_at.is_(None),
        or_(RosterImport.status == RosterImportStatus.DONE,
            RosterImport.status.in_([RosterImportStatus.VALIDATED, RosterImportStatus.FAILED])
            & (RosterImport.updated_at < unconfirmed_before)))).all()
    for roster in rows:
        rosters.forget_file(roster, now=now)
    return len(rows)


def _delete_stray_roster_files(now: datetime) -> int:
    """Files no roster keeps (an upload whose record was rolled back, a deletion a crash cut short)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "rosters"
    if not folder.is_dir():
        return 0
    kept = set(db.session.scalars(select(RosterImport.stored_name).where(RosterImport.file_removed_at.is_(None))))
    grace = (now - timedelta(hours=1)).timestamp()  # an upload being recorded right now
    stray = [path for path in folder.iterdir()
             if path.is_file() and path.name not in kept and path.stat().st_mtime < grace]
    after_commit(lambda: [path.unlink(missing_ok=True) for path in stray])
    return len(stray)

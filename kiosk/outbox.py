"""Taking a submission: the envelope goes into the outbox in the same local transaction as the
receipt the person is handed, so a receipt always has its envelope and an envelope its receipt.

Attachments are written to disk (by hash, fsynced) before that transaction; a crash between the
two leaves only an unreferenced file, which ``purge_unreferenced_blobs`` removes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kiosk.domain import FINAL_ANSWERS, OutboxState, new_receipt_number
from kiosk.models import Blob, Envelope, Receipt
from kiosk.store import Store
from portal.models.base import utcnow


@dataclass(frozen=True)
class Upload:
    data: bytes
    content_type: str
    role: str
    name: str


def submit(store: Store, kind: str, payload: dict, summary: list[tuple[str, str]], *,
           uploads: list[Upload] = (), now: datetime | None = None) -> Receipt:
    """Queue one submission and make its receipt, in one transaction. ``summary`` holds masked
    values only: it is what stays on the kiosk once the payload is gone."""
    now = now or utcnow()
    attachments = []
    for upload in uploads:
        sha256 = store.write_blob(upload.data)
        attachments.append({"sha256": sha256, "name": upload.name, "content_type": upload.content_type,
                            "size": len(upload.data), "role": upload.role})
    for _attempt in range(5):
        try:
            with store.transaction() as session:
                for attachment in attachments:
                    if session.get(Blob, attachment["sha256"]) is None:
                        session.add(Blob(sha256=attachment["sha256"], content_type=attachment["content_type"],
                                         size=attachment["size"], created_at=now))
                seq = (session.scalar(select(func.max(Envelope.seq))) or 0) + 1
                envelope = Envelope(id=str(uuid.uuid4()), seq=seq, kind=kind, created_at=now, payload=payload,
                                    attachments=attachments, state=OutboxState.QUEUED.value)
                session.add(envelope)
                receipt = Receipt(number=new_receipt_number(), envelope=envelope, kind=kind,
                                  summary=[list(pair) for pair in summary], created_at=now)
                session.add(receipt)
                session.flush()
            return receipt
        except IntegrityError:
            # Ten random digits colliding with an earlier receipt: draw again (nothing was kept).
            continue
    raise RuntimeError("could not draw an unused receipt number")


def waiting_count(store: Store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(Envelope)
                              .where(Envelope.state == OutboxState.QUEUED.value)) or 0


def record_answer(session, envelope: Envelope, answer: dict, *, now: datetime) -> bool:
    """Apply one central answer (a push result or a ``submission_status`` change) to an envelope.
    Returns True when the submission is now final; its personal payload is then deleted."""
    status = answer.get("status")
    final = FINAL_ANSWERS.get(status)
    if final is None:  # pending_attachments, or a status this version does not know: stays queued
        envelope.code = _text(answer.get("code"), 60)
        envelope.message = _text(answer.get("message"), 1000)
        return False
    if envelope.state != OutboxState.QUEUED.value:
        return True  # already final (a push answer and the feed both told us)
    envelope.state = final.value
    envelope.central_receipt = _text(answer.get("receipt"), 80)
    envelope.code = _text(answer.get("code"), 60) or ("envelope_id_reused" if status == "conflict" else None)
    envelope.message = _text(answer.get("message"), 1000)
    envelope.answered_at = now
    envelope.payload = None
    return True


def _text(value, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def purge_unreferenced_blobs(store: Store, *, grace_seconds: float = 3600) -> int:
    """Delete attachment files that no waiting submission needs any more (personal documents
    leave the kiosk once the central side holds them and has answered). A file younger than
    ``grace_seconds`` is spared: it may belong to a submission being written right now."""
    import time

    gone = 0
    with store.transaction() as session:
        needed = set()
        for attachments in session.scalars(select(Envelope.attachments)
                                           .where(Envelope.state == OutboxState.QUEUED.value)):
            needed.update(item["sha256"] for item in attachments or [])
        for blob in session.scalars(select(Blob)):
            if blob.sha256 not in needed:
                session.delete(blob)
    if store.blob_dir.exists():
        with store.read() as session:
            known = set(session.scalars(select(Blob.sha256)))
        for path in store.blob_dir.glob("*/*"):
            if path.name not in known and time.time() - path.stat().st_mtime > grace_seconds:
                path.unlink(missing_ok=True)
                gone += 1
    return gone

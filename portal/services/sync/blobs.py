"""Attachments from kiosks, stored by the SHA-256 of the bytes the kiosk sent.

Checked like a claim document uploaded on the web (the claims area's ``prepare_upload``: type by
content, images decoded and re-encoded so EXIF with its GPS position is gone), then written
under a temporary name and renamed into place, so a cut connection or a crash never leaves half
a file under a real name. PUT is idempotent: the same bytes again are "already held".
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from flask import current_app

from portal.domain.claims import EXTENSIONS
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.sync import SHA256_RE
from portal.extensions import db
from portal.models import Kiosk, SyncBlob
from portal.services.claims import documents as claim_documents
from portal.services.sync.problems import Problem
from portal.services.unit_of_work import transaction

UPLOAD_CODES = {"upload_type": "unsupported_media_type", "upload_too_large": "blob_too_large"}


def blob_path(blob: SyncBlob) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / blob.stored_name


def held(sha256: str) -> SyncBlob | None:
    return db.session.get(SyncBlob, sha256) if SHA256_RE.match(sha256 or "") else None


def read_blob(blob: SyncBlob) -> bytes:
    return blob_path(blob).read_bytes()


def put_blob(kiosk: Kiosk, sha256: str, data: bytes, *, now: datetime) -> bool:
    """Store an attachment; True when stored now, False when it was already held."""
    limit = current_app.config["SYNC_MAX_BLOB_BYTES"]
    if len(data) > limit:
        raise Problem("blob_too_large", f"附件超过{limit // 1024 // 1024}MB的限制。")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Problem("hash_mismatch", "附件内容的SHA-256与地址中的不一致（可能传输中断），请重新上传整个文件。")
    if held(sha256) is not None:
        return False
    try:
        stored = claim_documents.prepare_upload(data, limit)
    except InvalidInput as error:
        raise Problem(UPLOAD_CODES.get(error.code, "blob_unreadable"), error.message) from None
    name = f"sync/blobs/{sha256[:2]}/{sha256}.{EXTENSIONS[stored.content_type]}"
    path = Path(current_app.config["UPLOAD_FOLDER"]) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, stored.content)
    # The file is named by its content: a concurrent upload of the same bytes wrote the same file,
    # so a lost race keeps it (no on_rollback delete).
    try:
        with transaction():
            db.session.add(SyncBlob(sha256=sha256, stored_name=name, content_type=stored.content_type,
                                    size_bytes=len(stored.content), received_bytes=len(data), kiosk_id=kiosk.id,
                                    created_at=now))
    except Conflict:
        return False
    return True


def _write_atomically(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(content)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

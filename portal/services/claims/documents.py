"""Documents of a claim: checked by their content, stripped of metadata, stored under random names.

Files live outside ``static/`` (``UPLOAD_FOLDER``) and are served only through a view that checks
who asks and audits each look. A file written for a document that is then not recorded (the
action fails after the write) is deleted when the unit of work rolls back; a removed document's
file goes once the removal has committed.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app

from portal import clock
from portal.domain.claims import EXTENSIONS, sniff_content_type
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.extensions import db
from portal.integrations.safe_media import reencode_image, refuse_active_pdf
from portal.models.claims import Claim, ClaimDocument
from portal.services import audit
from portal.services.claims import access, assessment
from portal.services.unit_of_work import after_commit, on_rollback, unit_of_work


@dataclass(frozen=True)
class StoredFile:
    content: bytes
    content_type: str


@unit_of_work
def upload_document(actor, claim_id: int, *, kind: str, filename: str, data: bytes,
                    today: date | None = None) -> ClaimDocument:
    """Add a document to a draft (or to a claim waiting for documents)."""
    claim = access.get_claim(claim_id)
    access.require_claimant(actor, claim)
    access.require_editable(claim)
    if kind not in assessment.uploadable_kinds(claim):
        raise InvalidInput(N_("请选择材料类型。"), field="kind")
    stored = prepare_upload(data, current_app.config["UPLOAD_MAX_BYTES"])
    document, is_new = store_document(claim, kind, filename, stored, uploaded_by=access.actor_label(actor))
    if not is_new:
        return document  # the same file twice (double click, second try) is one document
    assessment.refresh_assessment(claim, today=today or clock.today())
    audit.record(actor, "claim.document_upload", "claim", claim.id, kind=kind, size=len(stored.content))
    return document


@unit_of_work
def remove_document(actor, document_id: int, *, today: date | None = None) -> Claim:
    """Take a document off a claim that is still being filled in; its file goes after the commit."""
    document = access.get_document(document_id)
    claim = document.claim
    access.require_claimant(actor, claim)
    access.require_editable(claim)
    path = document_path(document)
    claim.documents.remove(document)
    db.session.delete(document)
    assessment.refresh_assessment(claim, today=today or clock.today())
    audit.record(actor, "claim.document_remove", "claim", claim.id, kind=document.kind)
    after_commit(functools.partial(path.unlink, missing_ok=True))
    return claim


@unit_of_work
def open_document(actor, document_id: int) -> tuple[ClaimDocument, Path]:
    """A document for viewing by someone allowed to see it; every view is audited."""
    document = access.get_document(document_id)
    access.require_claim_access(actor, document.claim)
    audit.record(actor, "claim.document_view", "claim_document", document.id, claim_id=document.claim_id,
                 kind=document.kind)
    return document, document_path(document)


def prepare_upload(data: bytes, max_bytes: int) -> StoredFile:
    """Check an uploaded file by its content and size; images come back without metadata, decoded
    only under a pixel budget; PDFs with scripts, automatic actions or embedded files are refused."""
    if not data:
        raise InvalidInput(N_("文件是空的，请重新选择。"), code="upload_empty", field="file")
    if len(data) > max_bytes:
        raise InvalidInput(N_("文件大小为%(size).1fMB，超过了%(limit)sMB的限制。请压缩图片或分页拍照后再上传。"),
                           code="upload_too_large", field="file", size=len(data) / 1024 / 1024,
                           limit=max_bytes // 1024 // 1024)
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise InvalidInput(N_("只能上传JPG、PNG图片或PDF文件（按文件内容识别，改扩展名无效）。"
                              "请用手机拍照或扫描成PDF后上传。"), code="upload_type", field="file")
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput(N_("PDF文件不完整或已损坏，请重新导出后上传。"), code="upload_unreadable", field="file")
        refuse_active_pdf(data)
        return StoredFile(data, content_type)
    return StoredFile(_reencode_image(data, content_type), content_type)


def _reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode (under the pixel budget, in a child process under memory and time limits) and
    re-encode, which drops EXIF (with GPS), XMP and text chunks; keeps orientation."""
    return reencode_image(data, content_type)


def store_document(claim: Claim, kind: str, filename: str | None, stored: StoredFile, *,
                   uploaded_by: str) -> tuple[ClaimDocument, bool]:
    """Write a checked file under a random name and add its row; ``False`` when it is a repeat.

    A repeat is the same file for the same kind (a double click). The same file for another kind
    is a document of its own: one scan may be both the discharge summary and the invoice, and
    matching on the content alone left the second kind missing while saying it was uploaded. Each
    row gets its own copy, so removing one never takes the other's file away.
    The file is deleted again if the transaction that should record it rolls back.
    """
    digest = hashlib.sha256(stored.content).hexdigest()
    existing = next((doc for doc in claim.documents if doc.sha256 == digest and doc.kind == kind), None)
    if existing is not None:
        return existing, False
    token = secrets.token_hex(16)
    stored_name = f"claims/{token[:2]}/{token}.{EXTENSIONS[stored.content_type]}"
    path = _upload_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stored.content)
    on_rollback(functools.partial(path.unlink, missing_ok=True))
    document = ClaimDocument(claim=claim, kind=kind, original_name=_safe_name(filename), stored_name=stored_name,
                             content_type=stored.content_type, size_bytes=len(stored.content), sha256=digest,
                             uploaded_by=uploaded_by)
    db.session.add(document)
    return document, True


def document_path(document: ClaimDocument) -> Path:
    return _upload_root() / document.stored_name


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name
    return "".join(ch for ch in name if ch.isprintable())[:120] or "upload"

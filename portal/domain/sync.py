"""The kiosk sync protocol's rules (SYNC.md): kiosk statuses, envelope kinds and their payload
schemas, the outcome of one envelope, the change-feed cursor, and the problem codes.

Pure: no Flask, no session. The payload schemas are JSON Schema (2020-12, the dialect of
OpenAPI 3.1), so the document the kiosks read and the check the server runs are one text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from portal.domain.i18n import N_
from portal.domain.states import StateMachine

API_VERSION = "1"
# SYNC.md: a signature whose ``created`` is further than this from the server's clock is refused.
MAX_CLOCK_SKEW_SECONDS = 300
# Nonces are kept a little longer than a signature can be accepted (created ± the skew).
NONCE_TTL_SECONDS = 2 * MAX_CLOCK_SKEW_SECONDS + 60
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ENVELOPE_ID_MAX = 64


# --- kiosks -----------------------------------------------------------------------------------


class KioskStatus(StrEnum):
    PENDING = "pending"  # issued an enrolment token, no key yet
    ACTIVE = "active"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return KIOSK_MACHINE.label(self)


class KioskAction(StrEnum):
    ENROL = "enrol"
    REVOKE = "revoke"


KIOSK_MACHINE = StateMachine(
    name="kiosk",
    statuses=KioskStatus,
    labels={
        KioskStatus.PENDING: N_("待登记"),
        KioskStatus.ACTIVE: N_("使用中"),
        KioskStatus.REVOKED: N_("已停用"),
    },
    transitions={
        (KioskStatus.PENDING, KioskAction.ENROL): KioskStatus.ACTIVE,
        (KioskStatus.PENDING, KioskAction.REVOKE): KioskStatus.REVOKED,
        (KioskStatus.ACTIVE, KioskAction.REVOKE): KioskStatus.REVOKED,
    },
    action_labels={KioskAction.ENROL: N_("登记终端"), KioskAction.REVOKE: N_("停用终端")},
    initial=KioskStatus.PENDING,
)


# --- envelopes --------------------------------------------------------------------------------


class EnvelopeKind(StrEnum):
    ENROLLMENT_APPLY = "enrollment.apply"
    CAMPAIGN_CLAIM = "campaign.claim"
    CLAIM_SUBMIT = "claim.submit"
    CHILDCARE_REGISTER = "childcare.register"
    JOB_APPLY = "job.apply"

    @property
    def label(self) -> str:
        return ENVELOPE_KIND_LABELS[self]


ENVELOPE_KIND_LABELS = {
    EnvelopeKind.ENROLLMENT_APPLY: N_("参保申请"),
    EnvelopeKind.CAMPAIGN_CLAIM: N_("领取赠送保障"),
    EnvelopeKind.CLAIM_SUBMIT: N_("理赔申请"),
    EnvelopeKind.CHILDCARE_REGISTER: N_("暑托班报名"),
    EnvelopeKind.JOB_APPLY: N_("勤工俭学报名"),
}


class EnvelopeStatus(StrEnum):
    """What is stored for an envelope: only final outcomes are kept under its id."""

    APPLIED = "applied"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return ENVELOPE_STATUS_LABELS[self]


ENVELOPE_STATUS_LABELS = {
    EnvelopeStatus.APPLIED: N_("已办理"),
    EnvelopeStatus.REJECTED: N_("未能办理"),
}


class ResultStatus(StrEnum):
    """The answer for one envelope of a push (SYNC.md)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    PENDING_ATTACHMENTS = "pending_attachments"
    REJECTED = "rejected"


@dataclass(frozen=True)
class EnvelopeResult:
    id: str
    status: ResultStatus
    receipt: str | None = None
    code: str | None = None
    message: str | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "status": self.status.value, "receipt": self.receipt, "code": self.code,
                "message": self.message}


def has_unstorable_text(value) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds a NUL or a lone surrogate.

    JSON allows both (``\\u0000``, ``\\ud800``), but PostgreSQL refuses NUL in text and no database
    can store a string that is not valid UTF-8; such a value must be refused, not stored.
    Walks iteratively: a kiosk's body is untrusted and may nest deeply.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_hash(kind: str, payload, attachments) -> str:
    """What makes two envelopes under one id "the same": kind, payload and attachments, key order
    ignored. ``seq`` and ``created_at`` are the kiosk's bookkeeping and may differ on a resend."""
    return hashlib.sha256(canonical_json({"kind": kind, "payload": payload,
                                          "attachments": attachments or []}).encode()).hexdigest()


def normal_envelope_id(raw) -> str | None:
    """The envelope id in its canonical spelling (lower-case hyphenated UUID), or None."""
    if not isinstance(raw, str) or len(raw) > ENVELOPE_ID_MAX:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


# --- payload schemas (JSON Schema 2020-12) ----------------------------------------------------

ID_NUMBER_SCHEMA = {"type": "string", "minLength": 15, "maxLength": 18,
                    "description": "居民身份证号码 (18 characters, last may be X); checked centrally."}
MOBILE_SCHEMA = {"type": "string", "minLength": 11, "maxLength": 20, "description": "Mainland mobile number."}
NAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 30}
DATE_SCHEMA = {"type": "string", "format": "date"}

MEMBER_SCHEMA = {
    "type": "object",
    "description": "Who the submission is for. Must match the member record (name, ID number and the "
                   "registered mobile); a person unknown to the portal is created unverified and confirmed "
                   "by a text before any cover starts.",
    "required": ["id_number", "name", "mobile"],
    "properties": {"id_number": ID_NUMBER_SCHEMA, "name": NAME_SCHEMA, "mobile": MOBILE_SCHEMA},
}

ATTACHMENT_SCHEMA = {
    "type": "object",
    "required": ["sha256"],
    "properties": {
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "name": {"type": "string", "maxLength": 120},
        "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "application/pdf"]},
        "size": {"type": "integer", "minimum": 1},
        "role": {"type": "string", "maxLength": 40,
                 "description": "claim document kind, e.g. discharge_summary, invoice, id_card"},
    },
}

PAYLOAD_SCHEMAS: dict[EnvelopeKind, dict] = {
    EnvelopeKind.ENROLLMENT_APPLY: {
        "type": "object",
        "required": ["member", "union_code", "occupation", "is_gig_worker"],
        "properties": {
            "member": {"$ref": "#/components/schemas/Member"},
            "union_code": {"type": ["string", "null"], "maxLength": 32},
            "occupation": {"type": "string", "minLength": 1, "maxLength": 40},
            "is_gig_worker": {"type": "boolean"},
        },
    },
    EnvelopeKind.CAMPAIGN_CLAIM: {
        "type": "object",
        "required": ["member", "campaign_code", "occupation"],
        "properties": {
            "member": {"$ref": "#/components/schemas/Member"},
            "campaign_code": {"type": "string", "minLength": 1, "maxLength": 40},
            "occupation": {"type": "string", "minLength": 1, "maxLength": 40},
        },
    },
    EnvelopeKind.CLAIM_SUBMIT: {
        "type": "object",
        "required": ["member", "type", "event", "payee_name", "bank_card"],
        "properties": {
            "member": {"$ref": "#/components/schemas/Member"},
            "type": {"type": "string", "enum": ["hospital", "critical_illness", "accident"]},
            "event": {
                "type": "object",
                "description": "The type's fields: hospital → admission_date, discharge_date, hospital, "
                               "diagnosis; critical_illness → disease, diagnosis_date (hospital stay optional); "
                               "accident → accident_date, accident_description and medical_costs_fen or "
                               "disability_grade or is_death. Amounts in integer fen.",
                "properties": {
                    "admission_date": DATE_SCHEMA, "discharge_date": DATE_SCHEMA,
                    "hospital": {"type": "string", "maxLength": 120},
                    "diagnosis": {"type": "string", "maxLength": 200},
                    "disease": {"type": "string", "maxLength": 80},
                    "diagnosis_date": DATE_SCHEMA, "accident_date": DATE_SCHEMA,
                    "accident_description": {"type": "string", "maxLength": 1000},
                    "medical_costs_fen": {"type": "integer", "minimum": 0, "maximum": 2_000_000_000},
                    "disability_grade": {"type": "integer", "minimum": 1, "maximum": 10},
                    "is_death": {"type": "boolean"},
                },
            },
            "payee_name": NAME_SCHEMA,
            "bank_card": {"type": "string", "minLength": 1, "maxLength": 40},
            "bank_name": {"type": "string", "maxLength": 60},
        },
    },
    EnvelopeKind.CHILDCARE_REGISTER: {
        "type": "object",
        "required": ["parent", "class_id", "child"],
        "properties": {
            "parent": {"$ref": "#/components/schemas/Member"},
            "class_id": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
            "child": {
                "type": "object",
                "required": ["name", "id_number", "health_notes", "pickup_adults"],
                "properties": {
                    "name": NAME_SCHEMA,
                    "id_number": ID_NUMBER_SCHEMA,
                    "health_notes": {"type": "string", "maxLength": 1000},
                    "allergies": {"type": "string", "maxLength": 500},
                    "pickup_adults": {
                        "type": "array", "maxItems": 5,
                        "items": {"type": "object", "required": ["name", "mobile"],
                                  "properties": {"name": NAME_SCHEMA, "mobile": MOBILE_SCHEMA,
                                                 "relation": {"type": "string", "maxLength": 20}}},
                    },
                },
            },
            "accepted_rules": {"type": "boolean", "default": True,
                               "description": "The parent read the class's safety rules at the kiosk."},
            "declared_category": {"type": ["string", "null"], "maxLength": 40},
        },
    },
    EnvelopeKind.JOB_APPLY: {
        "type": "object",
        "required": ["parent", "position_id", "student"],
        "properties": {
            "parent": {"$ref": "#/components/schemas/Member"},
            "position_id": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
            "student": {
                "type": "object",
                "description": "A student the parent already registered on the web (found by ID number among "
                               "the parent's own); a kiosk registers no one. Other fields sent by older kiosks "
                               "are ignored.",
                "required": ["name", "id_number"],
                "properties": {"name": NAME_SCHEMA, "id_number": ID_NUMBER_SCHEMA},
            },
            "motivation": {"type": "string", "maxLength": 500},
        },
    },
}


# --- the change feed --------------------------------------------------------------------------


class FeedEntity(StrEnum):
    PLAN = "plan"
    CAMPAIGN = "campaign"
    POSITION = "position"
    CHILDCARE_CLASS = "childcare_class"
    SUBMISSION_STATUS = "submission_status"


class ChangeOp(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


@dataclass(frozen=True, order=True)
class FeedPosition:
    """A place in the feed: (transaction id, sequence). On SQLite the transaction id is always 0."""

    txid: int
    seq: int


@dataclass(frozen=True)
class Cursor:
    """Where a kiosk stands. ``snapshot`` set: still copying every current entity, the entity
    kind at index ``snapshot`` from after ``after_id``; the feed then resumes from ``position``."""

    position: FeedPosition
    snapshot: int | None = None
    after_id: str = ""

    def encode(self) -> str:
        fields = [API_VERSION, str(self.position.txid), str(self.position.seq)]
        if self.snapshot is not None:
            fields += [str(self.snapshot), self.after_id]
        return base64.urlsafe_b64encode(":".join(fields).encode()).decode().rstrip("=")


class BadCursor(ValueError):
    pass


def decode_cursor(token: str) -> Cursor:
    """Read a cursor we handed out; anything else is ``BadCursor``."""
    if not token or len(token) > 200:
        raise BadCursor(token)
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(token) from None
    fields = text.split(":")
    if fields[0] != API_VERSION or len(fields) not in (3, 5):
        raise BadCursor(token)
    try:
        txid, seq = int(fields[1]), int(fields[2])
        snapshot = int(fields[3]) if len(fields) == 5 else None
    except ValueError:
        raise BadCursor(token) from None
    if txid < 0 or seq < 0 or txid >= 2**63 or seq >= 2**63 or (snapshot is not None and snapshot < 0):
        raise BadCursor(token)
    after_id = fields[4] if len(fields) == 5 else ""
    if len(after_id) > 64:
        raise BadCursor(token)
    return Cursor(FeedPosition(txid, seq), snapshot, after_id)


# --- problems (RFC 9457) ----------------------------------------------------------------------

# code → (HTTP status, Chinese title). The ``code`` is the stable part a kiosk acts on.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad_request": (400, N_("请求格式有误")),
    "cursor_invalid": (400, N_("同步位置无效")),
    "signature_missing": (401, N_("请求未签名")),
    "signature_invalid": (401, N_("签名无效")),
    "digest_mismatch": (401, N_("内容摘要不符")),
    "clock_skew": (401, N_("终端时钟偏差过大")),
    "nonce_replayed": (401, N_("重复的请求")),
    "kiosk_unknown": (401, N_("未登记的终端")),
    "token_invalid": (401, N_("登记码无效")),
    "kiosk_revoked": (403, N_("终端已停用")),
    "not_found": (404, N_("找不到")),
    "lookup_not_found": (404, N_("找不到该查询")),
    "method_not_allowed": (405, N_("不支持的请求方法")),
    "cursor_expired": (410, N_("同步位置已过期")),
    "lookup_expired": (410, N_("查询已失效")),
    "body_too_large": (413, N_("请求内容太大")),
    "blob_too_large": (413, N_("附件太大")),
    "too_many_envelopes": (413, N_("一次提交的件数太多")),
    "unsupported_media_type": (415, N_("不支持的文件类型")),
    "hash_mismatch": (422, N_("附件内容与名称不符")),
    "blob_unreadable": (422, N_("附件已损坏")),
    "code_wrong": (422, N_("验证码不正确")),
    "invalid_input": (422, N_("填写的内容有误")),
    "key_invalid": (422, N_("公钥无效")),
    "rate_limited": (429, N_("请求太频繁")),
    "server_error": (500, N_("系统出错")),
    "overloaded": (503, N_("系统繁忙")),
}


ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "payload"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "maxLength": ENVELOPE_ID_MAX,
               "description": "Made by the kiosk; the only lasting guard against duplicates."},
        "seq": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**62,
                "description": "The kiosk's own counter (shown to staff)."},
        "kind": {"type": "string", "enum": [kind.value for kind in EnvelopeKind]},
        "created_at": {"type": ["string", "null"], "maxLength": 40,
                       "description": "RFC 3339 time the person submitted at the kiosk."},
        "payload": {"type": "object"},
        "attachments": {"type": "array", "maxItems": 20, "items": {"$ref": "#/components/schemas/Attachment"}},
    },
}

_REFS = {"#/components/schemas/Member": MEMBER_SCHEMA, "#/components/schemas/Attachment": ATTACHMENT_SCHEMA}


def inline_refs(schema):
    """The schema with our two shared parts written out, for a validator without the OpenAPI document."""
    if isinstance(schema, dict):
        if set(schema) == {"$ref"} and schema["$ref"] in _REFS:
            return inline_refs(_REFS[schema["$ref"]])
        return {key: inline_refs(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [inline_refs(item) for item in schema]
    return schema

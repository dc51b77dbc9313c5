"""Who is asking: RFC 9421 HTTP Message Signatures from kiosks, checked with
``http-message-signatures`` (Ed25519, ``keyid`` = kiosk id).

Every request must cover ``@method``, ``@authority`` and ``@target-uri`` and, when it has a body,
``content-digest`` (RFC 9530); its parameters must carry ``created``, ``nonce``, ``keyid`` and
``alg``. The library checks the signature itself; the clock window is judged here, after the
signature verified, so a kiosk whose clock is off is told the server's time (and its skew is
recorded for staff) while a forged request learns nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
)
from http_message_signatures.algorithms import ED25519
from sqlalchemy import update

from portal.domain.sync import MAX_CLOCK_SKEW_SECONDS, KioskStatus
from portal.extensions import db
from portal.models import Kiosk
from portal.services.sync import nonces
from portal.services.sync.kiosks import valid_keys
from portal.services.sync.problems import Problem
from portal.services.unit_of_work import independent_unit

REQUIRED_COMPONENTS = ("@method", "@authority", "@target-uri")
REQUIRED_PARAMETERS = ("created", "nonce", "keyid", "alg")
NONCE_MAX = 128
CONTACT_EVERY = timedelta(seconds=15)  # a busy kiosk's row is not rewritten on every request


def server_time(now: datetime) -> str:
    return now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Message:
    """The parts of an incoming request the signature library reads."""

    method: str
    url: str  # absolute, as the kiosk addressed it
    headers: object  # with items() of every field line


@dataclass(frozen=True)
class Verified:
    kiosk: Kiosk | None  # None for an enrolment (the key came with the request)
    nonce: str
    created: int
    skew_seconds: int


class _AnyOfKeys(ED25519):
    """Ed25519 against any of several public keys: two are valid while a kiosk rotates its key."""

    def __init__(self, public_key=None, private_key=None, password=None):
        self._keys = [ED25519(public_key=key) for key in (public_key or [])]

    def verify(self, signature: bytes, message: bytes):
        for key in self._keys:
            try:
                key.verify(signature=signature, message=message)
                return
            except Exception:  # noqa: S112 - the next key may be the one (cryptography's InvalidSignature)
                continue
        raise InvalidSignature("no valid key verifies the signature")


class _Verifier(HTTPMessageVerifier):
    # The library would refuse a signature from a wrong clock before we know whose it is; the
    # window is judged below, once the signature is known to be genuine.
    max_clock_skew = timedelta(days=36500)


class _KioskKeys(HTTPSignatureKeyResolver):
    def __init__(self, now: datetime):
        self.now = now
        self.kiosk: Kiosk | None = None

    def resolve_public_key(self, key_id: str):
        try:
            kiosk_id = str(uuid.UUID(key_id))
        except (ValueError, TypeError, AttributeError):
            return None
        self.kiosk = db.session.get(Kiosk, kiosk_id)
        if self.kiosk is None:
            return None
        keys = [key.public_key.encode() for key in valid_keys(self.kiosk, self.now)]
        return keys or None

    def resolve_private_key(self, key_id: str):
        raise NotImplementedError("the portal never signs as a kiosk")


class _GivenKey(HTTPSignatureKeyResolver):
    """Enrolment: the request proves it holds the private half of the key it brings."""

    def __init__(self, public_key_pem: str):
        self.pem = public_key_pem

    def resolve_public_key(self, key_id: str):
        return [self.pem.encode()]

    def resolve_private_key(self, key_id: str):
        raise NotImplementedError


def _refuse(code: str, detail: str, now: datetime) -> Problem:
    return Problem(code, detail, server_time=server_time(now))


def _check(message: Message, body: bytes, resolver, now: datetime):
    names = {name.lower() for name, _ in message.headers.items()}
    if "signature" not in names or "signature-input" not in names:
        raise _refuse("signature_missing", "请求没有签名（需要 Signature 和 Signature-Input）。", now)
    verifier = _Verifier(signature_algorithm=_AnyOfKeys, key_resolver=resolver)
    try:
        results = verifier.verify(message, max_age=None, require_components=REQUIRED_COMPONENTS)
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as error:
        if isinstance(resolver, _KioskKeys) and resolver.kiosk is None:
            raise _refuse("kiosk_unknown", "签名中的终端编号（keyid）未登记。", now) from error
        raise _refuse("signature_invalid", "签名无效。", now) from error
    if len(results) != 1:
        raise _refuse("signature_invalid", "请求只能带一个签名。", now)
    result = results[0]
    missing = [name for name in REQUIRED_PARAMETERS if name not in result.parameters]
    if missing:
        raise _refuse("signature_invalid", f"签名缺少参数：{', '.join(missing)}。", now)
    nonce = result.parameters["nonce"]
    if not isinstance(nonce, str) or not 8 <= len(nonce) <= NONCE_MAX:
        raise _refuse("signature_invalid", "签名的 nonce 应为8到128个字符。", now)
    try:
        digest_checked = ContentDigest.verify_components(result.covered_components, body)
    except (InvalidSignature, HTTPMessageSignaturesException) as error:
        raise _refuse("digest_mismatch", "请求内容与签名的 Content-Digest 不符。", now) from error
    if body and not digest_checked:
        raise _refuse("signature_invalid", "有内容的请求必须签名 content-digest。", now)
    return result


def verify_kiosk_request(message: Message, body: bytes, *, now: datetime) -> Verified:
    """The kiosk that signed this request, or a ``Problem`` (401, or 403 for a revoked kiosk)."""
    resolver = _KioskKeys(now)
    result = _check(message, body, resolver, now)
    kiosk = resolver.kiosk
    created = result.parameters["created"]
    skew = created - int(now.timestamp())
    if kiosk.status == KioskStatus.REVOKED:
        raise Problem("kiosk_revoked", "该终端已停用，请联系管理员。")
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        _record_contact(kiosk, now, skew, force=True)
        raise _refuse("clock_skew", f"终端时钟与服务器相差{skew}秒，超过{MAX_CLOCK_SKEW_SECONDS}秒。请校准时钟。", now)
    if not nonces.remember(kiosk.id, result.parameters["nonce"], now=now):
        raise _refuse("nonce_replayed", "这个请求已经收到过（nonce 重复）。", now)
    _record_contact(kiosk, now, skew)
    return Verified(kiosk, result.parameters["nonce"], created, skew)


def verify_enrolment_request(message: Message, body: bytes, public_key_pem: str, *, now: datetime) -> Verified:
    """An enrolment is signed with the key it registers (any ``keyid``): proof of possession."""
    result = _check(message, body, _GivenKey(public_key_pem), now)
    skew = result.parameters["created"] - int(now.timestamp())
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        raise _refuse("clock_skew", f"终端时钟与服务器相差{skew}秒，超过{MAX_CLOCK_SKEW_SECONDS}秒。请校准时钟。", now)
    return Verified(None, result.parameters["nonce"], result.parameters["created"], skew)


def _record_contact(kiosk: Kiosk, now: datetime, skew: int, *, force: bool = False) -> None:
    """Last contact and clock skew, for the fleet page; in a unit of its own, so a refused request
    still shows, and throttled, so a busy kiosk does not queue behind its own row."""
    recent = kiosk.last_contact_at is not None and now - kiosk.last_contact_at < CONTACT_EVERY
    if recent and not force and kiosk.clock_skew_seconds is not None and abs(kiosk.clock_skew_seconds - skew) < 5:
        return
    with independent_unit() as session:
        session.execute(update(Kiosk).where(Kiosk.id == kiosk.id)
                        .values(last_contact_at=now, clock_skew_seconds=skew))

"""Kiosks: registration (command line, or a one-time token redeemed by the kiosk), keys and their
rotation with an overlap, revocation.

A kiosk holds its Ed25519 private key; only public keys are stored here. Several keys may be
valid at once, so a kiosk can switch to a new key while requests signed with the old one are
still on the way.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import current_app
from sqlalchemy import select

from portal.domain.errors import InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.domain.sync import KIOSK_MACHINE, KioskAction, KioskStatus
from portal.extensions import db
from portal.models import Kiosk, KioskEnrolmentToken, KioskKey, Station, Union
from portal.models.base import utcnow
from portal.services import audit
from portal.services import stations as station_service
from portal.services.access import require_role
from portal.services.unit_of_work import unit_of_work

KIOSK_NOT_FOUND = N_("找不到该自助终端。")
KEY_INVALID = N_("公钥无效：请提供终端生成的Ed25519公钥（PEM格式）。")
TOKEN_INVALID = N_("登记码无效、已使用或已过期，请向管理员重新申请。")
MAX_KEYS_VALID = 3


def _label(actor) -> str:
    return audit.actor_label(actor)[:80] if actor is not None else "command line"


def parse_public_key(text: str | bytes) -> tuple[str, str]:
    """(PEM, fingerprint) of an Ed25519 public key given as PEM; ``InvalidInput`` otherwise."""
    data = text.encode() if isinstance(text, str) else bytes(text or b"")
    if len(data) > 4096:
        raise InvalidInput(KEY_INVALID, code="key_invalid", field="public_key")
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, TypeError):
        raise InvalidInput(KEY_INVALID, code="key_invalid", field="public_key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise InvalidInput(KEY_INVALID, code="key_invalid", field="public_key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem, hashlib.sha256(raw).hexdigest()


def get_kiosk(kiosk_id: str, *, for_update: bool = False) -> Kiosk:
    try:
        key = str(uuid.UUID(str(kiosk_id)))
    except ValueError:
        raise NotFound(KIOSK_NOT_FOUND) from None
    kiosk = db.session.get(Kiosk, key, with_for_update=for_update)
    if kiosk is None:
        raise NotFound(KIOSK_NOT_FOUND)
    return kiosk


def _new_key(kiosk: Kiosk, public_key: str | bytes, *, actor, now: datetime) -> KioskKey:
    pem, fingerprint = parse_public_key(public_key)
    if db.session.scalar(select(KioskKey.id).where(KioskKey.fingerprint == fingerprint)):
        raise InvalidInput(N_("这个公钥已经登记过，请在终端上重新生成密钥。"), code="key_invalid", field="public_key")
    key = KioskKey(kiosk=kiosk, public_key=pem, fingerprint=fingerprint, valid_from=now, created_by=_label(actor))
    db.session.add(key)
    return key


def _unions(codes: list[str] | None, station: Station) -> list[Union]:
    if not codes:
        return [station.union]
    unions = list(db.session.scalars(select(Union).where(Union.code.in_([c.strip().upper() for c in codes]))))
    if len(unions) != len(set(codes)):
        raise InvalidInput(N_("找不到其中的工会代码，请核对。"), field="union_codes")
    return unions


@unit_of_work
def register_kiosk(actor, *, station_code: str, name: str, public_key: str | bytes,
                   union_codes: list[str] | None = None, now: datetime | None = None) -> Kiosk:
    """Register a kiosk with its public key at once (command line, or an administrator); an
    unknown station code creates the station under the federation, to be completed later."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    now = now or utcnow()
    name = (name or "").strip()[:80]
    if not name:
        raise InvalidInput(N_("请填写终端名称。"), field="name")
    station = station_service.ensure_station(actor, station_code)
    kiosk = Kiosk(id=str(uuid.uuid4()), station=station, name=name, status=KioskStatus.PENDING,
                  unions=_unions(union_codes, station))
    db.session.add(kiosk)
    _new_key(kiosk, public_key, actor=actor, now=now)
    KIOSK_MACHINE.move(kiosk, KioskAction.ENROL)
    db.session.flush()
    audit.record(actor, "kiosk.register", "kiosk", kiosk.id, station=station.code, name=name)
    return kiosk


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@unit_of_work
def issue_enrolment_token(actor, *, station_id: int | None = None, name: str | None = None,
                          kiosk_id: str | None = None, union_codes: list[str] | None = None,
                          now: datetime | None = None) -> tuple[Kiosk, str]:
    """A one-time token (valid 24 hours) for a new kiosk at a station, or for an existing kiosk
    whose device was replaced. Only its hash is stored: the token is shown once."""
    require_role(actor, Role.ADMIN)
    now = now or utcnow()
    if kiosk_id:
        kiosk = get_kiosk(kiosk_id)
        if kiosk.status == KioskStatus.REVOKED:
            raise InvalidInput(N_("该终端已停用，不能再登记。请新建一台终端。"), code="kiosk_state")
    else:
        station = db.session.get(Station, station_id) if station_id and 0 < station_id < 2**31 else None
        if station is None:
            raise InvalidInput(station_service.STATION_NOT_FOUND, field="station_id")
        name = (name or "").strip()[:80]
        if not name:
            raise InvalidInput(N_("请填写终端名称。"), field="name")
        kiosk = Kiosk(id=str(uuid.uuid4()), station=station, name=name, status=KioskStatus.PENDING,
                      unions=_unions(union_codes, station))
        db.session.add(kiosk)
    token = secrets.token_urlsafe(24)
    hours = current_app.config["SYNC_ENROLMENT_TOKEN_HOURS"]
    db.session.add(KioskEnrolmentToken(kiosk=kiosk, token_hash=_token_hash(token),
                                       expires_at=now + timedelta(hours=hours), created_by=_label(actor)))
    db.session.flush()
    audit.record(actor, "kiosk.token_issued", "kiosk", kiosk.id)
    return kiosk, token


@unit_of_work
def redeem_enrolment_token(token: str, public_key: str | bytes, *, now: datetime | None = None) -> Kiosk:
    """The kiosk's first call: the token is used up and the kiosk's key registered."""
    now = now or utcnow()
    if not isinstance(token, str) or not 16 <= len(token) <= 100:
        raise InvalidInput(TOKEN_INVALID, code="token_invalid")
    row = db.session.scalar(select(KioskEnrolmentToken).where(KioskEnrolmentToken.token_hash == _token_hash(token))
                            .with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidInput(TOKEN_INVALID, code="token_invalid")
    kiosk = get_kiosk(row.kiosk_id, for_update=True)
    if kiosk.status == KioskStatus.REVOKED:
        raise InvalidInput(TOKEN_INVALID, code="token_invalid")
    row.used_at = now
    overlap = timedelta(hours=current_app.config["SYNC_KEY_OVERLAP_HOURS"])
    _end_other_keys(kiosk, now + overlap if kiosk.status == KioskStatus.ACTIVE else now, now)
    _new_key(kiosk, public_key, actor=None, now=now)
    if kiosk.status == KioskStatus.PENDING:
        KIOSK_MACHINE.move(kiosk, KioskAction.ENROL)
    audit.record(None, "kiosk.enrolled", "kiosk", kiosk.id, token_id=row.id)
    return kiosk


def _end_other_keys(kiosk: Kiosk, until: datetime, now: datetime) -> None:
    for key in kiosk.keys:
        if key.valid_until is None or key.valid_until > until:
            key.valid_until = max(until, key.valid_from)


@unit_of_work
def rotate_key(actor, kiosk_id: str, public_key: str | bytes, *, now: datetime | None = None) -> KioskKey:
    """Add a new key; the kiosk's other keys stay valid for the overlap, then expire.

    ``actor`` is an administrator (uploading the key the kiosk showed) or the kiosk itself, which
    signs the request with its current key.
    """
    if actor is not None and not isinstance(actor, Kiosk):
        require_role(actor, Role.ADMIN)
    now = now or utcnow()
    kiosk = get_kiosk(kiosk_id, for_update=True)
    if kiosk.status != KioskStatus.ACTIVE:
        raise InvalidInput(N_("只有使用中的终端可以更换密钥。"), code="kiosk_state")
    valid = [key for key in kiosk.keys if key.valid_at(now)]
    if len(valid) >= MAX_KEYS_VALID:
        raise InvalidInput(N_("该终端同时有效的密钥已达%(max)s个，请等旧密钥过期或先停用旧密钥。"),
                           code="too_many_keys", max=MAX_KEYS_VALID)
    _end_other_keys(kiosk, now + timedelta(hours=current_app.config["SYNC_KEY_OVERLAP_HOURS"]), now)
    key = _new_key(kiosk, public_key, actor=actor, now=now)
    db.session.flush()
    audit.record(actor if not isinstance(actor, Kiosk) else None, "kiosk.key_rotated", "kiosk", kiosk.id,
                 fingerprint=key.fingerprint[:16])
    return key


@unit_of_work
def retire_key(actor, key_id: int, *, now: datetime | None = None) -> KioskKey:
    """End a key's validity now (a key that leaked, or the overlap need not wait)."""
    require_role(actor, Role.ADMIN)
    now = now or utcnow()
    key = db.session.get(KioskKey, key_id) if 0 < key_id < 2**31 else None
    if key is None:
        raise NotFound(N_("找不到该密钥。"))
    if key.valid_until is None or key.valid_until > now:
        key.valid_until = max(now, key.valid_from)
    audit.record(actor, "kiosk.key_retired", "kiosk", key.kiosk_id, key_id=key.id)
    return key


@unit_of_work
def revoke_kiosk(actor, kiosk_id: str, *, now: datetime | None = None) -> Kiosk:
    """Stop a kiosk for good: every request it signs is refused with 403 from now on."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    now = now or utcnow()
    kiosk = get_kiosk(kiosk_id, for_update=True)
    KIOSK_MACHINE.move(kiosk, KioskAction.REVOKE)
    kiosk.revoked_at = now
    audit.record(actor, "kiosk.revoked", "kiosk", kiosk.id)
    return kiosk


def valid_keys(kiosk: Kiosk, now: datetime) -> list[KioskKey]:
    return [key for key in kiosk.keys if key.valid_at(now)]

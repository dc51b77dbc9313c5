"""Kiosks and what the sync protocol keeps: keys, enrolment tokens, nonces, received envelopes,
attachments (blobs), the change feed and live look-ups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.sync import ChangeOp, EnvelopeStatus, KioskStatus
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.stations import Station
from portal.models.unions import Union
from portal.pii import EncryptedText

# The unions whose members a kiosk serves (a station's union, and neighbours it works with).
kiosk_unions = Table(
    "kiosk_unions",
    db.metadata,
    Column("kiosk_id", ForeignKey("kiosks.id", ondelete="CASCADE"), primary_key=True),
    Column("union_id", ForeignKey("unions.id"), primary_key=True),
)


class Kiosk(TimestampMixin, db.Model):
    __tablename__ = "kiosks"
    __table_args__ = (status_check(KioskStatus),)

    # A random UUID: the ``keyid`` of every signature, and what the kiosk calls itself.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default=KioskStatus.PENDING)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last push or pull answered 200
    # What the kiosk said in its last session: submissions waiting in its outbox, its software.
    reported_backlog: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    software_version: Mapped[str | None] = mapped_column(String(40))
    # Seconds the kiosk's clock is ahead (+) or behind (−), from its last signature's ``created``.
    clock_skew_seconds: Mapped[int | None] = mapped_column(Integer)

    station: Mapped[Station] = relationship()
    unions: Mapped[list[Union]] = relationship(secondary=kiosk_unions, order_by="Union.code")
    keys: Mapped[list[KioskKey]] = relationship(back_populates="kiosk", order_by="KioskKey.valid_from")

    @property
    def status_label(self) -> str:
        return KioskStatus(self.status).label

    def __repr__(self) -> str:
        return f"<Kiosk {self.id} {self.name}>"


class KioskKey(db.Model):
    """An Ed25519 public key of a kiosk. Several may be valid at once while a key is rotated."""

    __tablename__ = "kiosk_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), index=True)
    public_key: Mapped[str] = mapped_column(Text)  # PEM (SubjectPublicKeyInfo)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the raw 32 bytes
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None: until replaced
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))

    kiosk: Mapped[Kiosk] = relationship(back_populates="keys")

    def valid_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


class KioskEnrolmentToken(db.Model):
    """A one-time token an administrator hands to a station; only its hash is kept."""

    __tablename__ = "kiosk_enrolment_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))

    kiosk: Mapped[Kiosk] = relationship()


class SyncNonce(db.Model):
    """A signature nonce seen from a kiosk, kept until no signature carrying it could be accepted."""

    __tablename__ = "sync_nonces"
    __table_args__ = (UniqueConstraint("kiosk_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(36))
    nonce: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SyncEnvelope(db.Model):
    """The outcome of one envelope, under the kiosk's id for it: the guard against a second effect."""

    __tablename__ = "sync_envelopes"
    __table_args__ = (UniqueConstraint("kiosk_id", "envelope_id"), status_check(EnvelopeStatus),
                      Index("ix_sync_envelopes_status_handled", "status", "handled_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), index=True)
    envelope_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)  # the kiosk's own counter, for staff
    kind: Mapped[str] = mapped_column(String(32))
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    receipt: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)  # Chinese, as the kiosk shows it
    msgid: Mapped[str | None] = mapped_column(Text)  # the same message, translatable for staff pages
    message_params: Mapped[dict | None] = mapped_column(JSON)
    # A rejected envelope's payload, kept (encrypted) for staff until they have dealt with it.
    payload: Mapped[str | None] = mapped_column(EncryptedText)
    created_at_kiosk: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(80))

    kiosk: Mapped[Kiosk] = relationship()

    @property
    def status_label(self) -> str:
        return EnvelopeStatus(self.status).label


class SyncBlob(db.Model):
    """An attachment, named by the SHA-256 of the bytes the kiosk sent (images are kept re-encoded)."""

    __tablename__ = "sync_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(200))  # under UPLOAD_FOLDER
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)  # as stored
    received_bytes: Mapped[int] = mapped_column(Integer)  # as sent
    kiosk_id: Mapped[str | None] = mapped_column(ForeignKey("kiosks.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SyncChange(db.Model):
    """One row of the change feed, written in the transaction of the change it tells of."""

    __tablename__ = "sync_changes"
    __table_args__ = (Index("ix_sync_changes_position", "txid", "seq"), status_check(ChangeOp, "op"),
                      {"sqlite_autoincrement": True})

    # Never reused (AUTOINCREMENT on SQLite), so a cursor never meets a recycled number.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # PostgreSQL: the writing transaction's id (pg_current_xact_id); 0 on SQLite, whose writers are serial.
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict | None] = mapped_column(JSON)
    kiosk_id: Mapped[str | None] = mapped_column(String(36), index=True)  # submission_status: that kiosk only
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SyncFeedHorizon(db.Model):
    """How far the feed has been pruned: a cursor before this point gets 410 and starts over."""

    __tablename__ = "sync_feed_horizon"

    id: Mapped[int] = mapped_column(primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SyncLookup(db.Model):
    """A live look-up from a kiosk: a code texted to the member when ID number and mobile matched.

    A row exists for a stranger too (``member_id`` empty), so the answer never tells who is a member.
    """

    __tablename__ = "sync_lookups"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # random, URL-safe
    kiosk_id: Mapped[str] = mapped_column(ForeignKey("kiosks.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

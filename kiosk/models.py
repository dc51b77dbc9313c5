"""The kiosk's own tables, in its own SQLite file.

Three kinds of rows: local copies of the central reference data (fed by the change feed, with
the cursor in ``settings`` written in the same transaction), the outbox (one envelope per
submission, with the printable receipt written in the same transaction), and attachments kept
by hash until the central side has acknowledged the submission that carries them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kiosk.domain import OutboxState
from portal.models.base import UtcDateTime, status_check, utcnow

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Small named values: the kiosk id, the central URL, the feed cursor, the last sync."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[object] = mapped_column(JSON, nullable=True)


class Reference(Base):
    """One entity of the change feed (plan, campaign, position, childcare_class) as last pulled."""

    __tablename__ = "reference"
    entity: Mapped[str] = mapped_column(String(30), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Envelope(Base):
    """One submission waiting for (or holding) the central answer. ``payload`` is the personal
    part: it is deleted once the central side has answered for good."""

    __tablename__ = "outbox"
    __table_args__ = (status_check(OutboxState, "state"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.QUEUED.value, index=True)
    central_receipt: Mapped[str | None] = mapped_column(String(80))
    code: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    receipt: Mapped[Receipt] = relationship(back_populates="envelope", uselist=False)


class Receipt(Base):
    """What the person takes away: a number to look the submission up by, and masked facts only."""

    __tablename__ = "receipts"
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("outbox.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[list] = mapped_column(JSON, default=list)  # [[label msgid, masked value], …]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    envelope: Mapped[Envelope] = relationship(back_populates="receipt")


class Blob(Base):
    """An attachment by its SHA-256; the bytes live in ``instance/kiosk/blobs``."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the server said it holds it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

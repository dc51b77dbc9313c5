"""Text messages: every text the portal sends is a row first (the outbox), then delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.domain.identity import mask_mobile
from portal.domain.texts import SMS_STATUS_LABELS, SmsStatus, text_label
from portal.extensions import db
from portal.models.base import UtcDateTime, status_check, utcnow
from portal.pii import EncryptedText


class SmsMessage(db.Model):
    __tablename__ = "sms_messages"
    __table_args__ = (status_check(SmsStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(EncryptedText)
    mobile_hash: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # login_code, claim_decided, …
    body: Mapped[str] = mapped_column(EncryptedText)  # encrypted: a reminder names the hospital
    # What the text is about, e.g. ("claim", "123"): lets reminders avoid repeating themselves.
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=SmsStatus.QUEUED, index=True)
    send_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    backend: Mapped[str | None] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(120), index=True)
    # The provider's delivery report: its own status code as sent, and when it said so.
    provider_status: Mapped[str | None] = mapped_column(String(32))
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # For a text carrying a one-time code: a random seed from which, with the server's key (not in
    # the database), the code is derived at send time. ``body`` holds the code masked.
    code_seed: Mapped[str | None] = mapped_column(String(64))

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def status_label(self) -> str:
        return SMS_STATUS_LABELS.get(SmsStatus(self.status), self.status)

    @property
    def kind_label(self) -> str:
        return text_label(self.kind)


class SmsRequest(db.Model):
    """A visitor asked for a text to a mobile (a sign-in or confirmation code), whether or not one
    was sent: counted per recipient to cap texts a stranger can trigger, the same way for a
    member's mobile and anyone else's (the cap must not tell who is a member)."""

    __tablename__ = "sms_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class SmsTemplate(db.Model):
    """An administrator's wording of one template (a kind, and an outcome for kinds with several);
    without a row the text uses the portal's own wording. Every change is in the audit log."""

    __tablename__ = "sms_templates"
    __table_args__ = (UniqueConstraint("kind", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

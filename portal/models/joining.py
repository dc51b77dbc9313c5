"""Joining online (网上入会): the texted codes that prove a mobile, and the join requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.joining import DECLINE_REASONS, JOIN, DeclineReason, JoinStatus
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.members import Member
from portal.models.people import PersonalDataMixin
from portal.models.unions import Union
from portal.pii import EncryptedText


class JoinCode(db.Model):
    """A code asked for on the joining page. A row is written for members too (with ``member_id``
    and no text), so the next step fails for them exactly as for a wrong code."""

    __tablename__ = "join_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Kept encrypted until the request is made, so the next step need not ask for them again.
    id_number: Mapped[str] = mapped_column(EncryptedText)
    mobile: Mapped[str] = mapped_column(EncryptedText)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    code_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class JoinRequest(PersonalDataMixin, TimestampMixin, db.Model):
    """One person asking one union to take them as a member; confirmed, it names the member."""

    __tablename__ = "join_requests"
    __table_args__ = (
        # One open request per person: a second submission finds the first.
        Index("uq_join_requests_open_person", "id_number_hash", unique=True,
              sqlite_where=text("status = 'submitted'"), postgresql_where=text("status = 'submitted'")),
        status_check(JoinStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(EncryptedText)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str] = mapped_column(EncryptedText)
    mobile_hash: Mapped[str] = mapped_column(String(64))
    occupation: Mapped[str] = mapped_column(String(40))
    employer: Mapped[str] = mapped_column(String(60))  # platform or employer, as typed
    has_social_insurance: Mapped[bool] = mapped_column(Boolean, default=False)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JOIN.initial, index=True)
    # The optional photo of a work proof, checked and stripped like claim documents.
    proof_stored_name: Mapped[str | None] = mapped_column(String(120))
    proof_content_type: Mapped[str | None] = mapped_column(String(40))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    decline_note: Mapped[str | None] = mapped_column(EncryptedText)  # the officer's own words, for staff
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))

    union: Mapped[Union] = relationship()
    member: Mapped[Member | None] = relationship()

    @property
    def status_label(self) -> str:
        return JOIN.label(self.status)

    @property
    def decline_reason_label(self) -> str | None:
        return DECLINE_REASONS[DeclineReason(self.decline_reason)] if self.decline_reason else None

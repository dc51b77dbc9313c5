"""One-time sign-in codes for members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UtcDateTime, utcnow


class LoginCode(db.Model):
    """A code requested for an ID number. Rows exist for strangers too, so answers never differ."""

    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    code_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StaffLoginLock(db.Model):
    """Wrong passwords for one staff account from one client address, and the lock they earned.

    By (account, address), not by account: anyone can type a username five times, and a flat lock
    would let them keep a reviewer out of work; from the reviewer's own address the right password
    still works. Each lock from the same address lasts twice as long as the one before.
    """

    __tablename__ = "staff_login_locks"
    __table_args__ = (UniqueConstraint("user_id", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    address_hash: Mapped[str] = mapped_column(String(64))  # keyed hash: no addresses kept in clear
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locks: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

"""The hardship register: one record per member's family, and its history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.hardship import HARDSHIP, HardshipAction, HardshipLevel, HardshipStatus, is_active
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.members import Member
from portal.models.unions import Union
from portal.pii import EncryptedText


class HardshipFamily(TimestampMixin, db.Model):
    """A member's family on the register (建档困难职工家庭). One record per member: removing and
    re-registering moves the same record, so its history stays in one place."""

    __tablename__ = "hardship_families"
    __table_args__ = (status_check(HardshipStatus), status_check(HardshipLevel, "level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    # The union that keeps the record (the member's at registration): officers' scope.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(EncryptedText)  # why the family is in hardship (at most 200)
    registered_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)  # the next review is due by this day
    status: Mapped[str] = mapped_column(String(12), default=HardshipStatus.REGISTERED, index=True)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    member: Mapped[Member] = relationship(back_populates="hardship")
    union: Mapped[Union] = relationship()
    events: Mapped[list[HardshipEvent]] = relationship(back_populates="family", order_by="HardshipEvent.id",
                                                      cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_active(self) -> bool:
        return is_active(self.status)

    @property
    def status_label(self) -> str:
        return HARDSHIP.label(self.status)

    @property
    def level_label(self) -> str:
        return HardshipLevel(self.level).label

    def __repr__(self) -> str:
        return f"<HardshipFamily {self.id} {self.level} {self.status}>"


class HardshipEvent(db.Model):
    """One step of a record's history: registered, reviewed, removed, restored, by whom and why."""

    __tablename__ = "hardship_events"
    __table_args__ = (status_check(HardshipAction, "action"), status_check(HardshipStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("hardship_families.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))  # the status after the step
    level: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(EncryptedText)  # at most 200
    actor_label: Mapped[str] = mapped_column(String(80))

    family: Mapped[HardshipFamily] = relationship(back_populates="events")

    @property
    def action_label(self) -> str:
        return HARDSHIP.action_labels[HardshipAction(self.action)]

    @property
    def status_label(self) -> str:
        return HARDSHIP.label(self.status)

"""Singles' events, their participants and mutual choices; the collective wedding and its couples.

Places are counters on the event row kept under a row lock by the services, with CHECKs behind
them: whatever the code does, the database never holds more places than the event has, nor (for
a balanced event) more than half of them for one sex.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain import events as rules
from portal.domain.events import (
    COUPLE,
    EVENT,
    PARTICIPANT,
    CoupleStatus,
    EventStatus,
    ParticipantStatus,
    Places,
)
from portal.domain.identity import mask_name
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check
from portal.models.members import Member
from portal.models.unions import Union
from portal.pii import EncryptedText


class SinglesEvent(TimestampMixin, db.Model):
    """One "缘起工会 携手逐梦" event of an organising union, open to the members of its subtree."""

    __tablename__ = "singles_events"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("places_taken >= 0 AND places_taken <= capacity", name="places_within_capacity"),
        CheckConstraint("men_taken >= 0 AND women_taken >= 0 AND men_taken + women_taken = places_taken",
                        name="places_by_sex"),
        CheckConstraint("NOT balanced OR (men_taken * 2 <= capacity AND women_taken * 2 <= capacity)",
                        name="places_balanced"),
        status_check(EventStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer)
    balanced: Mapped[bool] = mapped_column(Boolean, default=False)
    min_age: Mapped[int] = mapped_column(Integer, default=22)
    max_age: Mapped[int] = mapped_column(Integer, default=40)
    registration_opens_on: Mapped[date] = mapped_column(Date)
    registration_closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT, index=True)
    places_taken: Mapped[int] = mapped_column(Integer, default=0)
    men_taken: Mapped[int] = mapped_column(Integer, default=0)
    women_taken: Mapped[int] = mapped_column(Integer, default=0)
    last_number: Mapped[int] = mapped_column(Integer, default=0)  # participant numbers 1, 2, …
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    union: Mapped[Union] = relationship()

    @property
    def places(self) -> Places:
        return Places(self.capacity, self.balanced, self.places_taken, self.men_taken, self.women_taken)

    @property
    def places_left(self) -> int:
        return self.capacity - self.places_taken

    @property
    def hours_label(self) -> str:
        return f"{self.starts_at:%H:%M}—{self.ends_at:%H:%M}"

    def phase(self, today: date) -> rules.Phase:
        return rules.phase(today, opens_on=self.registration_opens_on, closes_on=self.registration_closes_on,
                           held_on=self.held_on)

    @property
    def status_label(self) -> str:
        return EVENT.label(self.status)

    def __repr__(self) -> str:
        return f"<SinglesEvent {self.id} {self.title}>"


class SinglesParticipant(TimestampMixin, db.Model):
    """A member's registration for an event; other participants know it only by its number."""

    __tablename__ = "singles_participants"
    __table_args__ = (
        UniqueConstraint("event_id", "number"),
        # One live registration per member and event, whatever double submits happen.
        Index("uq_singles_participants_live_member", "event_id", "member_id", unique=True,
              sqlite_where=text("status NOT IN ('cancelled', 'declined')"),
              postgresql_where=text("status NOT IN ('cancelled', 'declined')")),
        CheckConstraint("gender IN ('M', 'F')", name="gender_known"),
        status_check(ParticipantStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("singles_events.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # The member's union when registering: its officers confirm membership.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 嘉宾编号, the only thing other participants see
    gender: Mapped[str] = mapped_column(String(1))  # from the ID number, for the balance
    status: Mapped[str] = mapped_column(String(16), default=ParticipantStatus.REQUESTED, index=True)
    declared_single_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    event: Mapped[SinglesEvent] = relationship()
    member: Mapped[Member] = relationship()
    union: Mapped[Union] = relationship()

    @property
    def status_label(self) -> str:
        return PARTICIPANT.label(self.status)

    @property
    def holds_place(self) -> bool:
        return self.status in rules.HOLDING_STATUSES


class SinglesChoice(db.Model):
    """One participant naming another's number after the event. Never shown to the one chosen:
    a match is read from two choices that point at each other."""

    __tablename__ = "singles_choices"
    __table_args__ = (UniqueConstraint("participant_id", "chosen_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("singles_events.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("singles_participants.id"), index=True)
    chosen_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    participant: Mapped[SinglesParticipant] = relationship()


class Wedding(TimestampMixin, db.Model):
    """A collective wedding (集体婚礼) of an organising union, for a set number of couples."""

    __tablename__ = "weddings"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("couples_taken >= 0 AND couples_taken <= capacity", name="couples_within_capacity"),
        status_check(EventStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    programme: Mapped[str] = mapped_column(Text, default="")  # one item a line: "14:00 新人入场"
    capacity: Mapped[int] = mapped_column(Integer)  # couples
    registration_opens_on: Mapped[date] = mapped_column(Date)
    registration_closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT, index=True)
    couples_taken: Mapped[int] = mapped_column(Integer, default=0)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    union: Mapped[Union] = relationship()

    def phase(self, today: date) -> rules.Phase:
        return rules.phase(today, opens_on=self.registration_opens_on, closes_on=self.registration_closes_on,
                           held_on=self.held_on)

    @property
    def status_label(self) -> str:
        return EVENT.label(self.status)

    @property
    def programme_items(self) -> list[str]:
        return [line.strip() for line in (self.programme or "").splitlines() if line.strip()]


class WeddingCouple(TimestampMixin, db.Model):
    """A couple registered by one of them (a member); the partner may be a worker too, or not."""

    __tablename__ = "wedding_couples"
    __table_args__ = (
        UniqueConstraint("wedding_id", "number"),
        Index("uq_wedding_couples_live_member", "wedding_id", "member_id", unique=True,
              sqlite_where=text("status NOT IN ('cancelled', 'declined')"),
              postgresql_where=text("status NOT IN ('cancelled', 'declined')")),
        status_check(CoupleStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wedding_id: Mapped[int] = mapped_column(ForeignKey("weddings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    partner_name: Mapped[str] = mapped_column(String(30))
    partner_id_number: Mapped[str] = mapped_column(EncryptedText)
    partner_id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Set when the partner is a member too (found by ID number): both workers.
    partner_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    certificate_on: Mapped[date] = mapped_column(Date)
    # Whether both agreed to have their names printed in the programme.
    names_in_programme: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=CoupleStatus.REQUESTED, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    wedding: Mapped[Wedding] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    union: Mapped[Union] = relationship()

    @property
    def status_label(self) -> str:
        return COUPLE.label(self.status)

    @property
    def both_workers(self) -> bool:
        return self.partner_member_id is not None

    @property
    def masked_partner_name(self) -> str:
        return mask_name(self.partner_name)

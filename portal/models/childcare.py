"""Summer childcare ("工娃小家"): classes, children, registrations, attendance, pick-up, notices.

Children's data is the most sensitive in the portal: the child's ID number, health notes and the
pick-up adults' mobiles are encrypted at rest; what staff see in lists is masked.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
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

from portal.domain.childcare import (
    ATTENDANCE,
    CATEGORY_LABELS,
    CLASS,
    PHASE_LABELS,
    REGISTRATION,
    AttendanceStatus,
    ClassStatus,
    Phase,
    PriorityCategory,
    RegistrationStatus,
    Schedule,
    SeatSource,
    class_phase,
    weekdays_label,
)
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.members import Member
from portal.models.people import PersonalDataMixin
from portal.models.staff import StaffUser
from portal.models.unions import Union
from portal.pii import EncryptedText


class ChildcareClass(TimestampMixin, db.Model):
    """One summer class of one union organisation, with a fixed number of seats."""

    __tablename__ = "childcare_classes"
    __table_args__ = (
        # The last line of defence: whatever the code does, the database never holds more
        # confirmed children than seats.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name="seats_within_capacity"),
        CheckConstraint("seats > 0", name="seats_positive"),
        status_check(ClassStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)  # the organising union
    name: Mapped[str] = mapped_column(String(120))
    site_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(40), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[str] = mapped_column(String(7), default="12345")  # ISO weekdays as digits
    daily_start: Mapped[time] = mapped_column(Time)
    daily_end: Mapped[time] = mapped_column(Time)
    seats: Mapped[int] = mapped_column(Integer)
    # Confirmed children, kept by the services under a row lock on the class.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    min_age: Mapped[int] = mapped_column(Integer, default=6)
    max_age: Mapped[int] = mapped_column(Integer, default=12)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    meals: Mapped[str] = mapped_column(String(200), default="")
    programme: Mapped[str] = mapped_column(Text, default="")
    staff_and_volunteers: Mapped[str] = mapped_column(Text, default="")
    safety_rules: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # the site's public phone
    registration_opens_on: Mapped[date] = mapped_column(Date)
    registration_closes_on: Mapped[date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(16), default=ClassStatus.DRAFT, index=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)  # registration numbers 1, 2, …
    allocated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    union: Mapped[Union] = relationship()
    ballot: Mapped[ChildcareBallot | None] = relationship(back_populates="childcare_class", uselist=False)

    @property
    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(ch) for ch in self.weekdays)

    @property
    def weekdays_label(self) -> str:
        return weekdays_label(self.weekday_set)

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.starts_on, self.ends_on, self.weekday_set, self.daily_start, self.daily_end)

    @property
    def seats_left(self) -> int:
        return self.seats - self.seats_taken

    @property
    def hours_label(self) -> str:
        return f"{self.daily_start:%H:%M}—{self.daily_end:%H:%M}"

    def phase(self, today: date) -> Phase:
        return class_phase(today, opens_on=self.registration_opens_on, closes_on=self.registration_closes_on,
                           starts_on=self.starts_on, ends_on=self.ends_on, allocated=self.allocated_at is not None)

    def phase_label(self, today: date) -> str:
        return PHASE_LABELS[self.phase(today)]

    @property
    def status_label(self) -> str:
        return CLASS.label(self.status)

    def __repr__(self) -> str:
        return f"<ChildcareClass {self.id} {self.name}>"


class ChildcareBallot(db.Model):
    """The recorded draw of one class: the entries, the seed and the result, so anyone can re-run it."""

    __tablename__ = "childcare_ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("childcare_classes.id"), unique=True)
    seed: Mapped[str] = mapped_column(String(64))
    seats: Mapped[int] = mapped_column(Integer)  # seats that were free for the draw
    entries: Mapped[list] = mapped_column(JSON)  # [[registration number, tier], …] as drawn
    order: Mapped[list] = mapped_column(JSON)  # registration numbers in seat order
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(80))

    childcare_class: Mapped[ChildcareClass] = relationship(back_populates="ballot")

    @property
    def confirmed(self) -> list[int]:
        return list(self.order[: self.seats])

    @property
    def waitlisted(self) -> list[int]:
        return list(self.order[self.seats:])


class Child(PersonalDataMixin, TimestampMixin, db.Model):
    """A child as one parent registered them. Another parent registering the same child makes a
    second row; ``id_number_hash`` ties them together for the overlapping-classes rule."""

    __tablename__ = "childcare_children"
    __table_args__ = (UniqueConstraint("parent_id", "id_number_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(EncryptedText)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    # Health notes and allergies: shown only to the organiser of the child's class, each view audited.
    health_notes: Mapped[str | None] = mapped_column(EncryptedText)
    allergies: Mapped[str | None] = mapped_column(EncryptedText)

    parent: Mapped[Member] = relationship()
    pickup_adults: Mapped[list[PickupAdult]] = relationship(
        back_populates="child", order_by="PickupAdult.id", cascade="all, delete-orphan")

    @property
    def authorised_adults(self) -> list[PickupAdult]:
        return [adult for adult in self.pickup_adults if adult.is_active]

    @property
    def has_health_notes(self) -> bool:
        return bool(self.health_notes or self.allergies)


class PickupAdult(PersonalDataMixin, db.Model):
    """An adult the parent authorised to collect the child."""

    __tablename__ = "childcare_pickup_adults"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("childcare_children.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    relation: Mapped[str] = mapped_column(String(20))
    mobile: Mapped[str] = mapped_column(EncryptedText)
    mobile_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Kept (not deleted) when the parent changes the list: past pick-ups still name who came.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    child: Mapped[Child] = relationship(back_populates="pickup_adults")


class Registration(TimestampMixin, db.Model):
    """One child's place (or wish for one) in one class."""

    __tablename__ = "childcare_registrations"
    __table_args__ = (
        UniqueConstraint("class_id", "number"),
        # A double submit cannot put the same child in the same class twice.
        Index("uq_childcare_registrations_live_child", "class_id", "child_id", unique=True,
              sqlite_where=text("status != 'cancelled'"), postgresql_where=text("status != 'cancelled'")),
        status_check(RegistrationStatus),
        status_check(SeatSource, "seat_source"),
        status_check(PriorityCategory, "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("childcare_classes.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("childcare_children.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 报名序号 within the class: public in the ballot
    status: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(24))
    category_declared: Mapped[bool] = mapped_column(Boolean, default=False)  # rests on the parent's word
    tier: Mapped[int] = mapped_column(Integer)
    queue_number: Mapped[int | None] = mapped_column(Integer)  # waitlist order key
    seat_source: Mapped[str | None] = mapped_column(String(16))
    accepted_rules_at: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    childcare_class: Mapped[ChildcareClass] = relationship()
    child: Mapped[Child] = relationship()
    parent: Mapped[Member] = relationship()

    @property
    def status_label(self) -> str:
        return REGISTRATION.label(self.status)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[PriorityCategory(self.category)]

    @property
    def is_live(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED


class Attendance(TimestampMixin, db.Model):
    """One child on one class day: arrived or absent, and who collected them."""

    __tablename__ = "childcare_attendance"
    __table_args__ = (UniqueConstraint("registration_id", "day"), status_check(AttendanceStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("childcare_registrations.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("childcare_classes.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    picked_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pickup_adult_id: Mapped[int | None] = mapped_column(ForeignKey("childcare_pickup_adults.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    registration: Mapped[Registration] = relationship()
    pickup_adult: Mapped[PickupAdult | None] = relationship()
    recorded_by: Mapped[StaffUser | None] = relationship()

    @property
    def status_label(self) -> str:
        return ATTENDANCE.label(self.status)


class ClassNotice(db.Model):
    """A notice the organiser sent by text to the parents of a class."""

    __tablename__ = "childcare_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("childcare_classes.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    sent_by: Mapped[StaffUser | None] = relationship()

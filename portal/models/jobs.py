"""Work-study "关爱·圆梦": caring enterprises, their positions, students, applications and placements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.identity import mask_mobile
from portal.domain.jobs import (
    APPLICATION_STATUS_LABELS,
    CLOSED_REASON_LABELS,
    CONCERN_CATEGORY_LABELS,
    CONCERN_STATUS_LABELS,
    ENTERPRISE_STATUS_LABELS,
    PAY_UNIT_LABELS,
    PLACEMENT_SHOWN_LABELS,
    PLACEMENT_SHOWN_TONES,
    POSITION_STATUS_LABELS,
    ApplicationStatus,
    ConcernCategory,
    ConcernStatus,
    EnterpriseStatus,
    PayUnit,
    PlacementShown,
    PlacementStatus,
    PositionStatus,
    placement_shown,
    position_closed_reason,
)
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.members import Member
from portal.models.people import PersonalDataMixin
from portal.models.unions import Union
from portal.pii import EncryptedText, lookup_hash


class Enterprise(TimestampMixin, db.Model):
    """A caring enterprise (爱心企业), overseen by the union it registered under."""

    __tablename__ = "enterprises"
    __table_args__ = (status_check(EnterpriseStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码, checked by stdnum
    district: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The union that approves the enterprise and watches over its placements.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(40))
    # The contact person's own mobile: personal data, encrypted like a member's.
    contact_mobile: Mapped[str] = mapped_column(EncryptedText)
    contact_mobile_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=EnterpriseStatus.PENDING, index=True)
    # None: registered by its contact person. Staff accounts point at enterprises too: ``use_alter``
    # breaks the cycle when tables are created, SET NULL when rows are removed in either order.
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", use_alter=True, ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", use_alter=True, ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_note: Mapped[str | None] = mapped_column(String(200))

    union: Mapped[Union] = relationship()

    def set_contact_mobile(self, mobile: str) -> None:
        self.contact_mobile = mobile
        self.contact_mobile_hash = lookup_hash(mobile)

    @property
    def masked_contact_mobile(self) -> str:
        return mask_mobile(self.contact_mobile)

    @property
    def is_approved(self) -> bool:
        return self.status == EnterpriseStatus.APPROVED

    @property
    def status_label(self) -> str:
        return ENTERPRISE_STATUS_LABELS[EnterpriseStatus(self.status)]


class Position(TimestampMixin, db.Model):
    """A caring position (爱心岗位). ``filled`` only moves by an atomic conditional UPDATE."""

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint("filled >= 0 AND filled <= places", name="filled_within_places"),
        status_check(PositionStatus),
        Index("ix_positions_listing", "status", "apply_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)  # the enterprise's, for scope
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(40), index=True)
    address: Mapped[str] = mapped_column(String(200))
    majors: Mapped[str] = mapped_column(String(200))  # suitable majors or skills, free text
    places: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    pay_fen: Mapped[int] = mapped_column(Integer)
    pay_unit: Mapped[str] = mapped_column(String(8), default=PayUnit.DAY)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    apply_by: Mapped[date] = mapped_column(Date)  # 报名截止: closed the day after
    hours: Mapped[str] = mapped_column(String(80))  # e.g. "周一至周五 9:00—17:00"
    min_age: Mapped[int] = mapped_column(Integer, default=16)
    safety_notes: Mapped[str] = mapped_column(Text)
    # The enterprise's signed promise: an agreement with the student, accident insurance bought.
    agreement_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=PositionStatus.OPEN)
    closed_reason: Mapped[str | None] = mapped_column(String(16))
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # The union's review: a new position is public only once approved; a refusal keeps its reason.
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_note: Mapped[str | None] = mapped_column(String(200))

    enterprise: Mapped[Enterprise] = relationship()

    @property
    def status_label(self) -> str:
        return POSITION_STATUS_LABELS[PositionStatus(self.status)]

    def closed_reason_on(self, today: date) -> str | None:
        if self.status == PositionStatus.CLOSED:
            return self.closed_reason or "withdrawn"
        return position_closed_reason(status=self.status, filled=self.filled, places=self.places,
                                      apply_by=self.apply_by, today=today)

    def closed_label_on(self, today: date) -> str | None:
        reason = self.closed_reason_on(today)
        return CLOSED_REASON_LABELS.get(reason) if reason else None

    @property
    def places_left(self) -> int:
        return max(self.places - self.filled, 0)

    @property
    def pay_unit_label(self) -> str:
        return PAY_UNIT_LABELS[PayUnit(self.pay_unit)]

    @property
    def major_list(self) -> list[str]:
        return [part.strip() for part in self.majors.replace("，", ",").replace("、", ",").split(",") if part.strip()]


class Student(PersonalDataMixin, TimestampMixin, db.Model):
    """A member's child at university. ID number and mobile encrypted, found by keyed hash."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(EncryptedText)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    mobile: Mapped[str] = mapped_column(EncryptedText)
    mobile_hash: Mapped[str] = mapped_column(String(64), index=True)
    school: Mapped[str] = mapped_column(String(80))
    major: Mapped[str] = mapped_column(String(80))
    year_of_study: Mapped[str] = mapped_column(String(20))  # 大一 … 研三
    registered_via: Mapped[str] = mapped_column(String(16), default="member")  # member | student

    parent: Mapped[Member] = relationship()

    @property
    def is_hardship_family(self) -> bool:
        """Read from the parent, where the union keeps the flag up to date."""
        return bool(self.parent and self.parent.is_hardship_family)



class Application(TimestampMixin, db.Model):
    """A student's application (报名) to one position; one per student and position."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("student_id", "position_id"), status_check(ApplicationStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.SUBMITTED, index=True)
    motivation: Mapped[str | None] = mapped_column(Text)  # the student's few words to the enterprise
    # Snapshot when applied: the enterprise reads hardship families first.
    is_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16), default="member")  # member | student | kiosk
    decision_note: Mapped[str | None] = mapped_column(EncryptedText)  # the enterprise's words (at most 300)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    student: Mapped[Student] = relationship()
    position: Mapped[Position] = relationship()
    placement: Mapped[Placement | None] = relationship(back_populates="application")

    @property
    def status_label(self) -> str:
        return APPLICATION_STATUS_LABELS[ApplicationStatus(self.status)]

    @property
    def contact_visible_to_enterprise(self) -> bool:
        return self.status == ApplicationStatus.ACCEPTED


class Placement(TimestampMixin, db.Model):
    """A student at work (上岗): agreement, insurance, attendance, concerns, then days and pay."""

    __tablename__ = "placements"
    __table_args__ = (status_check(PlacementStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PlacementStatus.CONFIRMED, index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    agreement_signed_on: Mapped[date | None] = mapped_column(Date)
    insurer: Mapped[str | None] = mapped_column(String(80))
    insurance_policy_no: Mapped[str | None] = mapped_column(String(60))
    days_worked: Mapped[int | None] = mapped_column(Integer)
    pay_received_fen: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    certificate_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The student's own link (texted on confirmation): keyed hash of a random token, never the token.
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    application: Mapped[Application] = relationship(back_populates="placement")
    position: Mapped[Position] = relationship()
    student: Mapped[Student] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    union: Mapped[Union] = relationship()
    reports: Mapped[list[AttendanceReport]] = relationship(
        back_populates="placement", order_by="AttendanceReport.week_starting.desc()")
    concerns: Mapped[list[Concern]] = relationship(back_populates="placement", order_by="Concern.id.desc()")

    def shown_on(self, today: date) -> PlacementShown:
        """The placement's status as every page words it (``portal.domain.jobs.placement_shown``)."""
        return placement_shown(self.status, self.starts_on, today)

    @property
    def shown_status(self) -> PlacementShown:
        from portal import clock

        return self.shown_on(clock.today())

    @property
    def status_label(self) -> str:
        return PLACEMENT_SHOWN_LABELS[self.shown_status]

    @property
    def status_tone(self) -> str:
        return PLACEMENT_SHOWN_TONES.get(self.shown_status, "warn")

    @property
    def days_reported(self) -> int:
        return sum(report.days_present for report in self.reports)


class AttendanceReport(db.Model):
    """One week's attendance of one placement, reported by the enterprise (one row per week)."""

    __tablename__ = "attendance_reports"
    __table_args__ = (UniqueConstraint("placement_id", "week_starting"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    week_starting: Mapped[date] = mapped_column(Date)  # a Monday
    days_present: Mapped[int] = mapped_column(Integer)
    hours_worked: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    placement: Mapped[Placement] = relationship(back_populates="reports")


class Concern(TimestampMixin, db.Model):
    """A problem the student raises (unpaid wages, safety, hours); it goes straight to the union."""

    __tablename__ = "concerns"
    __table_args__ = (status_check(ConcernStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    raised_via: Mapped[str] = mapped_column(String(16))  # student (own link) | member (the parent)
    status: Mapped[str] = mapped_column(String(16), default=ConcernStatus.OPEN, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    placement: Mapped[Placement] = relationship(back_populates="concerns")

    @property
    def category_label(self) -> str:
        return CONCERN_CATEGORY_LABELS[ConcernCategory(self.category)]

    @property
    def status_label(self) -> str:
        return CONCERN_STATUS_LABELS[ConcernStatus(self.status)]


class StudentVerification(db.Model):
    """A code someone must bring back before a student is linked to a parent.

    A student applying alone (``position_id`` set): the parent confirms with a code texted to the
    member's mobile, and the student with one texted to their own (``student_code_hash``). A
    member registering a child (``position_id`` empty, ``parent_member_id`` the member): the
    student confirms with a code texted to their own mobile (``code_hash``). Only then may the
    answer depend on whether another parent registered the student.

    What the student typed waits here, encrypted, until the code comes back; it never sits in
    the (signed but readable) session cookie.
    """

    __tablename__ = "student_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    # None when the parent's ID number and mobile matched no member: the code can never succeed,
    # yet the page answers the same, so a stranger cannot learn who is a member.
    parent_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    payload: Mapped[str] = mapped_column(EncryptedText)  # JSON of the student's details
    code_hash: Mapped[str] = mapped_column(String(64))
    student_code_hash: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

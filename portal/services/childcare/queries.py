"""What the childcare pages show: the public list, a parent's registrations, a class's roster,
notices and attendance sheet, and the union's overview. Reads only; nothing here writes."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain import childcare as rules
from portal.domain.childcare import AttendanceStatus, ClassStatus, RegistrationStatus
from portal.domain.errors import NotFound
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.childcare import Attendance, Child, ChildcareClass, ClassNotice, Registration
from portal.services.access import require_role, union_scope
from portal.services.childcare.permissions import (
    CLASS_NOT_FOUND,
    REGISTRATION_NOT_FOUND,
    STAFF_VIEWERS,
    get_class,
    get_registration,
    require_staff_viewer_of,
)

# --- the public list ----------------------------------------------------------------------


def public_classes(*, today: date | None = None, district: str | None = None) -> list[ChildcareClass]:
    """Published classes that have not finished, soonest first, for the phone and kiosk list."""
    today = today or clock.today()
    stmt = (select(ChildcareClass).where(ChildcareClass.status == ClassStatus.PUBLISHED,
                                         ChildcareClass.ends_on >= today)
            .options(selectinload(ChildcareClass.union))
            .order_by(ChildcareClass.starts_on, ChildcareClass.id))
    if district:
        stmt = stmt.where(ChildcareClass.district == district)
    return list(db.session.scalars(stmt))


def public_districts() -> list[str]:
    return [d for d in db.session.scalars(
        select(ChildcareClass.district).where(ChildcareClass.status == ClassStatus.PUBLISHED)
        .distinct().order_by(ChildcareClass.district)) if d]


def get_public_class(class_id: int) -> ChildcareClass:
    cls = get_class(class_id)
    if cls.status != ClassStatus.PUBLISHED:
        raise NotFound(CLASS_NOT_FOUND)
    return cls


# --- the parent's registrations -----------------------------------------------------------


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next child to get a seat; ``None`` when not wait-listed."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.class_id == registration.class_id, Registration.status == RegistrationStatus.WAITLISTED,
        Registration.queue_number < registration.queue_number))
    return ahead + 1


@dataclass(frozen=True)
class ParentView:
    registration: Registration
    waitlist_position: int | None
    # For the class's staff only: another family registered the same child (same ID number) in
    # this class or one at the same time. Parents are never told (see ``registrations._refuse_overlap``).
    shared_with_another_family: bool = False


def my_registrations(parent) -> list[ParentView]:
    require_role(parent, Role.MEMBER)
    rows = db.session.scalars(
        select(Registration).where(Registration.parent_id == parent.id)
        .options(selectinload(Registration.childcare_class), selectinload(Registration.child))
        .order_by(Registration.id.desc()))
    return [ParentView(row, waitlist_position(row)) for row in rows]


def registration_for_parent(parent, registration_id: int) -> ParentView:
    """One of the parent's own registrations; another family's is simply not found."""
    require_role(parent, Role.MEMBER)
    registration = get_registration(registration_id)
    if registration.parent_id != parent.id:
        raise NotFound(REGISTRATION_NOT_FOUND)
    return ParentView(registration, waitlist_position(registration))


# --- the organiser's and union's pages ----------------------------------------------------


def managed_classes(actor) -> list[ChildcareClass]:
    """Classes in the actor's union subtree (the federation sees all)."""
    require_role(actor, *STAFF_VIEWERS)
    stmt = union_scope(select(ChildcareClass), actor, ChildcareClass.union_id)
    return list(db.session.scalars(stmt.options(selectinload(ChildcareClass.union))
                                   .order_by(ChildcareClass.starts_on.desc(), ChildcareClass.id)))


def class_for_staff(actor, class_id: int) -> ChildcareClass:
    cls = get_class(class_id)
    require_staff_viewer_of(actor, cls)
    return cls


STATUS_ORDER = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.REQUESTED: 1,
                RegistrationStatus.WAITLISTED: 2, RegistrationStatus.CANCELLED: 3}


def class_roster(actor, class_id: int) -> list[ParentView]:
    """Every registration of a class, confirmed first, then requests, the waitlist in order, cancellations."""
    cls = class_for_staff(actor, class_id)
    rows = list(db.session.scalars(
        select(Registration).where(Registration.class_id == cls.id)
        .options(selectinload(Registration.child), selectinload(Registration.parent))))
    rows.sort(key=lambda r: (STATUS_ORDER[RegistrationStatus(r.status)], r.queue_number or 0, r.number))
    waiting = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    positions = {row.id: index for index, row in enumerate(waiting, start=1)}
    shared = shared_with_another_family(cls, rows)
    return [ParentView(row, positions.get(row.id), row.id in shared) for row in rows]


def shared_with_another_family(cls: ChildcareClass, rows: list[Registration]) -> set[int]:
    """The live registrations among ``rows`` (of ``cls``) whose child another parent registered
    too, in this class or in one whose days and hours overlap it: the staff decide which stays."""
    live = {row.id: row for row in rows if row.status != RegistrationStatus.CANCELLED}
    hashes = {row.child.id_number_hash for row in live.values()}
    if not hashes:
        return set()
    others = db.session.execute(
        select(Child.id_number_hash, Registration.parent_id, Registration.id, ChildcareClass)
        .join(Child, Registration.child_id == Child.id)
        .join(ChildcareClass, Registration.class_id == ChildcareClass.id)
        .where(Child.id_number_hash.in_(hashes), Registration.status != RegistrationStatus.CANCELLED,
               ChildcareClass.status != ClassStatus.CANCELLED)).all()
    shared = set()
    for row in live.values():
        for id_hash, parent_id, registration_id, other_class in others:
            if (id_hash == row.child.id_number_hash and parent_id != row.parent_id and registration_id != row.id
                    and (other_class.id == cls.id or rules.schedules_overlap(other_class.schedule, cls.schedule))):
                shared.add(row.id)
                break
    return shared


def class_notices(actor, class_id: int) -> list[ClassNotice]:
    cls = class_for_staff(actor, class_id)
    return list(db.session.scalars(select(ClassNotice).where(ClassNotice.class_id == cls.id)
                                   .order_by(ClassNotice.id.desc())))


@dataclass
class AttendanceRow:
    registration: Registration
    attendance: Attendance | None
    present_days: int = 0
    possible_days: int = 0

    @property
    def rate(self) -> float | None:
        return rules.attendance_rate(self.present_days, self.possible_days)


def days_held(cls: ChildcareClass, today: date) -> list[date]:
    return cls.schedule.days(until=today)


def attendance_sheet(actor, class_id: int, day: date, *, today: date | None = None) -> list[AttendanceRow]:
    """The confirmed children of a class with their attendance on ``day`` and their rate so far."""
    today = today or clock.today()
    cls = class_for_staff(actor, class_id)
    registrations = list(db.session.scalars(
        select(Registration).where(Registration.class_id == cls.id,
                                   Registration.status == RegistrationStatus.CONFIRMED)
        .options(selectinload(Registration.child).selectinload(Child.pickup_adults))
        .order_by(Registration.number)))
    marks = {a.registration_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.class_id == cls.id, Attendance.day == day)
        .options(selectinload(Attendance.pickup_adult)))}
    present = dict(db.session.execute(
        select(Attendance.registration_id, func.count(Attendance.id))
        .where(Attendance.class_id == cls.id, Attendance.status == AttendanceStatus.PRESENT,
               Attendance.day <= today)
        .group_by(Attendance.registration_id)).all())
    held = len(days_held(cls, today))
    return [AttendanceRow(r, marks.get(r.id), present.get(r.id, 0), held) for r in registrations]


# --- the union's overview -----------------------------------------------------------------


@dataclass
class ClassSummary:
    cls: ChildcareClass
    by_status: Counter
    by_category: Counter  # confirmed and waiting requests by priority category
    present_days: int
    possible_days: int

    @property
    def attendance_rate(self) -> float | None:
        return rules.attendance_rate(self.present_days, self.possible_days)


@dataclass
class Overview:
    classes: list[ClassSummary]
    by_category: Counter
    seats: int
    seats_taken: int
    waitlisted: int
    children_served: int  # distinct children holding a seat in any class in scope

    @property
    def attendance_rate(self) -> float | None:
        return rules.attendance_rate(sum(c.present_days for c in self.classes),
                                     sum(c.possible_days for c in self.classes))


def overview(actor, *, today: date | None = None) -> Overview:
    """Seats, registrations by priority category, attendance and children served, across the scope."""
    today = today or clock.today()
    classes = managed_classes(actor)
    ids = [c.id for c in classes]
    by_status: dict[int, Counter] = defaultdict(Counter)
    by_category: dict[int, Counter] = defaultdict(Counter)
    served: set[str] = set()
    if ids:
        rows = db.session.execute(
            select(Registration.class_id, Registration.status, Registration.category, Child.id_number_hash)
            .join(Child, Registration.child_id == Child.id).where(Registration.class_id.in_(ids))).all()
        for class_id, status, category, id_hash in rows:
            by_status[class_id][status] += 1
            if status != RegistrationStatus.CANCELLED:
                by_category[class_id][category] += 1
            if status == RegistrationStatus.CONFIRMED:
                served.add(id_hash)
    present = dict(db.session.execute(
        select(Attendance.class_id, func.count(Attendance.id))
        .where(Attendance.class_id.in_(ids), Attendance.status == AttendanceStatus.PRESENT)
        .group_by(Attendance.class_id)).all()) if ids else {}
    summaries = []
    for cls in classes:
        confirmed = by_status[cls.id][RegistrationStatus.CONFIRMED]
        possible = confirmed * len(days_held(cls, today))
        summaries.append(ClassSummary(cls, by_status[cls.id], by_category[cls.id], present.get(cls.id, 0), possible))
    total_by_category = sum((s.by_category for s in summaries), Counter())
    return Overview(
        classes=summaries, by_category=total_by_category,
        seats=sum(c.seats for c in classes if c.status == ClassStatus.PUBLISHED),
        seats_taken=sum(c.seats_taken for c in classes),
        waitlisted=sum(s.by_status[RegistrationStatus.WAITLISTED] for s in summaries),
        children_served=len(served),
    )


# --- what a cancellation would do ---------------------------------------------------------------

@dataclass(frozen=True)
class CancelPreview:
    """Shown before an organiser cancels a seat: whose, and who moves up from the waitlist."""

    registration: Registration
    promoted: Registration | None  # the first on the waitlist, who gets the freed seat
    families_texted: int


def cancel_preview(actor, registration_id: int) -> CancelPreview:
    from portal.services.childcare.permissions import require_organiser_of

    registration = get_registration(registration_id)
    require_organiser_of(actor, registration.childcare_class)
    cls = registration.childcare_class
    promoted = None
    if registration.status == RegistrationStatus.CONFIRMED and cls.allocated_at is not None:
        promoted = db.session.scalar(
            select(Registration).where(Registration.class_id == cls.id,
                                       Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.queue_number, Registration.id).limit(1))
    cancellable = registration.status != RegistrationStatus.CANCELLED
    return CancelPreview(registration, promoted, int(cancellable) + int(promoted is not None))

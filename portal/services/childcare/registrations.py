"""Registrations: a parent registers a child or cancels; the organiser checks a declared priority
and, for the class's own children, reads health notes and the family's numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain import childcare as rules
from portal.domain.childcare import (
    REGISTRATION,
    ClassStatus,
    Phase,
    PriorityCategory,
    RegistrationAction,
    RegistrationStatus,
)
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.identity import IdNumber, parse_id_number, parse_mobile
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member
from portal.models.childcare import Child, ChildcareClass, PickupAdult, Registration
from portal.models.members import GIG_OCCUPATIONS, SANITATION_OCCUPATION
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, role_of
from portal.services.childcare import allocation, texts
from portal.services.childcare.permissions import (
    CLASS_NOT_FOUND,
    REGISTRATION_NOT_FOUND,
    get_registration,
    lock_class,
    require_class_own_organiser,
    require_organiser_of,
    today_in_china,
)
from portal.services.unit_of_work import savepoint, unit_of_work


@dataclass
class PickupInput:
    name: str
    relation: str
    mobile: str


@dataclass
class ChildInput:
    """What a parent fills in for a child (also the payload of a kiosk registration)."""

    name: str
    id_number: str
    health_notes: str = ""
    allergies: str = ""
    pickup_adults: list[PickupInput] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedChild:
    name: str
    identity: IdNumber
    health_notes: str | None
    allergies: str | None
    pickup_adults: list[PickupInput]


# --- checks -------------------------------------------------------------------------------


def normalise_name(value: str | None) -> str:
    return " ".join((value or "").split())[:30]


def _checked_declaration(accepted_rules: bool, declared: PriorityCategory | str | None) -> PriorityCategory | None:
    if not accepted_rules:
        raise InvalidInput(N_("请阅读并同意本班的安全须知后再报名。"), code="rules_not_accepted", field="accept_rules")
    if not declared:
        return None
    try:
        return PriorityCategory(declared)
    except ValueError:
        raise InvalidInput(N_("请选择列出的优先类别。"), field="declared_category") from None


def _open_phase(cls: ChildcareClass, today: date) -> Phase:
    """Where the class stands, when it still takes registrations."""
    if cls.status != ClassStatus.PUBLISHED:
        raise NotFound(CLASS_NOT_FOUND)
    phase = cls.phase(today)
    if phase is Phase.NOT_OPEN:
        raise InvalidInput(N_("本班将于%(day)s开始报名，请届时再来。"), code="window_not_open",
                           day=cls.registration_opens_on)
    if phase in (Phase.RUNNING, Phase.FINISHED):
        raise InvalidInput(N_("本班已于%(day)s开班，不再接受报名。可以看看其他尚未开班的班级。"),
                           code="class_started", day=cls.starts_on)
    return phase


def _checked_pickup_adults(rows: list[PickupInput]) -> list[PickupInput]:
    adults = []
    seen = set()
    for index, adult in enumerate(rows, start=1):
        adult_name = normalise_name(adult.name)
        if not adult_name and not (adult.mobile or "").strip():
            continue  # an empty row of the form
        if not adult_name:
            raise InvalidInput(N_("请填写第%(number)s位接送人的姓名。"), field="pickup_adults", number=index)
        try:
            mobile = parse_mobile(adult.mobile)
        except InvalidInput:
            raise InvalidInput(N_("接送人%(name)s的手机号码不正确，请填写11位手机号码。"),
                               code="mobile_invalid", field="pickup_adults", name=adult_name) from None
        if mobile in seen:
            raise InvalidInput(N_("同一个手机号码只能登记一位接送人。"), field="pickup_adults")
        seen.add(mobile)
        adults.append(PickupInput(adult_name, (adult.relation or "").strip()[:20] or "家属", mobile))
    if not adults:
        raise InvalidInput(N_("请至少登记一位可以接孩子的成年人及其手机号码。"), field="pickup_adults")
    if len(adults) > rules.MAX_PICKUP_ADULTS:
        raise InvalidInput(N_("接送人最多%(max)s位。"), field="pickup_adults", max=rules.MAX_PICKUP_ADULTS)
    return adults


def checked_child(data: ChildInput, cls: ChildcareClass, today: date) -> CheckedChild:
    """What the parent typed, checked: a name, an ID number of the class's ages, pick-up adults."""
    name = normalise_name(data.name)
    if not name:
        raise InvalidInput(N_("请填写孩子的姓名。"), field="child_name")
    try:
        identity = parse_id_number(data.id_number, today=today)
    except InvalidInput as error:
        raise InvalidInput(error.msgid, code=error.code, field="child_id_number", **error.params) from None
    rules.check_age(identity.birth_date, cls.starts_on, cls.min_age, cls.max_age)
    return CheckedChild(name, identity, (data.health_notes or "").strip()[:1000] or None,
                        (data.allergies or "").strip()[:500] or None, _checked_pickup_adults(data.pickup_adults))


def _overlapping_registration(parent: Member, id_hash: str, cls: ChildcareClass,
                              own_child_id: int | None) -> Registration | None:
    """A live registration of the same child, by this parent, in a class at the same time.

    Only the parent's own registrations count here: another family's registration of the same
    child never changes the answer a parent gets (anyone who knows a child's ID number would learn
    that some other member registered the child). Clashes between families are shown to the
    classes' staff instead (``queries.shared_with_another_family``), who resolve them.
    """
    rows = db.session.scalars(
        select(Registration).join(Child, Registration.child_id == Child.id)
        .join(ChildcareClass, Registration.class_id == ChildcareClass.id)
        .where(Child.id_number_hash == id_hash, Registration.parent_id == parent.id,
               Registration.status != RegistrationStatus.CANCELLED,
               ChildcareClass.status != ClassStatus.CANCELLED)
        .options(selectinload(Registration.childcare_class))
    )
    for row in rows:
        if row.class_id == cls.id and row.child_id == own_child_id:
            continue
        if row.class_id == cls.id or rules.schedules_overlap(row.childcare_class.schedule, cls.schedule):
            return row
    return None


def _refuse_overlap(parent: Member, cls: ChildcareClass, id_hash: str, child: Child | None) -> None:
    """One child, one class at a time: the parent's own registrations are refused here; the same
    child registered by another parent is left to the classes' staff (see above)."""
    clash = _overlapping_registration(parent, id_hash, cls, child.id if child else None)
    if clash is None:
        return
    if clash.class_id == cls.id:
        raise Conflict(N_("这个孩子已报名本班，时间与本班重叠，同一时间只能参加一个班。如需改报，请先取消原报名。"),
                       code="child_in_overlapping_class", field="child_id_number")
    raise Conflict(
        N_("这个孩子已报名“%(class_name)s”，时间与本班重叠，同一时间只能参加一个班。如需改报，请先取消原报名。"),
        code="child_in_overlapping_class", field="child_id_number", class_name=clash.childcare_class.name)


def family_category(parent: Member, declared: PriorityCategory | None) -> tuple[PriorityCategory, bool]:
    """The family's priority category, and whether it rests on the parent's declaration."""
    recorded = rules.categories_from_record(
        is_gig_worker=parent.is_gig_worker, occupation=parent.occupation,
        is_hardship_family=parent.is_hardship_family, gig_occupations=GIG_OCCUPATIONS,
        sanitation_occupation=SANITATION_OCCUPATION)
    return rules.effective_category(recorded, declared)


def recorded_category(parent: Member) -> PriorityCategory:
    """The family's priority category as the member record shows it (before any declaration)."""
    return family_category(parent, None)[0]


# --- writes -------------------------------------------------------------------------------


def set_pickup_adults(child: Child, adults: list[PickupInput]) -> None:
    """Keep adults whose mobile is still listed, add new ones, retire the others (never delete:
    past pick-ups keep naming who came)."""
    wanted = {lookup_hash(adult.mobile): adult for adult in adults}
    for existing in child.pickup_adults:
        adult = wanted.pop(existing.mobile_hash, None)
        existing.is_active = adult is not None
        if adult is not None:
            existing.name, existing.relation = adult.name, adult.relation
    for adult in wanted.values():
        row = PickupAdult(name=adult.name, relation=adult.relation, is_active=True)
        row.set_mobile(adult.mobile)
        child.pickup_adults.append(row)


def _save_child(parent: Member, child: Child | None, checked: CheckedChild) -> Child:
    """The parent's record of the child, made on the first registration and kept up to date."""
    if child is None:
        child = Child(parent_id=parent.id)
        child.set_identity(checked.identity)
        db.session.add(child)
    child.name = checked.name
    child.health_notes, child.allergies = checked.health_notes, checked.allergies
    set_pickup_adults(child, checked.pickup_adults)
    return child


def _new_registration(cls: ChildcareClass, child: Child, parent: Member, declared: PriorityCategory | None,
                      phase: Phase, now: datetime) -> Registration:
    """The next number of the class: a request in the window; after it a seat or the waitlist (the
    first registration after the window draws the window's requests first)."""
    category, is_declared = family_category(parent, declared)
    if phase is Phase.AWAITING_DRAW:
        allocation.draw(cls, now, drawn_by="system (first registration after the window)")
        phase = Phase.FIRST_COME
    cls.last_number += 1
    registration = Registration(
        childcare_class=cls, child=child, parent_id=parent.id, number=cls.last_number,
        category=category, category_declared=is_declared, tier=category.tier,
        accepted_rules_at=now, requested_at=now, status=REGISTRATION.initial,
    )
    if phase is not Phase.WINDOW_OPEN:
        allocation.seat_or_waitlist(cls, registration, now)
    db.session.add(registration)
    return registration


# --- actions ------------------------------------------------------------------------------


@unit_of_work
def register_child(parent: Member, class_id: int, data: ChildInput, *, accepted_rules: bool,
                   declared_category: PriorityCategory | str | None = None,
                   now: datetime | None = None) -> Registration:
    """A signed-in parent registers a child: a request in the window, a seat or the waitlist after.

    Registering the same child in the same class again returns the existing registration.
    """
    require_role(parent, Role.MEMBER)
    now = now or clock.now()
    today = today_in_china(now)
    declared = _checked_declaration(accepted_rules, declared_category)
    cls = lock_class(class_id)
    phase = _open_phase(cls, today)
    checked = checked_child(data, cls, today)
    id_hash = lookup_hash(checked.identity.value)
    child = db.session.scalar(
        select(Child).where(Child.parent_id == parent.id, Child.id_number_hash == id_hash)
        .with_for_update().execution_options(populate_existing=True))
    if child is not None:
        existing = db.session.scalar(select(Registration).where(
            Registration.class_id == cls.id, Registration.child_id == child.id,
            Registration.status != RegistrationStatus.CANCELLED))
        if existing is not None:
            return existing  # a second submit
    _refuse_overlap(parent, cls, id_hash, child)
    try:
        with savepoint():
            child = _save_child(parent, child, checked)
            registration = _new_registration(cls, child, parent, declared, phase, now)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        # Another tab (or a double tap) registered the same child a moment ago.
        raise Conflict(N_("这个孩子的报名刚刚已提交，请到“我的暑托报名”查看。"), code="duplicate") from None
    texts.text_status(registration)
    audit.record(parent, "childcare.register", "childcare_registration", registration.id,
                 class_id=cls.id, number=registration.number, status=registration.status,
                 category=registration.category, declared=registration.category_declared)
    return registration


@unit_of_work
def cancel_registration(actor, registration_id: int, *, reason: str = "", now: datetime | None = None
                        ) -> list[Registration]:
    """The parent (or the class's organiser) cancels; a freed seat goes to the next on the waitlist.

    Returns the registrations promoted. Cancelling twice changes nothing the second time.
    """
    now = now or clock.now()
    registration = get_registration(registration_id)
    by_parent = role_of(actor) is Role.MEMBER
    if by_parent and registration.parent_id != actor.id:
        raise NotFound(REGISTRATION_NOT_FOUND)
    if not by_parent:
        require_organiser_of(actor, registration.childcare_class)
    cls = lock_class(registration.class_id)
    db.session.refresh(registration, with_for_update=True)
    if registration.status == RegistrationStatus.CANCELLED:
        return []
    if cls.phase(today_in_china(now)) is Phase.FINISHED:
        raise InvalidInput(N_("本班已结班，报名记录不能再取消。"), code="class_finished")
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    REGISTRATION.move(registration, RegistrationAction.CANCEL)
    registration.cancelled_at = now
    registration.cancel_reason = rules.cancel_reason_words(reason)
    promoted = []
    if was_confirmed:
        cls.seats_taken -= 1
        if cls.allocated_at is not None:
            promoted = allocation.promote(cls, now)
    if not by_parent:
        texts.text_cancelled_by_class(registration)
    audit.record(actor, "childcare.cancel", "childcare_registration", registration.id, class_id=cls.id,
                 was_confirmed=was_confirmed, promoted=[r.id for r in promoted])
    return promoted


@unit_of_work
def review_declared_category(actor, registration_id: int, *, accept: bool) -> Registration:
    """The organiser checks a priority the parent declared (e.g. "spouse is a courier") before
    the draw: confirmed, it stands; refused, the family falls back to what its record shows.

    After the draw the seats are decided, so a declaration can no longer move a child.
    """
    registration = get_registration(registration_id)
    require_organiser_of(actor, registration.childcare_class)
    if not registration.category_declared:
        return registration  # already checked (a second tap)
    if registration.status != RegistrationStatus.REQUESTED:
        raise Conflict(N_("名额已经分配，自报的优先类别不能再调整。"), code="already_allocated")
    declared = registration.category
    if not accept:
        category = recorded_category(registration.parent)
        registration.category, registration.tier = category, category.tier
    registration.category_declared = False
    audit.record(actor, "childcare.category_confirmed" if accept else "childcare.category_refused",
                 "childcare_registration", registration.id, declared=str(declared),
                 category=str(registration.category))
    return registration


@unit_of_work
def view_health_notes(actor, registration_id: int) -> Registration:
    """Health notes, allergies and the family's full phone numbers, for the organiser of the
    child's class only (to act when a child is unwell or a stranger comes to collect); every view
    audited."""
    registration = get_registration(registration_id)
    require_class_own_organiser(actor, registration.childcare_class)
    if registration.status == RegistrationStatus.CANCELLED:
        raise PermissionDenied(N_("该报名已取消，不再提供孩子的健康信息。"))
    audit.record(actor, "childcare.health_notes_view", "childcare_registration", registration.id,
                 class_id=registration.class_id, child_id=registration.child_id)
    return registration

"""Summer childcare ("工娃小家"): one function per action of organisers, parents and the union.

Seats are decided under a row lock on the class (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writers on its own), and the ``seats_taken <= seats`` check constraint backs it up, so
concurrent registrations, cancellations and the draw can never confirm more children than seats.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain import childcare as rules
from portal.domain.childcare import (
    ATTENDANCE,
    ATTENDANCE_ACTIONS,
    CLASS,
    REGISTRATION,
    AttendanceStatus,
    BallotEntry,
    ClassAction,
    ClassStatus,
    Phase,
    PriorityCategory,
    RegistrationAction,
    RegistrationStatus,
    SeatSource,
)
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.identity import mask_mobile, parse_id_number, parse_mobile
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, Union
from portal.models.childcare import (
    Attendance,
    Child,
    ChildcareBallot,
    ChildcareClass,
    ClassNotice,
    PickupAdult,
    Registration,
)
from portal.models.members import GIG_OCCUPATIONS, SANITATION_OCCUPATION
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, role_of, union_scope
from portal.services.sms import queue_text

STAFF_VIEWERS = (Role.CHILDCARE_ORGANISER, Role.UNION_OFFICER, Role.ADMIN)
MAX_SEATS = 500
MAX_NOTICE_LENGTH = 300
NOTICE_REPEAT_WINDOW = timedelta(minutes=2)


# --- inputs -------------------------------------------------------------------------------


@dataclass
class ClassInput:
    """What an organiser fills in for a class."""

    name: str
    site_name: str
    address: str
    starts_on: date
    ends_on: date
    weekdays: list[int]
    daily_start: time
    daily_end: time
    seats: int
    registration_opens_on: date
    registration_closes_on: date
    safety_rules: str
    min_age: int = rules.DEFAULT_MIN_AGE
    max_age: int = rules.DEFAULT_MAX_AGE
    fee_fen: int = 0
    meals: str = ""
    programme: str = ""
    staff_and_volunteers: str = ""
    contact_phone: str | None = None
    union_code: str | None = None


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


def _today(now: datetime) -> date:
    return now.astimezone(clock.CHINA).date()


# --- permission helpers -------------------------------------------------------------------


def _get_class(class_id: int) -> ChildcareClass:
    cls = db.session.get(ChildcareClass, class_id)
    if cls is None:
        raise NotFound(N_("找不到该暑托班。"))
    return cls


def _lock_class(class_id: int) -> ChildcareClass:
    """The class row, locked for the rest of the transaction and re-read from the database."""
    cls = db.session.scalar(
        select(ChildcareClass).where(ChildcareClass.id == class_id)
        .with_for_update().execution_options(populate_existing=True)
    )
    if cls is None:
        raise NotFound(N_("找不到该暑托班。"))
    return cls


def _require_organiser_of(actor, cls: ChildcareClass) -> None:
    """The organiser running this class: its own organisation or one below it."""
    require_role(actor, Role.CHILDCARE_ORGANISER)
    require_union_in_scope(actor, cls.union)


def _require_class_own_organiser(actor, cls: ChildcareClass) -> None:
    """An organiser of the very organisation that runs the class: the issue keeps children's
    health notes and family phone numbers from everyone else, district organisers included."""
    require_role(actor, Role.CHILDCARE_ORGANISER)
    if actor.union_id != cls.union_id:
        raise PermissionDenied(N_("孩子的健康信息和家庭联系方式只对本班所属组织的托管班负责人开放。"))


def _require_staff_viewer_of(actor, cls: ChildcareClass) -> None:
    require_role(actor, *STAFF_VIEWERS)
    require_union_in_scope(actor, cls.union)


# --- classes ------------------------------------------------------------------------------


def _checked_class_fields(data: ClassInput) -> dict:
    text_fields = {"name": (data.name, 120, "班级名称"), "site_name": (data.site_name, 120, "托管地点"),
                   "address": (data.address, 200, "地址"), "safety_rules": (data.safety_rules, 4000, "安全须知")}
    cleaned = {}
    for key, (value, limit, label) in text_fields.items():
        value = (value or "").strip()
        if not value:
            raise InvalidInput(f"请填写{label}。", field=key)
        if len(value) > limit:
            raise InvalidInput(f"{label}最多{limit}字。", field=key)
        cleaned[key] = value
    if not 1 <= data.seats <= MAX_SEATS:
        raise InvalidInput(f"名额应在1到{MAX_SEATS}之间。", field="seats")
    if not 3 <= data.min_age <= data.max_age <= 17:
        raise InvalidInput(N_("年龄范围应在3到17岁之间，且最小年龄不大于最大年龄。"), field="min_age")
    if data.daily_start >= data.daily_end:
        raise InvalidInput(N_("每日结束时间应晚于开始时间。"), field="daily_end")
    if data.fee_fen < 0:
        raise InvalidInput(N_("费用不能为负数。"), field="fee")
    rules.check_class_dates(opens_on=data.registration_opens_on, closes_on=data.registration_closes_on,
                            starts_on=data.starts_on, ends_on=data.ends_on)
    weekdays = rules.parse_weekdays(data.weekdays)
    return {
        **cleaned,
        "starts_on": data.starts_on, "ends_on": data.ends_on,
        "weekdays": "".join(str(d) for d in sorted(weekdays)),
        "daily_start": data.daily_start, "daily_end": data.daily_end, "seats": data.seats,
        "min_age": data.min_age, "max_age": data.max_age, "fee_fen": data.fee_fen,
        "meals": (data.meals or "").strip()[:200], "programme": (data.programme or "").strip()[:4000],
        "staff_and_volunteers": (data.staff_and_volunteers or "").strip()[:2000],
        "contact_phone": (data.contact_phone or "").strip()[:20] or None,
        "registration_opens_on": data.registration_opens_on,
        "registration_closes_on": data.registration_closes_on,
    }


def _organising_union(actor, union_code: str | None) -> Union:
    if not union_code:
        return actor.union
    union = db.session.scalar(select(Union).where(Union.code == union_code.strip().upper()))
    if union is None:
        raise InvalidInput(f"找不到工会代码 {union_code}。", field="union_code")
    require_union_in_scope(actor, union)
    return union


def create_class(actor, data: ClassInput) -> ChildcareClass:
    """An organiser drafts a class for its own organisation (or one below it)."""
    require_role(actor, Role.CHILDCARE_ORGANISER)
    fields = _checked_class_fields(data)
    union = _organising_union(actor, data.union_code)
    cls = ChildcareClass(union=union, district=union.district, status=CLASS.initial,
                         created_by_id=actor.id, seats_taken=0, last_number=0, **fields)
    db.session.add(cls)
    db.session.flush()
    audit.record(actor, "childcare.class_create", "childcare_class", cls.id, name=cls.name, seats=cls.seats)
    db.session.commit()
    return cls


def update_class(actor, class_id: int, data: ClassInput) -> ChildcareClass:
    """Change a draft; once published, parents rely on what they read, so it stays as it is."""
    cls = _lock_class(class_id)
    _require_organiser_of(actor, cls)
    if cls.status != ClassStatus.DRAFT:
        raise Conflict(N_("班级已发布，不能再修改。如需调整，请发布班级通知告知家长。"))
    fields = _checked_class_fields(data)
    union = _organising_union(actor, data.union_code) if data.union_code else cls.union
    for key, value in fields.items():
        setattr(cls, key, value)
    cls.union = union
    cls.district = union.district
    audit.record(actor, "childcare.class_update", "childcare_class", cls.id)
    db.session.commit()
    return cls


def publish_class(actor, class_id: int, *, now: datetime | None = None) -> ChildcareClass:
    """List a draft publicly; parents can register from the opening date on."""
    now = now or clock.now()
    cls = _lock_class(class_id)
    _require_organiser_of(actor, cls)
    if cls.status == ClassStatus.PUBLISHED:
        return cls
    if not CLASS.can(cls.status, ClassAction.PUBLISH):
        raise Conflict(N_("该班级已取消，不能发布。"))
    if cls.registration_closes_on < _today(now):
        raise InvalidInput(N_("报名截止日期已过，请先修改报名日期再发布。"), field="registration_closes_on")
    CLASS.move(cls, ClassAction.PUBLISH)
    cls.published_at = now
    audit.record(actor, "childcare.class_publish", "childcare_class", cls.id)
    db.session.commit()
    return cls


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
    cls = _get_class(class_id)
    if cls.status != ClassStatus.PUBLISHED:
        raise NotFound(N_("找不到该暑托班。"))
    return cls


# --- registration -------------------------------------------------------------------------


def _checked_child(data: ChildInput, cls: ChildcareClass, today: date):
    name = normalise_name(data.name)
    if not name:
        raise InvalidInput(N_("请填写孩子的姓名。"), field="child_name")
    try:
        parsed = parse_id_number(data.id_number, today=today)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="child_id_number") from None
    rules.check_age(parsed.birth_date, cls.starts_on, cls.min_age, cls.max_age)
    adults = []
    seen = set()
    for index, adult in enumerate(data.pickup_adults):
        adult_name = normalise_name(adult.name)
        if not adult_name and not (adult.mobile or "").strip():
            continue  # an empty row of the form
        if not adult_name:
            raise InvalidInput(f"请填写第{index + 1}位接送人的姓名。", field="pickup_adults")
        try:
            mobile = parse_mobile(adult.mobile)
        except InvalidInput:
            raise InvalidInput(f"接送人{adult_name}的手机号码不正确，请填写11位手机号码。",
                               code="mobile_invalid", field="pickup_adults") from None
        if mobile in seen:
            raise InvalidInput(N_("同一个手机号码只能登记一位接送人。"), field="pickup_adults")
        seen.add(mobile)
        adults.append(PickupInput(adult_name, (adult.relation or "").strip()[:20] or "家属", mobile))
    if not adults:
        raise InvalidInput(N_("请至少登记一位可以接孩子的成年人及其手机号码。"), field="pickup_adults")
    if len(adults) > rules.MAX_PICKUP_ADULTS:
        raise InvalidInput(f"接送人最多{rules.MAX_PICKUP_ADULTS}位。", field="pickup_adults")
    return name, parsed, adults


def normalise_name(value: str | None) -> str:
    return " ".join((value or "").split())[:30]


def _overlapping_registration(id_hash: str, cls: ChildcareClass, own_child_id: int | None) -> Registration | None:
    """A live registration of the same child (by any parent) in a class at the same time."""
    rows = db.session.scalars(
        select(Registration).join(Child, Registration.child_id == Child.id)
        .join(ChildcareClass, Registration.class_id == ChildcareClass.id)
        .where(Child.id_number_hash == id_hash, Registration.status != RegistrationStatus.CANCELLED,
               ChildcareClass.status != ClassStatus.CANCELLED)
        .options(selectinload(Registration.childcare_class))
    )
    for row in rows:
        if row.class_id == cls.id and row.child_id == own_child_id:
            continue
        if row.class_id == cls.id or rules.schedules_overlap(row.childcare_class.schedule, cls.schedule):
            return row
    return None


def _family_category(parent: Member, declared: PriorityCategory | None) -> tuple[PriorityCategory, bool]:
    recorded = rules.categories_from_record(
        is_gig_worker=parent.is_gig_worker, occupation=parent.occupation,
        is_hardship_family=parent.is_hardship_family, gig_occupations=GIG_OCCUPATIONS,
        sanitation_occupation=SANITATION_OCCUPATION)
    return rules.effective_category(recorded, declared)


def _set_pickup_adults(child: Child, adults: list[PickupInput]) -> None:
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


def recorded_category(parent: Member) -> PriorityCategory:
    """The family's priority category as the member record shows it (before any declaration)."""
    return _family_category(parent, None)[0]


def register_child(parent: Member, class_id: int, data: ChildInput, *, accepted_rules: bool,
                   declared_category: PriorityCategory | str | None = None,
                   now: datetime | None = None) -> Registration:
    """A signed-in parent registers a child: a request in the window, a seat or the waitlist after.

    Registering the same child in the same class again returns the existing registration.
    """
    require_role(parent, Role.MEMBER)
    now = now or clock.now()
    today = _today(now)
    if not accepted_rules:
        raise InvalidInput(N_("请阅读并同意本班的安全须知后再报名。"), code="rules_not_accepted", field="accept_rules")
    if declared_category:
        try:
            declared_category = PriorityCategory(declared_category)
        except ValueError:
            raise InvalidInput(N_("请选择列出的优先类别。"), field="declared_category") from None
    cls = _lock_class(class_id)
    if cls.status != ClassStatus.PUBLISHED:
        raise NotFound(N_("找不到该暑托班。"))
    phase = cls.phase(today)
    if phase is Phase.NOT_OPEN:
        raise InvalidInput(f"本班将于{_cn(cls.registration_opens_on)}开始报名，请届时再来。", code="window_not_open")
    if phase in (Phase.RUNNING, Phase.FINISHED):
        raise InvalidInput(f"本班已于{_cn(cls.starts_on)}开班，不再接受报名。可以看看其他尚未开班的班级。",
                           code="class_started")
    name, parsed, adults = _checked_child(data, cls, today)
    id_hash = lookup_hash(parsed.value)
    child = db.session.scalar(
        select(Child).where(Child.parent_id == parent.id, Child.id_number_hash == id_hash)
        .with_for_update().execution_options(populate_existing=True))
    if child is not None:
        existing = db.session.scalar(select(Registration).where(
            Registration.class_id == cls.id, Registration.child_id == child.id,
            Registration.status != RegistrationStatus.CANCELLED))
        if existing is not None:
            db.session.rollback()
            return existing
    clash = _overlapping_registration(id_hash, cls, child.id if child else None)
    if clash is not None and clash.parent_id != parent.id:
        # Never name the class to another family: anyone who knows a child's ID number would
        # learn where that child spends the day.
        raise Conflict(N_("这个孩子已由另一位家长报名了时间重叠的班级，同一时间只能参加一个班。如有疑问请联系托管班。"),
                       code="child_in_overlapping_class", field="child_id_number")
    if clash is not None:
        where = "本班" if clash.class_id == cls.id else f"“{clash.childcare_class.name}”"
        raise Conflict(f"这个孩子已报名{where}，时间与本班重叠，同一时间只能参加一个班。如需改报，请先取消原报名。",
                       code="child_in_overlapping_class", field="child_id_number")
    if child is None:
        child = Child(parent_id=parent.id)
        child.set_identity(parsed)
        db.session.add(child)
    child.name = name
    child.health_notes = (data.health_notes or "").strip()[:1000] or None
    child.allergies = (data.allergies or "").strip()[:500] or None
    _set_pickup_adults(child, adults)

    category, declared = _family_category(parent, declared_category)
    if phase is Phase.AWAITING_DRAW:
        _draw(cls, now, drawn_by="system (first registration after the window)")
        phase = Phase.FIRST_COME
    cls.last_number += 1
    registration = Registration(
        childcare_class=cls, child=child, parent_id=parent.id, number=cls.last_number,
        category=category, category_declared=declared, tier=category.tier,
        accepted_rules_at=now, requested_at=now, status=REGISTRATION.initial,
    )
    if phase is Phase.WINDOW_OPEN:
        pass  # a request, drawn when the window closes
    elif cls.seats_left > 0:
        _confirm(cls, registration, SeatSource.FIRST_COME, now)
    else:
        REGISTRATION.move(registration, RegistrationAction.WAITLIST)
        registration.queue_number = _next_queue_number(cls)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("这个孩子的报名刚刚已提交，请到“我的暑托报名”查看。"), code="duplicate") from None
    _text_parent(registration, _status_text(registration), kind=f"childcare_{registration.status}")
    audit.record(parent, "childcare.register", "childcare_registration", registration.id,
                 class_id=cls.id, number=registration.number, status=registration.status,
                 category=registration.category, declared=declared)
    db.session.commit()
    return registration


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _confirm(cls: ChildcareClass, registration: Registration, source: SeatSource, now: datetime) -> None:
    if cls.seats_left <= 0:  # callers hold the class lock; this is the invariant, not a guess
        raise Conflict(N_("名额已满。"), code="seats_full")
    promoted = registration.status == RegistrationStatus.WAITLISTED
    REGISTRATION.move(registration, RegistrationAction.PROMOTE if promoted else RegistrationAction.CONFIRM)
    registration.seat_source = source
    registration.confirmed_at = now
    cls.seats_taken += 1


def _next_queue_number(cls: ChildcareClass) -> int:
    current = db.session.scalar(select(func.max(Registration.queue_number)).where(Registration.class_id == cls.id))
    return (current or 0) + 1


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next child to get a seat; ``None`` when not wait-listed."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.class_id == registration.class_id, Registration.status == RegistrationStatus.WAITLISTED,
        Registration.queue_number < registration.queue_number))
    return ahead + 1


def _status_text(registration: Registration, *, promoted: bool = False) -> str:
    cls = registration.childcare_class
    child = registration.child.masked_name
    if promoted:
        return (f"好消息：{child}已从候补转为录取“{cls.name}”，{_cn(cls.starts_on)}起每天{cls.hours_label}，"
                f"地点{cls.site_name}。如不再需要请登录平台取消，把名额让给其他孩子。")
    if registration.status == RegistrationStatus.CONFIRMED:
        return (f"{child}已录取“{cls.name}”（报名序号{registration.number}），{_cn(cls.starts_on)}开班，"
                f"每天{cls.hours_label}，地点{cls.site_name}。请按安全须知接送孩子。")
    if registration.status == RegistrationStatus.WAITLISTED:
        return (f"“{cls.name}”名额已满，{child}已进入候补（第{waitlist_position(registration)}位）。"
                f"有人取消时将按顺序自动递补并短信通知您。")
    return (f"已收到{child}报名“{cls.name}”的申请（报名序号{registration.number}）。"
            f"{_cn(cls.registration_closes_on)}报名截止后按优先顺序和公开抽签分配名额，结果将短信通知您。")


def _text_parent(registration: Registration, body: str, *, kind: str) -> None:
    """Texts about a child's place are essential service messages, sent whatever ``sms_consent`` says."""
    parent = registration.parent or db.session.get(Member, registration.parent_id)
    if parent is not None and parent.mobile:
        queue_text(parent.mobile, body, kind=kind, member=parent,
                   subject=("childcare_registration", registration.id))


# --- the draw, cancellations and promotion ------------------------------------------------


def _draw(cls: ChildcareClass, now: datetime, *, drawn_by: str, seed: str | None = None) -> ChildcareBallot:
    """Allocate the window's requests by tier and seeded ballot; the caller holds the class lock."""
    requests = list(db.session.scalars(
        select(Registration).where(Registration.class_id == cls.id,
                                   Registration.status == RegistrationStatus.REQUESTED)
        .order_by(Registration.number)))
    seed = seed or secrets.token_hex(8)
    free = cls.seats - cls.seats_taken
    result = rules.allocate([BallotEntry(r.number, r.tier) for r in requests], free, seed)
    by_number = {r.number: r for r in requests}
    for position, number in enumerate(result.order, start=1):
        registration = by_number[number]
        registration.queue_number = position
        if number in result.confirmed:
            _confirm(cls, registration, SeatSource.BALLOT, now)
        else:
            REGISTRATION.move(registration, RegistrationAction.WAITLIST)
    db.session.flush()
    for number in result.order:
        registration = by_number[number]
        _text_parent(registration, _status_text(registration), kind=f"childcare_{registration.status}")
    cls.allocated_at = now
    ballot = ChildcareBallot(childcare_class=cls, seed=seed, seats=free, drawn_at=now, drawn_by=drawn_by[:80],
                             entries=[[r.number, r.tier] for r in requests], order=list(result.order))
    db.session.add(ballot)
    audit.record(None, "childcare.allocate", "childcare_class", cls.id, seed=seed, seats=free,
                 requests=len(requests), confirmed=len(result.confirmed), waitlisted=len(result.waitlisted),
                 drawn_by=drawn_by[:80])
    return ballot


def allocate_class(actor, class_id: int, *, now: datetime | None = None, seed: str | None = None) -> ChildcareBallot:
    """Close the window's draw: seats by priority tier, then the seeded ballot. Runs once per class;
    ``actor`` is the organiser, or ``None`` for the scheduled run."""
    now = now or clock.now()
    cls = _lock_class(class_id)
    if actor is not None:
        _require_organiser_of(actor, cls)
    if cls.ballot is not None:
        return cls.ballot
    phase = cls.phase(_today(now))
    if cls.status != ClassStatus.PUBLISHED or phase in (Phase.NOT_OPEN, Phase.WINDOW_OPEN, Phase.FINISHED):
        raise InvalidInput(f"报名截止（{_cn(cls.registration_closes_on)}）之后才能分配名额。", code="window_open")
    label = audit.actor_label(actor) if actor is not None else "system"
    ballot = _draw(cls, now, drawn_by=label, seed=seed)
    if actor is not None:
        audit.record(actor, "childcare.allocate_request", "childcare_class", cls.id)
    db.session.commit()
    return ballot


def allocate_due(*, now: datetime | None = None) -> int:
    """Draw every published class whose window has closed (for cron or the task queue)."""
    now = now or clock.now()
    today = _today(now)
    due = list(db.session.scalars(select(ChildcareClass.id).where(
        ChildcareClass.status == ClassStatus.PUBLISHED, ChildcareClass.allocated_at.is_(None),
        ChildcareClass.registration_closes_on < today, ChildcareClass.ends_on >= today)))
    for class_id in due:
        allocate_class(None, class_id, now=now)
    return len(due)


@dataclass(frozen=True)
class BallotCheck:
    ballot: ChildcareBallot
    recomputed: tuple[int, ...]

    @property
    def matches(self) -> bool:
        return list(self.recomputed) == list(self.ballot.order)


def verify_ballot(class_id: int) -> BallotCheck:
    """Re-run the recorded draw from its seed and entries; anyone may ask."""
    cls = get_public_class(class_id)
    if cls.ballot is None:
        raise NotFound(N_("本班尚未抽签。"))
    entries = [BallotEntry(int(number), int(tier)) for number, tier in cls.ballot.entries]
    result = rules.allocate(entries, cls.ballot.seats, cls.ballot.seed)
    return BallotCheck(cls.ballot, result.order)


def _promote(cls: ChildcareClass, now: datetime) -> list[Registration]:
    """Fill free seats from the waitlist, in order, texting each parent; caller holds the lock."""
    promoted = []
    while cls.seats_left > 0:
        following = db.session.scalar(
            select(Registration).where(Registration.class_id == cls.id,
                                       Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.queue_number, Registration.id).limit(1))
        if following is None:
            break
        _confirm(cls, following, SeatSource.PROMOTION, now)
        _text_parent(following, _status_text(following, promoted=True), kind="childcare_promoted")
        audit.record(None, "childcare.promote", "childcare_registration", following.id, class_id=cls.id)
        promoted.append(following)
    return promoted


def cancel_registration(actor, registration_id: int, *, reason: str = "", now: datetime | None = None
                        ) -> list[Registration]:
    """The parent (or the class's organiser) cancels; a freed seat goes to the next on the waitlist.

    Returns the registrations promoted. Cancelling twice changes nothing the second time.
    """
    now = now or clock.now()
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(N_("找不到该报名。"))
    if role_of(actor) is Role.MEMBER:
        if registration.parent_id != actor.id:
            raise NotFound(N_("找不到该报名。"))
    else:
        _require_organiser_of(actor, registration.childcare_class)
    cls = _lock_class(registration.class_id)
    db.session.refresh(registration, with_for_update=True)
    if registration.status == RegistrationStatus.CANCELLED:
        return []
    if cls.phase(_today(now)) is Phase.FINISHED:
        raise InvalidInput(N_("本班已结班，报名记录不能再取消。"), code="class_finished")
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    REGISTRATION.move(registration, RegistrationAction.CANCEL)
    registration.cancelled_at = now
    registration.cancel_reason = (reason or "").strip()[:200] or None
    promoted = []
    if was_confirmed:
        cls.seats_taken -= 1
        if cls.allocated_at is not None:
            promoted = _promote(cls, now)
    if role_of(actor) is not Role.MEMBER:
        because = f"：{registration.cancel_reason}" if registration.cancel_reason else ""
        _text_parent(registration, f"您为{registration.child.masked_name}报名的“{cls.name}”已由托管班取消"
                     f"{because}。如有疑问请联系托管班。", kind="childcare_cancelled")
    audit.record(actor, "childcare.cancel", "childcare_registration", registration.id, class_id=cls.id,
                 was_confirmed=was_confirmed, promoted=[r.id for r in promoted])
    db.session.commit()
    return promoted


# --- the parent's views -------------------------------------------------------------------


@dataclass(frozen=True)
class ParentView:
    registration: Registration
    waitlist_position: int | None


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
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.parent_id != parent.id:
        raise NotFound(N_("找不到该报名。"))
    return ParentView(registration, waitlist_position(registration))


# --- the organiser's and union's views ----------------------------------------------------


def managed_classes(actor) -> list[ChildcareClass]:
    """Classes in the actor's union subtree (the federation sees all)."""
    require_role(actor, *STAFF_VIEWERS)
    stmt = union_scope(select(ChildcareClass), actor, ChildcareClass.union_id)
    return list(db.session.scalars(stmt.options(selectinload(ChildcareClass.union))
                                   .order_by(ChildcareClass.starts_on.desc(), ChildcareClass.id)))


def class_for_staff(actor, class_id: int) -> ChildcareClass:
    cls = _get_class(class_id)
    _require_staff_viewer_of(actor, cls)
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
    positions = {}
    waiting = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    for index, row in enumerate(waiting, start=1):
        positions[row.id] = index
    return [ParentView(row, positions.get(row.id)) for row in rows]


def review_declared_category(actor, registration_id: int, *, accept: bool) -> Registration:
    """The organiser checks a priority the parent declared (e.g. "spouse is a courier") before
    the draw: confirmed, it stands; refused, the family falls back to what its record shows.

    After the draw the seats are decided, so a declaration can no longer move a child.
    """
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(N_("找不到该报名。"))
    _require_organiser_of(actor, registration.childcare_class)
    if not registration.category_declared:
        return registration  # already checked (a second tap)
    if registration.status != RegistrationStatus.REQUESTED:
        raise Conflict(N_("名额已经分配，自报的优先类别不能再调整。"), code="already_allocated")
    declared = registration.category
    if not accept:
        category, _ = _family_category(registration.parent, None)
        registration.category, registration.tier = category, category.tier
    registration.category_declared = False
    audit.record(actor, "childcare.category_confirmed" if accept else "childcare.category_refused",
                 "childcare_registration", registration.id, declared=str(declared),
                 category=str(registration.category))
    db.session.commit()
    return registration


def view_health_notes(actor, registration_id: int) -> Registration:
    """Health notes, allergies and the family's full phone numbers, for the organiser of the
    child's class only (to act when a child is unwell or a stranger comes to collect); every view
    audited."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(N_("找不到该报名。"))
    _require_class_own_organiser(actor, registration.childcare_class)
    if registration.status == RegistrationStatus.CANCELLED:
        raise PermissionDenied(N_("该报名已取消，不再提供孩子的健康信息。"))
    audit.record(actor, "childcare.health_notes_view", "childcare_registration", registration.id,
                 class_id=registration.class_id, child_id=registration.child_id)
    db.session.commit()
    return registration


def send_notice(actor, class_id: int, body: str, *, now: datetime | None = None) -> ClassNotice:
    """Text a notice to the parents of every confirmed child (a class notice is essential service)."""
    now = now or clock.now()
    cls = _get_class(class_id)
    _require_organiser_of(actor, cls)
    body = " ".join((body or "").split())
    if len(body) < 4:
        raise InvalidInput(N_("请填写通知内容（至少4个字）。"), field="body")
    if len(body) > MAX_NOTICE_LENGTH:
        raise InvalidInput(f"通知最多{MAX_NOTICE_LENGTH}字，短信太长家长不便阅读。", field="body")
    recent = db.session.scalar(select(ClassNotice).where(
        ClassNotice.class_id == cls.id, ClassNotice.body == body,
        ClassNotice.created_at > now - NOTICE_REPEAT_WINDOW).limit(1))
    if recent is not None:
        return recent  # a double submit: the parents already have it
    parents = {r.parent_id: r for r in db.session.scalars(select(Registration).where(
        Registration.class_id == cls.id, Registration.status == RegistrationStatus.CONFIRMED))}
    notice = ClassNotice(class_id=cls.id, body=body, sent_by_id=actor.id, created_at=now)
    db.session.add(notice)
    db.session.flush()
    sent = 0
    for registration in parents.values():
        parent = registration.parent
        if parent.mobile:
            queue_text(parent.mobile, f"【{cls.name}】{body}", kind="childcare_notice", member=parent,
                       subject=("childcare_notice", notice.id))
            sent += 1
    notice.recipients = sent
    audit.record(actor, "childcare.notice", "childcare_class", cls.id, notice_id=notice.id, recipients=sent)
    db.session.commit()
    return notice


def class_notices(actor, class_id: int) -> list[ClassNotice]:
    cls = class_for_staff(actor, class_id)
    return list(db.session.scalars(select(ClassNotice).where(ClassNotice.class_id == cls.id)
                                   .order_by(ClassNotice.id.desc())))


# --- attendance and pick-up ---------------------------------------------------------------


@dataclass
class AttendanceRow:
    registration: Registration
    attendance: Attendance | None
    present_days: int = 0
    possible_days: int = 0

    @property
    def rate(self) -> float | None:
        return rules.attendance_rate(self.present_days, self.possible_days)


def _days_held(cls: ChildcareClass, today: date) -> list[date]:
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
    held = len(_days_held(cls, today))
    return [AttendanceRow(r, marks.get(r.id), present.get(r.id, 0), held) for r in registrations]


def _attendance_target(actor, registration_id: int, day: date, today: date) -> tuple[Registration, ChildcareClass]:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound(N_("找不到该报名。"))
    cls = registration.childcare_class
    _require_organiser_of(actor, cls)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise InvalidInput(N_("只有已录取的孩子才能签到。"), code="not_confirmed")
    if day > today:
        raise InvalidInput(N_("不能为以后的日期签到。"), code="future_day")
    if not cls.schedule.is_class_day(day):
        raise InvalidInput(f"{_cn(day)}不是本班的上课日。", code="not_a_class_day")
    return registration, cls


def mark_attendance(actor, registration_id: int, day: date, status: str, *,
                    now: datetime | None = None) -> Attendance:
    """One tap: the child arrived (or is absent) on ``day``. Tapping again keeps one record."""
    now = now or clock.now()
    registration, cls = _attendance_target(actor, registration_id, day, _today(now))
    try:
        status = AttendanceStatus(status)
    except ValueError:
        raise InvalidInput(N_("签到状态不正确。"), field="status") from None
    mark = db.session.scalar(select(Attendance).where(
        Attendance.registration_id == registration.id, Attendance.day == day).with_for_update())
    if mark is None:
        mark = Attendance(registration_id=registration.id, class_id=cls.id, day=day, status=ATTENDANCE.initial)
        db.session.add(mark)
    if mark.picked_up_at is not None and status is AttendanceStatus.ABSENT:
        raise Conflict(N_("孩子已被接走，不能再改为缺勤。"), code="already_picked_up")
    ATTENDANCE.move(mark, ATTENDANCE_ACTIONS[status])
    mark.recorded_by_id = actor.id
    if status is AttendanceStatus.PRESENT:
        mark.checked_in_at = mark.checked_in_at or now
    else:
        mark.checked_in_at = None
    try:
        db.session.flush()
    except IntegrityError:  # a second tablet recorded the same child a moment earlier
        db.session.rollback()
        return mark_attendance(actor, registration_id, day, status, now=now)
    audit.record(actor, "childcare.attendance", "childcare_registration", registration.id,
                 day=day.isoformat(), status=status.value)
    db.session.commit()
    return mark


def record_pickup(actor, registration_id: int, day: date, *, pickup_adult_id: int | None = None,
                  mobile: str | None = None, now: datetime | None = None) -> Attendance:
    """Record who collected the child; only an adult the parent authorised is accepted.

    The adult is chosen from the list, or found by the mobile they give; anyone else is refused
    (and the refusal audited) so the organiser knows not to hand the child over.
    """
    now = now or clock.now()
    registration, cls = _attendance_target(actor, registration_id, day, _today(now))
    mark = db.session.scalar(select(Attendance).where(
        Attendance.registration_id == registration.id, Attendance.day == day).with_for_update())
    if mark is None or mark.status != AttendanceStatus.PRESENT:
        raise InvalidInput(N_("孩子今天还没有签到，不能登记接走。"), code="not_checked_in")
    if mark.picked_up_at is not None:
        return mark
    adults = registration.child.authorised_adults
    adult = None
    if pickup_adult_id:
        adult = next((a for a in adults if a.id == int(pickup_adult_id)), None)
    elif mobile:
        try:
            wanted = lookup_hash(parse_mobile(mobile))
        except InvalidInput:
            raise InvalidInput(N_("请填写接送人的11位手机号码。"), code="mobile_invalid", field="mobile") from None
        adult = next((a for a in adults if a.mobile_hash == wanted), None)
    else:
        raise InvalidInput(N_("请选择接送人，或填写来接孩子的人的手机号码。"), field="mobile")
    if adult is None:
        audit.record(actor, "childcare.pickup_refused", "childcare_registration", registration.id,
                     day=day.isoformat())
        db.session.commit()
        parent_mobile = mask_mobile(registration.parent.mobile)
        raise InvalidInput(
            f"此人不在家长授权的接送名单中，请不要让孩子离开，并立即联系家长（{parent_mobile}，"
            f"完整号码见该孩子的“紧急联系”页）核实。",
            code="pickup_not_authorised", field="mobile")
    mark.pickup_adult_id = adult.id
    mark.picked_up_at = now
    mark.recorded_by_id = actor.id
    audit.record(actor, "childcare.pickup", "childcare_registration", registration.id, day=day.isoformat(),
                 pickup_adult_id=adult.id)
    db.session.commit()
    return mark


# --- union overview and export ------------------------------------------------------------


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
        possible = confirmed * len(_days_held(cls, today))
        summaries.append(ClassSummary(cls, by_status[cls.id], by_category[cls.id], present.get(cls.id, 0), possible))
    total_by_category = sum((s.by_category for s in summaries), Counter())
    return Overview(
        classes=summaries, by_category=total_by_category,
        seats=sum(c.seats for c in classes if c.status == ClassStatus.PUBLISHED),
        seats_taken=sum(c.seats_taken for c in classes),
        waitlisted=sum(s.by_status[RegistrationStatus.WAITLISTED] for s in summaries),
        children_served=len(served),
    )


def export_overview(actor, *, today: date | None = None) -> bytes:
    """The overview as an Excel sheet: one row per class, counts only (no child's personal data)."""
    from portal.integrations.spreadsheets import write_xlsx

    data = overview(actor, today=today)
    categories = list(PriorityCategory)
    headers = ["组织", "区", "班级", "地点", "开班", "结班", "状态", "名额", "已录取", "候补", "待分配",
               *[c.label for c in categories], "出勤人次", "应出勤人次", "出勤率"]
    rows = []
    for summary in data.classes:
        cls = summary.cls
        rate = summary.attendance_rate
        rows.append([
            cls.union.name, cls.district or "", cls.name, cls.site_name, cls.starts_on.isoformat(),
            cls.ends_on.isoformat(), cls.status_label, cls.seats, summary.by_status[RegistrationStatus.CONFIRMED],
            summary.by_status[RegistrationStatus.WAITLISTED], summary.by_status[RegistrationStatus.REQUESTED],
            *[summary.by_category[c] for c in categories], summary.present_days, summary.possible_days,
            "" if rate is None else f"{rate:.1%}",
        ])
    rows.append(["合计", "", "", "", "", "", "", data.seats, data.seats_taken, data.waitlisted, "",
                 *[data.by_category[c] for c in categories], "", "", f"服务儿童{data.children_served}人"])
    audit.record(actor, "childcare.export", "childcare_class", None, classes=len(data.classes))
    db.session.commit()
    return write_xlsx(headers, rows, sheet="暑托班")

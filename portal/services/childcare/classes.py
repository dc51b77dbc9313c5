"""Classes: an organiser drafts a class for its organisation, changes the draft, publishes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from portal import clock
from portal.domain import childcare as rules
from portal.domain.childcare import CLASS, ClassAction, ClassStatus
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Union
from portal.models.childcare import ChildcareClass
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope
from portal.services.childcare.permissions import lock_class, require_organiser_of, today_in_china
from portal.services.unit_of_work import unit_of_work

MAX_SEATS = 500
# field: (label, longest), for the texts an organiser must fill in
REQUIRED_TEXTS = {
    "name": (N_("班级名称"), 120),
    "site_name": (N_("托管地点"), 120),
    "address": (N_("地址"), 200),
    "safety_rules": (N_("安全须知"), 4000),
}


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


def checked_class_fields(data: ClassInput) -> dict:
    """The class's columns from what the organiser typed; a refusal names the field to correct."""
    cleaned = {}
    for key, (label, longest) in REQUIRED_TEXTS.items():
        value = (getattr(data, key) or "").strip()
        if not value:
            raise InvalidInput(N_("请填写%(label)s。"), field=key, label=label)
        if len(value) > longest:
            raise InvalidInput(N_("%(label)s最多%(longest)s字。"), field=key, label=label, longest=longest)
        cleaned[key] = value
    if not 1 <= data.seats <= MAX_SEATS:
        raise InvalidInput(N_("名额应在1到%(max)s之间。"), field="seats", max=MAX_SEATS)
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
        raise InvalidInput(N_("找不到工会代码 %(union_code)s。"), field="union_code", union_code=union_code)
    require_union_in_scope(actor, union)
    return union


@unit_of_work
def create_class(actor, data: ClassInput) -> ChildcareClass:
    """An organiser drafts a class for its own organisation (or one below it)."""
    require_role(actor, Role.CHILDCARE_ORGANISER)
    fields = checked_class_fields(data)
    union = _organising_union(actor, data.union_code)
    cls = ChildcareClass(union=union, district=union.district, status=CLASS.initial,
                         created_by_id=actor.id, seats_taken=0, last_number=0, **fields)
    db.session.add(cls)
    db.session.flush()
    audit.record(actor, "childcare.class_create", "childcare_class", cls.id, name=cls.name, seats=cls.seats)
    return cls


@unit_of_work
def update_class(actor, class_id: int, data: ClassInput) -> ChildcareClass:
    """Change a draft; once published, parents rely on what they read, so it stays as it is."""
    cls = lock_class(class_id)
    require_organiser_of(actor, cls)
    if cls.status != ClassStatus.DRAFT:
        raise Conflict(N_("班级已发布，不能再修改。如需调整，请发布班级通知告知家长。"))
    fields = checked_class_fields(data)
    union = _organising_union(actor, data.union_code) if data.union_code else cls.union
    for key, value in fields.items():
        setattr(cls, key, value)
    cls.union = union
    cls.district = union.district
    audit.record(actor, "childcare.class_update", "childcare_class", cls.id)
    return cls


@unit_of_work
def publish_class(actor, class_id: int, *, now: datetime | None = None) -> ChildcareClass:
    """List a draft publicly; parents can register from the opening date on."""
    now = now or clock.now()
    cls = lock_class(class_id)
    require_organiser_of(actor, cls)
    if cls.status == ClassStatus.PUBLISHED:
        return cls  # a second tap
    if not CLASS.can(cls.status, ClassAction.PUBLISH):
        raise Conflict(N_("该班级已取消，不能发布。"))
    if cls.registration_closes_on < today_in_china(now):
        raise InvalidInput(N_("报名截止日期已过，请先修改报名日期再发布。"), field="registration_closes_on")
    CLASS.move(cls, ClassAction.PUBLISH)
    cls.published_at = now
    audit.record(actor, "childcare.class_publish", "childcare_class", cls.id)
    return cls

"""The collective wedding: an organiser publishes it, a member registers with their partner and
marriage certificate date, the member's union confirms, and the programme is printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import or_, select

from portal import clock
from portal.domain import events as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.events import COUPLE, WEDDING, CoupleAction, CoupleStatus, EventStatus, Phase
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member
from portal.models.events import Wedding, WeddingCouple
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role
from portal.services.events.permissions import (
    PARTICIPANT_NOT_FOUND,
    WEDDING_NOT_FOUND,
    lock_wedding,
    require_confirmer_of,
    require_member_in,
    require_organiser_of,
)
from portal.services.events.publishing import publish
from portal.services.events.singles import today_in_china, write_counted
from portal.services.records import get_or_not_found
from portal.services.sms import queue_text
from portal.services.unit_of_work import unit_of_work


@dataclass
class WeddingInput:
    title: str
    place: str
    held_on: date
    starts_at: time
    capacity: int
    registration_opens_on: date
    registration_closes_on: date
    programme: str = ""


@dataclass
class CoupleInput:
    partner_name: str
    partner_id_number: str
    certificate_on: date | None
    names_in_programme: bool = False


@unit_of_work
def create_wedding(actor, data: WeddingInput) -> Wedding:
    require_role(actor, Role.UNION_OFFICER)
    title, place = (data.title or "").strip(), (data.place or "").strip()
    if not title:
        raise InvalidInput(N_("请填写活动名称。"), field="title")
    if not place:
        raise InvalidInput(N_("请填写活动地点。"), field="place")
    rules.check_wedding_capacity(data.capacity)
    rules.check_dates(opens_on=data.registration_opens_on, closes_on=data.registration_closes_on,
                      held_on=data.held_on)
    wedding = Wedding(union=actor.union, title=title[:120], place=place[:200], held_on=data.held_on,
                      starts_at=data.starts_at, capacity=data.capacity,
                      programme=(data.programme or "").strip()[:4000],
                      registration_opens_on=data.registration_opens_on,
                      registration_closes_on=data.registration_closes_on, status=WEDDING.initial,
                      couples_taken=0, last_number=0, created_by_id=actor.id)
    require_organiser_of(actor, wedding)
    db.session.add(wedding)
    db.session.flush()
    audit.record(actor, "events.wedding_create", "wedding", wedding.id, capacity=wedding.capacity)
    return wedding


@unit_of_work
def publish_wedding(actor, wedding_id: int, *, now: datetime | None = None) -> Wedding:
    return publish(actor, lock_wedding(wedding_id), WEDDING, audit_action="events.wedding_publish",
                   record_type="wedding", now=now or clock.now())


def _text(couple: WeddingCouple, kind: str, **params) -> None:
    member = couple.member
    if member is not None and member.mobile:
        wedding = couple.wedding
        queue_text(member.mobile, kind=kind, member=member, subject=("wedding_couple", couple.id),
                   params={"wedding": wedding.title, "held_on": wedding.held_on, **params})


@unit_of_work
def register_couple(member, wedding_id: int, data: CoupleInput, *, now: datetime | None = None) -> WeddingCouple:
    """One of the couple (a member) registers both; a partner who is a member too is recognised by
    ID number, and neither may be in another couple of the same wedding."""
    now = now or clock.now()
    today = today_in_china(now)
    partner_name = " ".join((data.partner_name or "").split())[:30]
    if not partner_name:
        raise InvalidInput(N_("请填写爱人的姓名。"), field="partner_name")
    try:
        partner = parse_id_number(data.partner_id_number, today=today)
    except InvalidInput as error:
        raise InvalidInput(error.msgid, code=error.code, field="partner_id_number", **error.params) from None
    if data.certificate_on is None:
        raise InvalidInput(N_("请填写结婚证登记日期。"), field="certificate_on")
    wedding = lock_wedding(wedding_id)
    if wedding.status != EventStatus.PUBLISHED:
        raise InvalidInput(WEDDING_NOT_FOUND, code="not_found")
    require_member_in(member, wedding)
    phase = wedding.phase(today)
    if phase is Phase.NOT_OPEN:
        raise InvalidInput(N_("集体婚礼将于%(day)s开始报名。"), code="window_not_open",
                           day=wedding.registration_opens_on)
    if phase is not Phase.OPEN:
        raise InvalidInput(N_("集体婚礼报名已截止。"), code="window_closed")
    partner_hash = lookup_hash(partner.value)
    if partner_hash == member.id_number_hash:
        raise InvalidInput(N_("请填写爱人的身份证号码，而不是您自己的。"), field="partner_id_number")
    rules.check_certificate_date(data.certificate_on, today=today, held_on=wedding.held_on)
    partner_member = db.session.scalar(select(Member).where(Member.id_number_hash == partner_hash))
    people = [member.id_number_hash, partner_hash]
    clash = db.session.scalar(select(WeddingCouple.id).join(Member, WeddingCouple.member_id == Member.id).where(
        WeddingCouple.wedding_id == wedding.id, WeddingCouple.status.in_(rules.COUPLE_HOLDING),
        or_(Member.id_number_hash.in_(people), WeddingCouple.partner_id_number_hash.in_(people))))
    if clash is not None:
        raise Conflict(N_("您或您的爱人已报名本场集体婚礼。"), code="already_registered")
    rules.take_couple_place(wedding.capacity, wedding.couples_taken)
    wedding.couples_taken += 1
    wedding.last_number += 1
    couple = WeddingCouple(wedding=wedding, member=member, union_id=member.union_id, number=wedding.last_number,
                           partner_name=partner_name, partner_id_number=partner.value,
                           partner_id_number_hash=partner_hash,
                           partner_member_id=partner_member.id if partner_member else None,
                           certificate_on=data.certificate_on, names_in_programme=bool(data.names_in_programme),
                           status=COUPLE.initial)
    db.session.add(couple)
    write_counted(couple)
    _text(couple, "wedding_registered")
    audit.record(member, "events.wedding_register", "wedding_couple", couple.id, wedding_id=wedding.id)
    return couple


def own_couple(member, couple_id: int) -> WeddingCouple:
    couple = get_or_not_found(WeddingCouple, couple_id, PARTICIPANT_NOT_FOUND)
    if getattr(member, "actor_type", None) != "member" or couple.member_id != member.id:
        raise NotFound(PARTICIPANT_NOT_FOUND)
    return couple


@unit_of_work
def cancel_couple(member, couple_id: int, *, now: datetime | None = None) -> WeddingCouple:
    now = now or clock.now()
    couple = own_couple(member, couple_id)
    wedding = lock_wedding(couple.wedding_id)
    db.session.refresh(couple)
    if couple.status == CoupleStatus.CANCELLED:
        return couple
    if today_in_china(now) >= wedding.held_on:
        raise InvalidInput(N_("婚礼当天起不能再取消报名。"), code="event_held")
    COUPLE.move(couple, CoupleAction.CANCEL)
    wedding.couples_taken -= 1
    audit.record(member, "events.wedding_cancel", "wedding_couple", couple.id, wedding_id=wedding.id)
    return couple


@unit_of_work
def decide_couple(actor, couple_id: int, *, confirm: bool, now: datetime | None = None) -> WeddingCouple:
    now = now or clock.now()
    couple = get_or_not_found(WeddingCouple, couple_id, PARTICIPANT_NOT_FOUND)
    require_confirmer_of(actor, couple)
    wedding = lock_wedding(couple.wedding_id)
    db.session.refresh(couple, with_for_update=True)
    wanted = CoupleStatus.CONFIRMED if confirm else CoupleStatus.DECLINED
    if couple.status == wanted:
        return couple
    COUPLE.move(couple, CoupleAction.CONFIRM if confirm else CoupleAction.DECLINE)
    couple.decided_by_id = actor.id
    couple.decided_at = now
    if confirm:
        _text(couple, "wedding_decided", outcome="confirmed", number=couple.number,
              starts_at=f"{wedding.starts_at:%H:%M}", place=wedding.place)
    else:
        wedding.couples_taken -= 1
        _text(couple, "wedding_decided", outcome="declined")
    audit.record(actor, "events.wedding_confirm" if confirm else "events.wedding_decline", "wedding_couple",
                 couple.id, wedding_id=wedding.id)
    return couple

"""Singles' events: an organiser drafts and publishes, a member registers (declaring they are
single), the member's union confirms membership, the door checks participants in, and
participants name the numbers of people they would like to meet again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.domain import events as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.events import (
    EVENT,
    PARTICIPANT,
    EventStatus,
    ParticipantAction,
    ParticipantStatus,
    Phase,
)
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.events import SinglesChoice, SinglesEvent, SinglesParticipant
from portal.services import audit
from portal.services.access import require_role
from portal.services.events.permissions import (
    EVENT_NOT_FOUND,
    PARTICIPANT_NOT_FOUND,
    lock,
    lock_event,
    own_participant,
    require_confirmer_of,
    require_member_in,
    require_organiser_of,
)
from portal.services.events.publishing import publish
from portal.services.records import get_or_not_found
from portal.services.sms import queue_text
from portal.services.unit_of_work import savepoint, unit_of_work


def today_in_china(now: datetime) -> date:
    return now.astimezone(clock.CHINA).date()


@dataclass
class EventInput:
    title: str
    place: str
    held_on: date
    starts_at: time
    ends_at: time
    capacity: int
    registration_opens_on: date
    registration_closes_on: date
    min_age: int = 22
    max_age: int = 40
    balanced: bool = False
    description: str = ""


def checked_event_fields(data: EventInput) -> dict:
    title = (data.title or "").strip()
    place = (data.place or "").strip()
    if not title:
        raise InvalidInput(N_("请填写活动名称。"), field="title")
    if not place:
        raise InvalidInput(N_("请填写活动地点。"), field="place")
    if data.starts_at >= data.ends_at:
        raise InvalidInput(N_("结束时间应晚于开始时间。"), field="ends_at")
    rules.check_capacity(data.capacity, data.balanced)
    rules.check_age_range(data.min_age, data.max_age)
    rules.check_dates(opens_on=data.registration_opens_on, closes_on=data.registration_closes_on,
                      held_on=data.held_on)
    return {"title": title[:120], "place": place[:200], "held_on": data.held_on, "starts_at": data.starts_at,
            "ends_at": data.ends_at, "capacity": data.capacity, "balanced": bool(data.balanced),
            "min_age": data.min_age, "max_age": data.max_age,
            "registration_opens_on": data.registration_opens_on,
            "registration_closes_on": data.registration_closes_on,
            "description": (data.description or "").strip()[:4000]}


@unit_of_work
def create_event(actor, data: EventInput) -> SinglesEvent:
    """An officer drafts an event of its own union, open to the members of its subtree."""
    require_role(actor, Role.UNION_OFFICER)
    fields = checked_event_fields(data)
    event = SinglesEvent(union=actor.union, status=EVENT.initial, created_by_id=actor.id, places_taken=0,
                         men_taken=0, women_taken=0, last_number=0, **fields)
    require_organiser_of(actor, event)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "events.singles_create", "singles_event", event.id, title=event.title,
                 capacity=event.capacity)
    return event


@unit_of_work
def publish_event(actor, event_id: int, *, now: datetime | None = None) -> SinglesEvent:
    return publish(actor, lock_event(event_id), EVENT, audit_action="events.singles_publish",
                   record_type="singles_event", now=now or clock.now())


def _text(participant: SinglesParticipant, kind: str, **params) -> None:
    member = participant.member
    if member is not None and member.mobile:
        event = participant.event
        queue_text(member.mobile, kind=kind, member=member, subject=("singles_participant", participant.id),
                   params={"event": event.title, "held_on": event.held_on, **params})


def write_counted(row) -> None:
    """Write a new registration with its event's counters. PostgreSQL has the event's row locked
    here; SQLite cannot lock a row, so a registration racing another one is refused by the
    counters' CHECK (or the number's UNIQUE) and answered with a plain "try again"."""
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError:
        raise Conflict(rules.BUSY, code="busy") from None


def _release(event: SinglesEvent, participant: SinglesParticipant) -> None:
    event.places_taken -= 1
    if participant.gender == "M":
        event.men_taken -= 1
    else:
        event.women_taken -= 1


@unit_of_work
def register(member, event_id: int, *, declared_single: bool, accepted_privacy: bool,
             now: datetime | None = None) -> SinglesParticipant:
    """A member registers, declaring they are single; the place is held until the union decides."""
    now = now or clock.now()
    if not declared_single:
        raise InvalidInput(N_("本活动面向单身职工，请确认您目前单身。"), code="not_declared_single",
                           field="declared_single")
    if not accepted_privacy:
        raise InvalidInput(N_("请阅读并同意活动的隐私约定。"), code="privacy_not_accepted", field="accepted_privacy")
    event = lock_event(event_id)
    if event.status != EventStatus.PUBLISHED:
        raise InvalidInput(EVENT_NOT_FOUND, code="not_found")
    require_member_in(member, event)
    phase = event.phase(today_in_china(now))
    if phase is Phase.NOT_OPEN:
        raise InvalidInput(N_("本场活动将于%(day)s开始报名。"), code="window_not_open", day=event.registration_opens_on)
    if phase is not Phase.OPEN:
        raise InvalidInput(N_("本场活动报名已截止。"), code="window_closed")
    live = db.session.scalar(select(SinglesParticipant).where(
        SinglesParticipant.event_id == event.id, SinglesParticipant.member_id == member.id,
        SinglesParticipant.status.in_(rules.HOLDING_STATUSES)))
    if live is not None:
        raise Conflict(N_("您已报名本场活动。"), code="already_registered")
    rules.check_age(member.birth_date, event.held_on, event.min_age, event.max_age)
    rules.take_place(event.places, member.gender)
    event.places_taken += 1
    if member.gender == "M":
        event.men_taken += 1
    else:
        event.women_taken += 1
    event.last_number += 1
    participant = SinglesParticipant(event=event, member=member, union_id=member.union_id, number=event.last_number,
                                     gender=member.gender, status=PARTICIPANT.initial, declared_single_at=now)
    db.session.add(participant)
    write_counted(participant)
    _text(participant, "singles_registered")
    audit.record(member, "events.singles_register", "singles_participant", participant.id, event_id=event.id)
    return participant


@unit_of_work
def cancel(member, participant_id: int, *, now: datetime | None = None) -> SinglesParticipant:
    """The member withdraws before the day; the place goes back to the event."""
    now = now or clock.now()
    participant = own_participant(member, participant_id)
    event = lock_event(participant.event_id)
    db.session.refresh(participant)
    if participant.status == ParticipantStatus.CANCELLED:
        return participant
    if today_in_china(now) >= event.held_on:
        raise InvalidInput(N_("活动当天起不能再取消报名。"), code="event_held")
    PARTICIPANT.move(participant, ParticipantAction.CANCEL)
    participant.cancelled_at = now
    _release(event, participant)
    audit.record(member, "events.singles_cancel", "singles_participant", participant.id, event_id=event.id)
    return participant


@unit_of_work
def decide(actor, participant_id: int, *, confirm: bool, now: datetime | None = None) -> SinglesParticipant:
    """The member's union confirms they are its member (or cannot); a decline frees the place."""
    now = now or clock.now()
    participant = get_or_not_found(SinglesParticipant, participant_id, PARTICIPANT_NOT_FOUND)
    require_confirmer_of(actor, participant)
    event = lock_event(participant.event_id)
    db.session.refresh(participant, with_for_update=True)
    wanted = ParticipantStatus.CONFIRMED if confirm else ParticipantStatus.DECLINED
    if participant.status == wanted:
        return participant
    PARTICIPANT.move(participant, ParticipantAction.CONFIRM if confirm else ParticipantAction.DECLINE)
    participant.decided_by_id = actor.id
    participant.decided_at = now
    if confirm:
        _text(participant, "singles_decided", outcome="confirmed", number=participant.number,
              hours=event.hours_label, place=event.place)
    else:
        _release(event, participant)
        _text(participant, "singles_decided", outcome="declined")
    audit.record(actor, "events.singles_confirm" if confirm else "events.singles_decline", "singles_participant",
                 participant.id, event_id=event.id)
    return participant


@unit_of_work
def check_in(actor, event_id: int, number: int, *, now: datetime | None = None) -> SinglesParticipant:
    """At the door, by participant number, on the day of the event."""
    now = now or clock.now()
    event = get_or_not_found(SinglesEvent, event_id, EVENT_NOT_FOUND)
    require_organiser_of(actor, event)
    if today_in_china(now) != event.held_on:
        raise InvalidInput(N_("只能在活动当天（%(day)s）签到。"), code="not_event_day", day=event.held_on)
    participant = db.session.scalar(select(SinglesParticipant).where(
        SinglesParticipant.event_id == event.id, SinglesParticipant.number == number).with_for_update())
    if participant is None:
        raise InvalidInput(N_("本场活动没有%(number)s号嘉宾。"), code="unknown_number", field="number", number=number)
    if participant.status == ParticipantStatus.ATTENDED:
        return participant
    PARTICIPANT.move(participant, ParticipantAction.CHECK_IN)
    participant.checked_in_at = now
    audit.record(actor, "events.singles_check_in", "singles_participant", participant.id, event_id=event.id)
    return participant


def _choices_of(participant: SinglesParticipant) -> list[int]:
    return list(db.session.scalars(select(SinglesChoice.chosen_number)
                                   .where(SinglesChoice.participant_id == participant.id)))


@unit_of_work
def choose(member, participant_id: int, number: int, *, now: datetime | None = None) -> bool:
    """An attendee names another attendee's number; ``True`` when that makes a match (the other
    chose this one too), and both are then told by text, each with the other's number only."""
    now = now or clock.now()
    participant = own_participant(member, participant_id)
    event = lock(SinglesEvent, participant.event_id, EVENT_NOT_FOUND)
    if participant.status != ParticipantStatus.ATTENDED:
        raise InvalidInput(N_("签到参加活动的嘉宾才能互选。"), code="not_attended")
    attended = db.session.scalars(select(SinglesParticipant.number).where(
        SinglesParticipant.event_id == event.id, SinglesParticipant.status == ParticipantStatus.ATTENDED))
    already = _choices_of(participant)
    rules.check_choice(own_number=participant.number, chosen=number, attended_numbers=attended, already=already,
                       today=today_in_china(now), held_on=event.held_on)
    if number in already:
        return _is_mutual(participant, number)
    db.session.add(SinglesChoice(event_id=event.id, participant=participant, chosen_number=number, created_at=now))
    db.session.flush()
    audit.record(member, "events.singles_choose", "singles_participant", participant.id, event_id=event.id)
    if not _is_mutual(participant, number):
        return False
    other = db.session.scalar(select(SinglesParticipant).where(SinglesParticipant.event_id == event.id,
                                                               SinglesParticipant.number == number))
    _text(participant, "singles_matched", number=other.number)
    _text(other, "singles_matched", number=participant.number)
    return True


def _is_mutual(participant: SinglesParticipant, number: int) -> bool:
    other = db.session.scalar(select(SinglesParticipant.id).where(SinglesParticipant.event_id == participant.event_id,
                                                                  SinglesParticipant.number == number))
    return other is not None and db.session.scalar(select(SinglesChoice.id).where(
        SinglesChoice.participant_id == other, SinglesChoice.chosen_number == participant.number)) is not None


@unit_of_work
def withdraw_choice(member, participant_id: int, number: int) -> None:
    """A participant takes back a choice that is not (yet) a match; a match, once made, stays."""
    participant = own_participant(member, participant_id)
    if _is_mutual(participant, number):
        raise Conflict(N_("双方已互选成功，不能撤回。"), code="already_matched")
    choice = db.session.scalar(select(SinglesChoice).where(SinglesChoice.participant_id == participant.id,
                                                           SinglesChoice.chosen_number == number))
    if choice is not None:
        db.session.delete(choice)
        audit.record(member, "events.singles_unchoose", "singles_participant", participant.id)

"""Read models of the events pages: public lists, a member's own registrations and matches, the
union's confirmations, the door list, the wedding programme and the figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.domain import events as rules
from portal.domain.errors import NotFound
from portal.domain.events import CoupleStatus, EventStatus, ParticipantStatus
from portal.extensions import db
from portal.models.events import SinglesChoice, SinglesEvent, SinglesParticipant, Wedding, WeddingCouple
from portal.services import audit
from portal.services.access import require_role, union_scope
from portal.services.events.permissions import (
    EVENT_NOT_FOUND,
    VIEWER_ROLES,
    WEDDING_NOT_FOUND,
    own_participant,
    require_organiser_of,
    require_viewer_of,
)
from portal.services.events.weddings import own_couple
from portal.services.records import get_or_not_found
from portal.services.unit_of_work import unit_of_work


def public_events() -> list[SinglesEvent]:
    return list(db.session.scalars(select(SinglesEvent).where(SinglesEvent.status == EventStatus.PUBLISHED)
                                   .options(selectinload(SinglesEvent.union))
                                   .order_by(SinglesEvent.held_on.desc(), SinglesEvent.id)))


def public_weddings() -> list[Wedding]:
    return list(db.session.scalars(select(Wedding).where(Wedding.status == EventStatus.PUBLISHED)
                                   .order_by(Wedding.held_on.desc(), Wedding.id)))


def get_public_event(event_id: int) -> SinglesEvent:
    event = get_or_not_found(SinglesEvent, event_id, EVENT_NOT_FOUND)
    if event.status != EventStatus.PUBLISHED:
        raise NotFound(EVENT_NOT_FOUND)
    return event


def get_public_wedding(wedding_id: int) -> Wedding:
    wedding = get_or_not_found(Wedding, wedding_id, WEDDING_NOT_FOUND)
    if wedding.status != EventStatus.PUBLISHED:
        raise NotFound(WEDDING_NOT_FOUND)
    return wedding


# --- a member's own ------------------------------------------------------------------------


def my_participations(member) -> list[SinglesParticipant]:
    return list(db.session.scalars(select(SinglesParticipant).where(SinglesParticipant.member_id == member.id)
                                   .options(selectinload(SinglesParticipant.event))
                                   .order_by(SinglesParticipant.id.desc())))


def my_couples(member) -> list[WeddingCouple]:
    return list(db.session.scalars(select(WeddingCouple).where(WeddingCouple.member_id == member.id)
                                   .options(selectinload(WeddingCouple.wedding))
                                   .order_by(WeddingCouple.id.desc())))


@dataclass
class ParticipantView:
    participant: SinglesParticipant
    choices: list[int]  # numbers this participant chose
    matches: list[int]  # of those, the ones that chose this participant too

    @property
    def can_choose(self) -> bool:
        return self.participant.status == ParticipantStatus.ATTENDED


def participant_for_member(member, participant_id: int) -> ParticipantView:
    """The member's own registration, their choices and matches: numbers only, never a name."""
    participant = own_participant(member, participant_id)
    choices = sorted(db.session.scalars(select(SinglesChoice.chosen_number)
                                        .where(SinglesChoice.participant_id == participant.id)))
    chose_me = set(db.session.scalars(
        select(SinglesParticipant.number).join(SinglesChoice, SinglesChoice.participant_id == SinglesParticipant.id)
        .where(SinglesParticipant.event_id == participant.event_id,
               SinglesChoice.chosen_number == participant.number)))
    return ParticipantView(participant, choices, [n for n in choices if n in chose_me])


def couple_for_member(member, couple_id: int) -> WeddingCouple:
    return own_couple(member, couple_id)


# --- staff ---------------------------------------------------------------------------------


def staff_events(actor) -> list[SinglesEvent]:
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(SinglesEvent), actor, SinglesEvent.union_id)
    return list(db.session.scalars(stmt.options(selectinload(SinglesEvent.union))
                                   .order_by(SinglesEvent.held_on.desc(), SinglesEvent.id)))


def staff_weddings(actor) -> list[Wedding]:
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(Wedding), actor, Wedding.union_id)
    return list(db.session.scalars(stmt.order_by(Wedding.held_on.desc(), Wedding.id)))


def event_for_staff(actor, event_id: int) -> SinglesEvent:
    event = get_or_not_found(SinglesEvent, event_id, EVENT_NOT_FOUND)
    require_viewer_of(actor, event)
    return event


def wedding_for_staff(actor, wedding_id: int) -> Wedding:
    wedding = get_or_not_found(Wedding, wedding_id, WEDDING_NOT_FOUND)
    require_viewer_of(actor, wedding)
    return wedding


def pending_participants(actor) -> list[SinglesParticipant]:
    """Registrations of the officer's own members waiting for the union to confirm membership."""
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(SinglesParticipant), actor, SinglesParticipant.union_id)
    return list(db.session.scalars(stmt.where(SinglesParticipant.status == ParticipantStatus.REQUESTED)
                                   .options(selectinload(SinglesParticipant.member),
                                            selectinload(SinglesParticipant.event))
                                   .order_by(SinglesParticipant.id)))


def pending_couples(actor) -> list[WeddingCouple]:
    require_role(actor, *VIEWER_ROLES)
    stmt = union_scope(select(WeddingCouple), actor, WeddingCouple.union_id)
    return list(db.session.scalars(stmt.where(WeddingCouple.status == CoupleStatus.REQUESTED)
                                   .options(selectinload(WeddingCouple.member), selectinload(WeddingCouple.wedding))
                                   .order_by(WeddingCouple.id)))


def door_list(actor, event_id: int) -> tuple[SinglesEvent, list[SinglesParticipant]]:
    """The confirmed and checked-in participants of an event, by number, for the organiser at the door."""
    event = get_or_not_found(SinglesEvent, event_id, EVENT_NOT_FOUND)
    require_organiser_of(actor, event)
    rows = db.session.scalars(select(SinglesParticipant).where(
        SinglesParticipant.event_id == event.id,
        SinglesParticipant.status.in_((ParticipantStatus.CONFIRMED, ParticipantStatus.ATTENDED)))
        .options(selectinload(SinglesParticipant.member)).order_by(SinglesParticipant.number))
    return event, list(rows)


@unit_of_work
def programme(actor, wedding_id: int) -> tuple[Wedding, list[WeddingCouple]]:
    """The printable programme: the confirmed couples by number, names only where both agreed
    (the organiser prints it; each print is on record because it carries names)."""
    wedding = wedding_for_staff(actor, wedding_id)
    couples = list(db.session.scalars(select(WeddingCouple).where(
        WeddingCouple.wedding_id == wedding.id, WeddingCouple.status == CoupleStatus.CONFIRMED)
        .options(selectinload(WeddingCouple.member)).order_by(WeddingCouple.number)))
    audit.record(actor, "events.wedding_programme", "wedding", wedding.id, couples=len(couples))
    return wedding, couples


# --- figures -------------------------------------------------------------------------------


@dataclass
class EventFigures:
    event: SinglesEvent | None
    registered: int = 0  # every registration made, whatever became of it
    confirmed: int = 0  # confirmed by the union (attended included)
    attended: int = 0
    matched: int = 0  # mutual pairs


@dataclass
class Figures:
    events: int = 0
    registered: int = 0
    attended: int = 0
    matched: int = 0
    rows: list[EventFigures] = field(default_factory=list)
    weddings: int = 0
    couples_confirmed: int = 0


def figures(actor) -> Figures:
    """Like the article's (30 events, about 6,700 registered, 3,000 attended, 346 matched), counted
    from the rows of the events in the actor's scope."""
    events = [event for event in staff_events(actor) if event.status == EventStatus.PUBLISHED]
    ids = [event.id for event in events]
    by_status: dict[int, dict[str, int]] = defaultdict(dict)
    choices: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if ids:
        for event_id, status, count in db.session.execute(
                select(SinglesParticipant.event_id, SinglesParticipant.status, func.count())
                .where(SinglesParticipant.event_id.in_(ids))
                .group_by(SinglesParticipant.event_id, SinglesParticipant.status)):
            by_status[event_id][status] = count
        for event_id, own, chosen in db.session.execute(
                select(SinglesChoice.event_id, SinglesParticipant.number, SinglesChoice.chosen_number)
                .join(SinglesParticipant, SinglesChoice.participant_id == SinglesParticipant.id)
                .where(SinglesChoice.event_id.in_(ids))):
            choices[event_id].append((own, chosen))
    result = Figures()
    for event in events:
        counts = by_status[event.id]
        row = EventFigures(event, registered=sum(counts.values()),
                           confirmed=counts.get(ParticipantStatus.CONFIRMED, 0)
                           + counts.get(ParticipantStatus.ATTENDED, 0),
                           attended=counts.get(ParticipantStatus.ATTENDED, 0),
                           matched=len(rules.mutual_pairs(choices[event.id])))
        result.rows.append(row)
        result.events += 1
        result.registered += row.registered
        result.attended += row.attended
        result.matched += row.matched
    weddings = [w for w in staff_weddings(actor) if w.status == EventStatus.PUBLISHED]
    result.weddings = len(weddings)
    if weddings:
        result.couples_confirmed = db.session.scalar(select(func.count()).select_from(WeddingCouple).where(
            WeddingCouple.wedding_id.in_([w.id for w in weddings]), WeddingCouple.status == CoupleStatus.CONFIRMED))
    return result

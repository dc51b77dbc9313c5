"""Seats: the draw when the registration window closes, first come after it, the waitlist, and
promotion when a seat is freed. Every function here runs under the class's row lock."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from portal import clock
from portal.domain import childcare as rules
from portal.domain.childcare import (
    REGISTRATION,
    BallotEntry,
    ClassStatus,
    Phase,
    RegistrationAction,
    RegistrationStatus,
    SeatSource,
)
from portal.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.extensions import db
from portal.models.childcare import ChildcareBallot, ChildcareClass, Registration
from portal.services import audit
from portal.services.childcare import texts
from portal.services.childcare.permissions import get_class, lock_class, require_organiser_of, today_in_china
from portal.services.childcare.queries import get_public_class
from portal.services.unit_of_work import savepoint, unit_of_work

log = logging.getLogger(__name__)


def confirm_seat(cls: ChildcareClass, registration: Registration, source: SeatSource, now: datetime) -> None:
    """Give ``registration`` a seat of ``cls`` (a request, or the first on the waitlist)."""
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


def seat_or_waitlist(cls: ChildcareClass, registration: Registration, now: datetime) -> None:
    """After the draw: a free seat goes to whoever asks first; with none left, the end of the waitlist."""
    if cls.seats_left > 0:
        confirm_seat(cls, registration, SeatSource.FIRST_COME, now)
    else:
        REGISTRATION.move(registration, RegistrationAction.WAITLIST)
        registration.queue_number = _next_queue_number(cls)


def draw(cls: ChildcareClass, now: datetime, *, drawn_by: str, seed: str | None = None) -> ChildcareBallot:
    """Allocate the window's requests by tier and seeded ballot, and text every family the result."""
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
            confirm_seat(cls, registration, SeatSource.BALLOT, now)
        else:
            REGISTRATION.move(registration, RegistrationAction.WAITLIST)
    db.session.flush()  # the waitlist positions in the texts are counted from the rows
    for number in result.order:
        texts.text_status(by_number[number])
    cls.allocated_at = now
    ballot = ChildcareBallot(childcare_class=cls, seed=seed, seats=free, drawn_at=now, drawn_by=drawn_by[:80],
                             entries=[[r.number, r.tier] for r in requests], order=list(result.order))
    db.session.add(ballot)
    audit.record(None, "childcare.allocate", "childcare_class", cls.id, seed=seed, seats=free,
                 requests=len(requests), confirmed=len(result.confirmed), waitlisted=len(result.waitlisted),
                 drawn_by=drawn_by[:80])
    return ballot


ALREADY_DRAWN = N_("本班已于%(at)s抽签，没有重复抽签；结果见下方名单。")


def _already_drawn(cls: ChildcareClass) -> Conflict:
    return Conflict(ALREADY_DRAWN, code="already_drawn", at=cls.ballot.drawn_at.astimezone(clock.CHINA).date())


def _require_drawable(cls: ChildcareClass, now: datetime) -> None:
    phase = cls.phase(today_in_china(now))
    if cls.status != ClassStatus.PUBLISHED or phase in (Phase.NOT_OPEN, Phase.WINDOW_OPEN, Phase.FINISHED):
        raise InvalidInput(N_("报名截止（%(day)s）之后才能分配名额。"), code="window_open",
                           day=cls.registration_closes_on)


@dataclass(frozen=True)
class TierForecast:
    """One priority tier in the draw to come: how many ask, how many are sure of a seat, how many
    the ballot decides between (``in_ballot`` of them for ``ballot_seats`` seats), how many wait."""

    tier: int
    label: str
    requests: int
    seated: int  # every one of the tier gets a seat
    in_ballot: int  # the tier the seats run out in: its requests, drawn by lot
    ballot_seats: int
    waitlisted: int  # the tiers after the seats ran out


@dataclass(frozen=True)
class BallotPreview:
    """What the draw will do, shown before the organiser confirms it: nothing here is random."""

    cls: ChildcareClass
    requests: int
    seats: int  # free seats the draw hands out
    tiers: tuple[TierForecast, ...]

    @property
    def families_texted(self) -> int:
        return self.requests  # every request is texted its result, seat or waitlist place

    @property
    def confirmed(self) -> int:
        return min(self.requests, self.seats)

    @property
    def waitlisted(self) -> int:
        return self.requests - self.confirmed


def ballot_preview(actor, class_id: int, *, now: datetime | None = None) -> BallotPreview:
    """How many requests, seats and by tier who is sure of a seat, who is drawn by lot and who waits:
    the page the organiser confirms the draw on. Reads only; ``Conflict`` once drawn."""
    now = now or clock.now()
    cls = get_class(class_id)
    require_organiser_of(actor, cls)
    if cls.ballot is not None:
        raise _already_drawn(cls)
    _require_drawable(cls, now)
    by_tier: dict[int, int] = dict(db.session.execute(
        select(Registration.tier, func.count()).where(Registration.class_id == cls.id,
                                                       Registration.status == RegistrationStatus.REQUESTED)
        .group_by(Registration.tier)).all())
    free = cls.seats - cls.seats_taken
    left = free
    tiers = []
    for tier in sorted(by_tier):
        count = by_tier[tier]
        if count <= left:
            forecast = TierForecast(tier, rules.TIER_LABELS.get(tier, ""), count, count, 0, 0, 0)
        elif left > 0:
            forecast = TierForecast(tier, rules.TIER_LABELS.get(tier, ""), count, 0, count, left, count - left)
        else:
            forecast = TierForecast(tier, rules.TIER_LABELS.get(tier, ""), count, 0, 0, 0, count)
        left = max(left - count, 0)
        tiers.append(forecast)
    return BallotPreview(cls, sum(by_tier.values()), free, tuple(tiers))


@unit_of_work
def allocate_class(actor, class_id: int, *, now: datetime | None = None, seed: str | None = None,
                   once: bool = False) -> ChildcareBallot:
    """Close the window's draw: seats by priority tier, then the seeded ballot. Runs once per class;
    ``actor`` is the organiser, or ``None`` for the scheduled run. A class drawn already returns its
    ballot, or with ``once`` (the organiser's confirmed tap) is refused with ``Conflict``: a second
    submit of the confirmation, or two organisers at once, never draws twice (the class row is locked)."""
    now = now or clock.now()
    cls = lock_class(class_id)
    if actor is not None:
        require_organiser_of(actor, cls)
    if cls.ballot is not None:
        if once:
            raise _already_drawn(cls)
        return cls.ballot  # drawn already: the nightly run after the organiser
    _require_drawable(cls, now)
    label = audit.actor_label(actor) if actor is not None else "system"
    ballot = draw(cls, now, drawn_by=label, seed=seed)
    if actor is not None:
        audit.record(actor, "childcare.allocate_request", "childcare_class", cls.id)
    return ballot


@unit_of_work
def allocate_due(*, now: datetime | None = None) -> int:
    """Draw every published class whose window has closed (the nightly task); returns how many
    were drawn. A class that cannot be drawn is logged and left for the next run; the others
    are drawn all the same."""
    now = now or clock.now()
    today = today_in_china(now)
    due = list(db.session.scalars(select(ChildcareClass.id).where(
        ChildcareClass.status == ClassStatus.PUBLISHED, ChildcareClass.allocated_at.is_(None),
        ChildcareClass.registration_closes_on < today, ChildcareClass.ends_on >= today)))
    drawn = 0
    for class_id in due:
        try:
            with savepoint():
                allocate_class(None, class_id, now=now)
        except DomainError as error:
            log.warning("childcare class %s not drawn: %s", class_id, error.message)
        else:
            drawn += 1
    return drawn


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


def promote(cls: ChildcareClass, now: datetime) -> list[Registration]:
    """Fill free seats from the waitlist, in order, texting each parent."""
    promoted = []
    while cls.seats_left > 0:
        following = db.session.scalar(
            select(Registration).where(Registration.class_id == cls.id,
                                       Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.queue_number, Registration.id).limit(1))
        if following is None:
            break
        confirm_seat(cls, following, SeatSource.PROMOTION, now)
        texts.text_promoted(following)
        audit.record(None, "childcare.promote", "childcare_registration", following.id, class_id=cls.id)
        promoted.append(following)
    return promoted

"""Publishing a singles' event or a collective wedding: the same rule for both, so an organiser
meets one set of words whichever they publish."""

from __future__ import annotations

from datetime import datetime

from portal import clock
from portal.domain.errors import InvalidInput
from portal.domain.events import EventAction, EventStatus
from portal.domain.i18n import N_
from portal.domain.states import StateMachine
from portal.services import audit
from portal.services.events.permissions import require_organiser_of


def publish(actor, gathering, machine: StateMachine, *, audit_action: str, record_type: str, now: datetime):
    """Open registration; publishing twice is a no-op, and a closing date already past is refused
    because nobody could register for it."""
    require_organiser_of(actor, gathering)
    if gathering.status == EventStatus.PUBLISHED:
        return gathering
    if gathering.registration_closes_on < now.astimezone(clock.CHINA).date():
        raise InvalidInput(N_("报名截止日期已过，不能发布。"), field="registration_closes_on")
    machine.move(gathering, EventAction.PUBLISH)
    gathering.published_at = now
    audit.record(actor, audit_action, record_type, gathering.id)
    return gathering

"""Who may act on an event or a wedding, and loading the rows an action works on."""

from __future__ import annotations

from portal.domain.errors import NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.events import SinglesEvent, SinglesParticipant, Wedding, WeddingCouple
from portal.services.access import require_role, require_union_in_scope
from portal.services.records import get_or_not_found

# Union officers organise events for their union's subtree and confirm their own members;
# administrators read the figures of every union.
ORGANISER_ROLES = (Role.UNION_OFFICER,)
VIEWER_ROLES = (Role.UNION_OFFICER, Role.ADMIN)
EVENT_NOT_FOUND = N_("找不到该活动。")
PARTICIPANT_NOT_FOUND = N_("找不到该报名。")
WEDDING_NOT_FOUND = N_("找不到该集体婚礼。")


def lock(model, record_id, message):
    """The row, locked for the rest of the unit of work and re-read (counters may be stale)."""
    record = get_or_not_found(model, record_id, message)
    db.session.refresh(record, with_for_update=True)
    return record


def lock_event(event_id: int) -> SinglesEvent:
    return lock(SinglesEvent, event_id, EVENT_NOT_FOUND)


def lock_wedding(wedding_id: int) -> Wedding:
    return lock(Wedding, wedding_id, WEDDING_NOT_FOUND)


def require_organiser_of(actor, organised) -> None:
    """An officer of the organising union (or of a union above it)."""
    require_role(actor, *ORGANISER_ROLES)
    require_union_in_scope(actor, organised.union)


def require_viewer_of(actor, organised) -> None:
    require_role(actor, *VIEWER_ROLES)
    require_union_in_scope(actor, organised.union)


def require_confirmer_of(actor, registration: SinglesParticipant | WeddingCouple) -> None:
    """An officer of the registrant's own union (or above it): the union that knows its members."""
    require_role(actor, Role.UNION_OFFICER)
    require_union_in_scope(actor, registration.union)


def require_member_in(member, organised) -> None:
    """A member of a union inside the organising union's subtree."""
    if getattr(member, "actor_type", None) != "member":
        raise PermissionDenied()
    if member.union is None or not organised.union.contains(member.union):
        raise PermissionDenied(N_("本活动由%(union)s举办，面向其所属工会的会员。您所在工会不在范围内。"),
                               union=organised.union.name)


def own_participant(member, participant_id: int) -> SinglesParticipant:
    participant = get_or_not_found(SinglesParticipant, participant_id, PARTICIPANT_NOT_FOUND)
    if participant.member_id != getattr(member, "id", None) or getattr(member, "actor_type", None) != "member":
        raise NotFound(PARTICIPANT_NOT_FOUND)
    return participant

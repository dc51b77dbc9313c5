"""What members change about themselves."""

from __future__ import annotations

from portal.domain.roles import Role
from portal.services import audit
from portal.services.access import require_role
from portal.services.unit_of_work import unit_of_work


@unit_of_work
def set_sms_consent(actor, consent: bool) -> None:
    """A member opts in or out of reminder texts (sign-in codes and decisions on their own
    requests are still sent: they are the answer to something the member asked for)."""
    require_role(actor, Role.MEMBER)
    if actor.sms_consent == consent:
        return
    actor.sms_consent = consent
    audit.record(actor, "member.sms_consent", "member", actor.id, consent=consent)

"""What members change about themselves."""

from __future__ import annotations

from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.models import Member
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope
from portal.services.records import get_or_not_found
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


@unit_of_work
def set_hardship_family(actor, member_id: int, flag: bool) -> Member:
    """A union marks (or clears) a member's family as a hardship family (困难职工家庭).

    The flag gives their children priority for work-study positions and childcare seats, so only
    the member's own union (or an administrator) may set it, and every change is audited.
    """
    require_role(actor, Role.UNION_OFFICER, Role.ADMIN)
    member = get_or_not_found(Member, member_id, N_("找不到该会员。"))
    require_union_in_scope(actor, member.union)
    if member.is_hardship_family != flag:
        member.is_hardship_family = flag
        audit.record(actor, "member.hardship_family", "member", member.id, flag=flag)
    return member

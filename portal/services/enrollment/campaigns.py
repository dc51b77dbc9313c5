"""Gifted campaigns ("锡新保"): a sponsor pays a year of cover for the members who qualify.

The quota is taken by one conditional UPDATE (``claimed_count < quota``) in the same savepoint
as the enrolment: concurrent claims queue on the campaign row and the last ones find it full. If
the enrolment cannot be written (the person was covered a moment ago), the savepoint rolls back
and the place goes back to the quota.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select, update

from portal import clock
from portal.domain import enrollment as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.plans import cover_period
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Campaign, Enrollment, EnrollmentChannel, EnrollmentStatus, Member, Payer, Union
from portal.models.base import utcnow
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope
from portal.services.enrollment.enrolments import blocking_enrollment, covered_conflict, previous_cover_end
from portal.services.enrollment.plans import current_plan, eligibility_refusal
from portal.services.enrollment.queries import campaign as find_campaign
from portal.services.enrollment.queries import open_campaigns
from portal.services.sms import queue_text
from portal.services.unit_of_work import savepoint, unit_of_work

QUOTA_FULL = N_("本期赠送名额已全部领完，感谢关注。您仍可通过所在工会或自助申请参保。")


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    sponsor: str
    union_code: str
    opens_on: date
    closes_on: date
    quota: int
    occupations: tuple[str, ...] = rules.GIG_OCCUPATION_CHOICES
    requires_gig_worker: bool = True
    requires_social_insurance: bool = False
    description: str = ""


@unit_of_work
def open_campaign(actor, draft: CampaignDraft) -> Campaign:
    """An administrator opens a campaign on the current version of the plan."""
    require_role(actor, Role.ADMIN)
    if not draft.name.strip() or not draft.sponsor.strip():
        raise InvalidInput(N_("请填写项目名称和出资方。"), field="name")
    if draft.quota <= 0:
        raise InvalidInput(N_("名额应为正整数。"), field="quota")
    if draft.closes_on < draft.opens_on:
        raise InvalidInput(N_("截止日期不能早于开始日期。"), field="closes_on")
    union = db.session.scalar(select(Union).where(Union.code == draft.union_code.strip()))
    if union is None:
        raise InvalidInput(N_("找不到工会代码 %(union_code)s。"), field="union_code", union_code=draft.union_code)
    campaign = Campaign(
        name=draft.name.strip(), sponsor=draft.sponsor.strip(), plan_id=current_plan().id, union_id=union.id,
        opens_on=draft.opens_on, closes_on=draft.closes_on, quota=draft.quota, claimed_count=0,
        occupations=list(draft.occupations), requires_gig_worker=draft.requires_gig_worker,
        requires_social_insurance=draft.requires_social_insurance, description=draft.description.strip() or None,
        created_by_id=actor.id,
    )
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "enrollment.campaign_open", "campaign", campaign.id, quota=draft.quota)
    return campaign


@unit_of_work
def close_campaign(actor, campaign_id: int) -> Campaign:
    require_role(actor, Role.ADMIN)
    campaign = find_campaign(campaign_id)
    campaign.is_closed = True
    audit.record(actor, "enrollment.campaign_close", "campaign", campaign.id)
    return campaign


def refusal_for(campaign: Campaign, member: Member, today: date) -> InvalidInput | None:
    """Why ``member`` cannot claim ``campaign`` today (an error to show or raise), or ``None``."""
    if not campaign.is_open_on(today):
        return InvalidInput(N_("该赠送项目领取时间为%(opens_on)s至%(closes_on)s，当前不在领取时间内。"),
                            code="not_eligible", opens_on=campaign.opens_on, closes_on=campaign.closes_on)
    refusal = rules.campaign_refusal(
        campaign.rules(), occupation=member.occupation, is_gig_worker=member.is_gig_worker,
        has_social_insurance=member.has_social_insurance, union_path=member.union.path if member.union else None,
    )
    if refusal is not None:
        return refusal
    # The plan's own rules (working age) hold for a gift too; social insurance is the campaign's
    # call (a gift for gig workers who pay none), already asked above.
    plan_rules = replace(campaign.plan.schedule().eligibility, requires_social_insurance=False)
    return eligibility_refusal(plan_rules, member, on=cover_period(today)[0])


def campaigns_for_member(member: Member, *, today: date | None = None) -> list[tuple[Campaign, InvalidInput | None]]:
    """Open campaigns with the reason the member cannot claim each (``None``: they can)."""
    today = today or clock.today()
    return [(campaign, refusal_for(campaign, member, today)) for campaign in open_campaigns(today=today)]


def _claim(campaign_id: int, member: Member, *, actor, channel: str, today: date) -> Enrollment:
    campaign = find_campaign(campaign_id)
    refusal = refusal_for(campaign, member, today)
    if refusal:
        raise refusal
    start, end = cover_period(today)
    existing = blocking_enrollment(member.id, start)
    if existing is not None:
        if existing.campaign_id == campaign.id:
            return existing  # a double tap: the gift already stands
        raise covered_conflict(existing, code="already_covered")
    enrollment = Enrollment(
        member_id=member.id, plan_id=campaign.plan_id, union_id=member.union_id,
        plan_year=rules.plan_year_for(today), status=EnrollmentStatus.ACTIVE, channel=channel,
        payer=Payer.CAMPAIGN, campaign_id=campaign.id, contribution_fen=0, starts_on=start, ends_on=end,
        is_renewal=rules.is_continuation(previous_cover_end(member.id), start),
        confirmed_at=utcnow(), confirmed_by_id=getattr(actor, "id", None) if actor is not member else None,
        applied_at=utcnow(),
    )
    try:
        with savepoint():  # the place and the cover stand or fall together
            taken = db.session.execute(
                update(Campaign).where(Campaign.id == campaign.id, Campaign.is_closed.is_(False),
                                       Campaign.claimed_count < Campaign.quota)
                .values(claimed_count=Campaign.claimed_count + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise Conflict(QUOTA_FULL, code="quota_full")
            db.session.add(enrollment)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        existing = blocking_enrollment(member.id, start)  # covered a moment ago, from another tab or kiosk
        if existing is not None and existing.campaign_id == campaign.id:
            return existing
        if existing is not None:
            raise covered_conflict(existing, code="already_covered") from None
        raise Conflict(N_("您本年度已有参保记录。"), code="already_covered") from None
    audit.record(actor, "enrollment.campaign_claim", "enrollment", enrollment.id, campaign_id=campaign.id,
                 member_id=member.id, channel=channel)
    if member.mobile:
        # The cover itself is news the member needs: sent whatever the marketing consent says.
        queue_text(member.mobile, kind="campaign_claimed", member=member, subject=("enrollment", enrollment.id),
                   params={"campaign": campaign.name, "starts_on": start, "sponsor": campaign.sponsor})
    return enrollment


@unit_of_work
def claim_gift(member: Member, campaign_id: int, *, channel: str = EnrollmentChannel.CAMPAIGN,
               today: date | None = None) -> Enrollment:
    """A qualifying member claims their gifted cover (browser or kiosk)."""
    return _claim(campaign_id, member, actor=member, channel=channel, today=today or clock.today())


@unit_of_work
def nominate(actor, campaign_id: int, member_id: int, *, today: date | None = None) -> Enrollment:
    """A union officer claims the gift for one of their own members."""
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound(N_("找不到该会员。"))
    require_union_in_scope(actor, member.union)
    return _claim(campaign_id, member, actor=actor, channel=EnrollmentChannel.CAMPAIGN,
                  today=today or clock.today())

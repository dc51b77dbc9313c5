"""Demo enrolments: the 三合一 plan, a year of cover (and the year before) for most members,
a few pending self-service applications and an open "锡新保" campaign with part of its quota taken.

Covers start between three and eleven months ago, so some are due for renewal and claims can be
shown against months of cover; the demo member 虞建国 is covered since five months.
"""

from __future__ import annotations

from datetime import timedelta

from portal.domain.enrollment import GIG_OCCUPATION_CHOICES, plan_year_for
from portal.domain.plans import BenefitSchedule, cover_period
from portal.extensions import db
from portal.models import Campaign, Enrollment, EnrollmentChannel, EnrollmentStatus, Payer, Plan
from portal.models.base import utcnow

PLAN_CODE = "SANHEYI"
PLAN_NAME = "职工住院+重疾+意外三合一互助保障"
CAMPAIGN_QUOTA = 300
UNCOVERED_SHARE = 0.15
PENDING_APPLICATIONS = 6


def _cover(member, plan, confirmed_on, *, channel, payer, is_renewal=False, campaign=None, today):
    start, end = cover_period(confirmed_on)
    enrollment = Enrollment(
        member=member, plan=plan, union=member.union, plan_year=plan_year_for(confirmed_on),
        status=EnrollmentStatus.ACTIVE if end >= today else EnrollmentStatus.EXPIRED,
        channel=channel, payer=payer, is_renewal=is_renewal, campaign=campaign,
        contribution_fen=0 if campaign else plan.contribution_fen, starts_on=start, ends_on=end,
        confirmed_at=utcnow() - timedelta(days=(today - confirmed_on).days),
    )
    db.session.add(enrollment)
    return enrollment


def load(context) -> None:
    today, rng = context.today, context.rng
    # The plan's history: the first version had a 1,000元 deductible (起付线) on the medical-cost
    # part; the federation lowered it to zero (零起付线) and added the condolence payment.
    earlier = Plan.from_schedule(PLAN_CODE, PLAN_NAME, BenefitSchedule(medical_deductible_fen=100_000,
                                                                       condolence_fen=0), version=1)
    earlier.is_current = False
    plan = Plan.from_schedule(PLAN_CODE, PLAN_NAME, BenefitSchedule(), version=2)
    db.session.add_all([earlier, plan])
    campaign = Campaign(
        name="“锡新保”新就业形态劳动者专项互助保障", sponsor="无锡市总工会", plan=plan,
        union=context.unions["WX"], opens_on=today - timedelta(days=60), closes_on=today + timedelta(days=120),
        quota=CAMPAIGN_QUOTA, claimed_count=0, occupations=list(GIG_OCCUPATION_CHOICES),
        requires_gig_worker=True, requires_social_insurance=False,
        description="市总工会为快递员、外卖配送员、网约车司机、货车司机等新就业形态劳动者免费赠送一年三合一互助保障。",
    )
    db.session.add(campaign)
    context.plan, context.campaign = plan, campaign

    uncovered = []
    for index, member in enumerate(context.members):
        if index > 0 and rng.random() < UNCOVERED_SHARE:
            uncovered.append(member)
            continue
        if index > 0 and member.is_gig_worker and rng.random() < 0.4:
            # A gift from the campaign: a first enrolment, claimed since the campaign opened.
            claimed_on = campaign.opens_on + timedelta(days=rng.randint(0, 50))
            _cover(member, plan, claimed_on, channel=EnrollmentChannel.CAMPAIGN, payer=Payer.CAMPAIGN,
                   campaign=campaign, today=today)
            campaign.claimed_count += 1
            continue
        months_ago = 5 if index == 0 else rng.randint(3, 11)
        confirmed_on = today - timedelta(days=30 * months_ago + (0 if index == 0 else rng.randint(0, 25)))
        _cover(member, plan, confirmed_on - timedelta(days=365), channel=EnrollmentChannel.ROSTER,
               payer=Payer.UNION, today=today)
        _cover(member, plan, confirmed_on, channel=EnrollmentChannel.RENEWAL, payer=Payer.UNION,
               is_renewal=True, today=today)

    # A few members asked to be enrolled and wait for their union; the rest of the uncovered gig
    # workers are there to claim the campaign.
    first_union = context.members[0].union
    waiting = sorted((m for m in uncovered if not m.is_gig_worker),
                     key=lambda m: m.union is not first_union)[:PENDING_APPLICATIONS]
    for days_ago, member in enumerate(waiting, start=1):
        db.session.add(Enrollment(
            member=member, plan=plan, union=member.union, plan_year=plan_year_for(today),
            status=EnrollmentStatus.PENDING, channel=EnrollmentChannel.SELF_SERVICE, payer=Payer.MEMBER,
            contribution_fen=plan.contribution_fen, applied_at=utcnow() - timedelta(days=days_ago),
        ))
    covered = len(context.members) - len(uncovered)
    context.notes.append(
        f"参保: {covered} 人有保障，{len(waiting)} 份自助申请待确认，“锡新保”已领取 "
        f"{campaign.claimed_count}/{campaign.quota}"
    )

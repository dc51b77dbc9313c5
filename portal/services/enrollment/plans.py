"""Plans: the versioned benefit schedule. An edit saves a new version; enrolments keep theirs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select

from portal.domain import enrollment as rules
from portal.domain.eligibility import EligibilityRules, NotEligible, eligibility_refusals, person_facts
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.plans import BenefitSchedule
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Plan
from portal.services import audit
from portal.services.access import require_role
from portal.services.unit_of_work import savepoint, unit_of_work

DEFAULT_PLAN_CODE = "SANHEYI"


def current_plan(code: str = DEFAULT_PLAN_CODE) -> Plan:
    """The version new enrolments get; ``NotFound`` before an administrator has set one up."""
    plan = db.session.scalar(select(Plan).where(Plan.code == code, Plan.is_current.is_(True)))
    if plan is None:
        raise NotFound(N_("尚未设置保障项目，请联系管理员。"))
    return plan


def eligibility_refusal(rules: EligibilityRules, person, *, on: date, field: str | None = None) -> NotEligible | None:
    """Why ``person`` (a member or a roster row) may not join under ``rules`` on ``on``, or ``None``.

    Every door into a plan asks this one question (rosters, self-service, campaigns and the kiosk's
    envelopes, which call the same services), so a person refused at one door is not let in at another.
    """
    refusals = eligibility_refusals(rules, person_facts(person), on=on)
    return refusals[0].error(field=field) if refusals else None


def cover_rules(plan_rules: EligibilityRules, campaign=None) -> EligibilityRules:
    """The rules a cover was let in under: the plan version's, except that a gifted campaign
    decides social insurance itself (a gift for gig workers who pay none)."""
    if campaign is None:
        return plan_rules
    return replace(plan_rules, requires_social_insurance=bool(campaign.requires_social_insurance))


@unit_of_work
def edit_plan(actor, code: str, *, name: str, schedule: BenefitSchedule, based_on_version: int) -> Plan:
    """Save an edited schedule as a new version; enrolments keep the version they were made under.

    ``based_on_version`` is the version the administrator edited: if someone saved another version
    meanwhile, the edit is refused instead of silently replacing their figures.
    """
    require_role(actor, Role.ADMIN)
    rules.check_schedule(schedule)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(N_("请填写项目名称。"), field="name")
    current = db.session.scalar(
        select(Plan).where(Plan.code == code, Plan.is_current.is_(True)).with_for_update()
    )
    if current is None:
        raise NotFound(N_("找不到该保障项目。"))
    if current.version != based_on_version:
        raise Conflict(N_("在您编辑期间，该项目已更新为第%(version)s版，请刷新后在新版本上修改。"),
                       version=current.version)
    if current.schedule() == schedule and current.name == name:
        raise InvalidInput(N_("没有任何修改，无需保存新版本。"))
    try:
        with savepoint():  # two administrators saving the same version at once: one wins
            current.is_current = False
            plan = Plan.from_schedule(code, name, schedule, version=current.version + 1)
            plan.created_by_id = actor.id
            db.session.add(plan)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        raise Conflict(N_("该项目刚刚被他人更新，请刷新后重试。")) from None
    audit.record(actor, "enrollment.plan_edit", "plan", plan.id, code=code, version=plan.version)
    return plan


def schedule_with(schedule: BenefitSchedule, **changes) -> BenefitSchedule:
    """A copy of ``schedule`` with some figures changed (what the edit form builds)."""
    return replace(schedule, **changes)

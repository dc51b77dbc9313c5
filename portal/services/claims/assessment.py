"""The automatic assessment of a claim: the cover it is judged against, the checks, the benefit.

It runs whenever the facts change (a save, a document, a submission, a reviewer asking for more),
so the claimant sees what is missing and the reviewer sees the flags and the amount with the
rule behind each line. The rules themselves are plain functions in ``portal.domain.claims``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal import clock
from portal.domain.claims import (
    ClaimStatus,
    CoverFacts,
    PlanYearHistory,
    calculate_benefit,
    check_claim,
    missing_documents,
    required_documents,
)
from portal.domain.eligibility import eligibility_refusals, person_facts
from portal.domain.plans import BenefitSchedule
from portal.extensions import db
from portal.models import Enrollment, Plan
from portal.models.claims import Claim
from portal.services.enrollment.plans import cover_rules

# Statuses whose amounts count against the plan year's limits.
COUNTING_STATUSES = (ClaimStatus.AWAITING_SECOND, ClaimStatus.APPROVED, ClaimStatus.PAYOUT_PENDING, ClaimStatus.PAID)
# Documents a claimant may always add, whatever the checklist asks for.
ALWAYS_UPLOADABLE = {"disability_appraisal", "death_certificate", "invoice"}


def refresh_assessment(claim: Claim, *, today: date) -> None:
    """Find the cover, run the automatic checks and compute the benefit with its breakdown.

    Everything pending is flushed first, so every query below reads what the unit has done so far
    (another claim of the same stay approved a moment ago, a document just added). The queries
    then run without autoflush: what changes meanwhile is this claim's own assessment columns,
    which none of them reads (they read covers, plans, documents and the member's *other* claims),
    so the answers are the same, and the claim is written once at the end instead of once per
    query (five UPDATEs of the claim became one). For the same reason, when this claim is the
    only thing pending (a submission's new status), that first flush is left to the end too.
    """
    session = db.session()
    if session.new or session.deleted or any(instance is not claim for instance in session.dirty):
        session.flush()
    with session.no_autoflush:
        enrollment = _attach_cover(claim)
        schedule = schedule_for(claim)
        _record_flags(claim, schedule, enrollment, today=today)
        _record_benefit(claim, schedule)


def _attach_cover(claim: Claim) -> Enrollment | None:
    """The member's own enrolment covering the event date (never one chosen on the form)."""
    event = claim.facts().event_date
    enrollment = Enrollment.covering(claim.member_id, event) if event is not None else None
    claim.enrollment = enrollment
    claim.plan = enrollment.plan if enrollment else claim.plan
    claim.plan_year = enrollment.plan_year if enrollment else None
    claim.event_date = event
    return enrollment


def _record_flags(claim: Claim, schedule: BenefitSchedule | None, enrollment: Enrollment | None, *,
                  today: date) -> None:
    cover = (CoverFacts(enrollment.starts_on, enrollment.ends_on, enrollment.is_renewal)
             if enrollment is not None else None)
    filed_on = claim.submitted_at.astimezone(clock.CHINA).date() if claim.submitted_at else today
    paid_twin, open_twin = _same_stay(claim)
    flags = check_claim(schedule, claim.facts(), cover, filed_on=filed_on,
                        missing_documents=missing_document_kinds(claim, schedule),
                        duplicate_of=paid_twin, open_duplicate_of=open_twin,
                        ineligible=_ineligible(claim, schedule))
    claim.flags = [flag.as_dict() for flag in flags]
    claim.flag_codes = "".join(f",{flag.code}" for flag in flags) + ("," if flags else "")
    claim.is_flagged = bool(flags)


def _record_benefit(claim: Claim, schedule: BenefitSchedule | None) -> None:
    facts = claim.facts()
    if schedule is None or facts.event_date is None:
        claim.breakdown, claim.calculated_fen, claim.allowance_days, claim.pays_critical_illness = None, None, 0, False
        claim.medical_fen = 0
        return
    benefit = calculate_benefit(schedule, facts, plan_year_history(claim))
    claim.breakdown = benefit.as_dict()
    claim.calculated_fen = benefit.total_fen
    claim.allowance_days = benefit.allowance_days
    claim.medical_fen = benefit.medical_fen
    claim.pays_critical_illness = any(line.code == "critical_illness" and line.amount_fen for line in benefit.lines)


def schedule_for(claim: Claim) -> BenefitSchedule | None:
    """The figures of the claim's plan; before a cover is found, those of the current plan."""
    if claim.enrollment is not None:
        return claim.enrollment.plan.schedule()
    plan = db.session.scalar(select(Plan).where(Plan.is_current.is_(True)).order_by(Plan.id.desc()).limit(1))
    return plan.schedule() if plan else None


def plan_year_history(claim: Claim) -> PlanYearHistory:
    """What the member's other claims of the same plan year already use of its limits."""
    if claim.plan_year is None:
        return PlanYearHistory()
    others = (Claim.member_id == claim.member_id, Claim.plan_year == claim.plan_year,
              Claim.status.in_(COUNTING_STATUSES), Claim.id != claim.id)
    days, medical = db.session.execute(select(func.coalesce(func.sum(Claim.allowance_days), 0),
                                              func.coalesce(func.sum(Claim.medical_fen), 0)).where(*others)).one()
    critical = db.session.scalar(select(Claim.id).where(*others, Claim.pays_critical_illness.is_(True)).limit(1))
    return PlanYearHistory(allowance_days_paid=int(days or 0), critical_illness_paid=critical is not None,
                           medical_paid_fen=int(medical or 0))


def _same_stay(claim: Claim) -> tuple[int | None, int | None]:
    """Other claims of the same stay: the first one approved or paid (blocks this one), else the
    first one still open (told to the reviewer; whichever is approved first blocks the other)."""
    if claim.admission_date is None:
        return None, None
    rows = db.session.execute(
        select(Claim.id, Claim.status).where(
            Claim.member_id == claim.member_id, Claim.admission_date == claim.admission_date,
            Claim.id != claim.id, Claim.status.notin_((ClaimStatus.DRAFT, ClaimStatus.REJECTED)),
        ).order_by(Claim.id)
    ).all()
    paid = next((row.id for row in rows if row.status in COUNTING_STATUSES), None)
    return paid, (None if paid is not None else next((row.id for row in rows), None))


def _ineligible(claim: Claim, schedule: BenefitSchedule | None) -> list[str]:
    """The plan's eligibility refusals of the member, in their words: the same rules every door into
    the plan asks (``portal.services.enrollment.plans``).

    The rules belong to the plan version (``BenefitSchedule.eligibility``, set with the plan's
    figures); a plan version without rules refuses nobody.
    """
    rules = getattr(schedule, "eligibility", None)
    event = claim.event_date
    if rules is None or event is None or claim.member is None:
        return []
    # Judged as the door judged it: on the day the cover started (a member who turns 66 during a
    # covered year stays covered), under the campaign's own social-insurance rule for a gift.
    enrollment = claim.enrollment
    rules = cover_rules(rules, enrollment.campaign if enrollment is not None else None)
    on = enrollment.starts_on if enrollment is not None and enrollment.starts_on else event
    return [refusal.message for refusal in eligibility_refusals(rules, person_facts(claim.member), on=on)]


def document_kinds(claim: Claim, schedule: BenefitSchedule | None = None) -> list[str]:
    """The plan's checklist for this claim, then what a reviewer asked for besides, in that order."""
    schedule = schedule or schedule_for(claim)
    kinds = required_documents(schedule, claim.facts()) if schedule else []
    return list(dict.fromkeys([*kinds, *(claim.documents_requested or [])]))


def uploadable_kinds(claim: Claim) -> set[str]:
    return set(document_kinds(claim)) | ALWAYS_UPLOADABLE


def missing_document_kinds(claim: Claim, schedule: BenefitSchedule | None = None) -> list[str]:
    schedule = schedule or schedule_for(claim)
    if schedule is None:
        return []
    return missing_documents(document_kinds(claim, schedule), [document.kind for document in claim.documents])

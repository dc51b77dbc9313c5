"""Filing a claim: start a draft, save what the claimant typed, submit it for review.

A draft may be incomplete and is re-assessed at every save, so the claimant sees what is missing
before submitting. Starting and submitting are safe to repeat: the same form (its request key)
starts one draft whoever wins a double click, and a second submission changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from portal import clock
from portal.domain.claims import (
    CLAIM_MACHINE,
    EDITABLE_BY_CLAIMANT,
    ClaimAction,
    ClaimStatus,
    ClaimType,
    check_payee,
    parse_bank_card,
    required_fields,
)
from portal.domain.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number
from portal.domain.money import format_yuan
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member
from portal.models.claims import Claim
from portal.services import audit
from portal.services.access import role_of, scope_union
from portal.services.claims import access, assessment, timeline
from portal.services.unit_of_work import savepoint, unit_of_work

REQUEST_KEY_LENGTH = 64  # claims.request_key
EDITABLE_FIELDS = (
    "admission_date", "discharge_date", "hospital", "diagnosis", "disease", "diagnosis_date", "accident_date",
    "accident_description", "medical_costs_fen", "disability_grade", "is_death", "bank_name",
)


@dataclass(frozen=True)
class SubmitResult:
    claim: Claim
    already_submitted: bool = False
    refused: DomainError | None = None  # why a save-and-submit could not submit (the save was kept)


# --- starting ---------------------------------------------------------------------------------


@unit_of_work
def start_claim(actor, claim_type: str, *, request_key: str, id_number: str | None = None,
                today: date | None = None) -> Claim:
    """Start a draft; the same ``request_key`` (one form, clicked twice) returns the same draft."""
    kind = _claim_type(claim_type)
    member = _claimant(actor, id_number, today=today or clock.today())
    request_key = _stored_key(request_key)
    existing = _draft_of_form(actor, request_key)
    if existing is not None:
        return existing
    try:
        with savepoint():
            claim = _new_draft(actor, member, kind, request_key)
    except Conflict as error:  # the other click of a double click won the unique request key
        if error.code != "duplicate":
            raise
        return _draft_of_form(actor, request_key)
    audit.record(actor, "claim.start", "claim", claim.id, member_id=member.id, claim_type=kind.value)
    return claim


def _claim_type(value: str | None) -> ClaimType:
    try:
        return ClaimType(value)
    except ValueError:
        raise InvalidInput(N_("请选择申请类型。"), field="claim_type") from None


def _claimant(actor, id_number: str | None, *, today: date) -> Member:
    """The member a claim is for: the actor, or the member of its union an officer names."""
    role = role_of(actor)
    if role is Role.MEMBER:
        return actor
    if role is not Role.UNION_OFFICER:
        raise PermissionDenied(N_("理赔申请由会员本人或所在工会经办人填写。"))
    if not id_number:
        raise InvalidInput(N_("请填写职工的身份证号码。"), field="id_number")
    member = Member.by_id_number(parse_id_number(id_number, today=today).value)
    # One answer for "no member" and "another union's member": the form must not tell an officer
    # who is a member elsewhere (issue 12's oracle).
    scope = scope_union(actor)
    if member is None or (scope is not None and not scope.contains(member.union)):
        raise InvalidInput(NOT_A_MEMBER_HERE, code="not_a_member_here", field="id_number")
    return member


NOT_A_MEMBER_HERE = N_("在您所在工会（含下级工会）中没有找到该身份证号码的会员，请核对或先为其办理入会。")


def _stored_key(request_key: str | None) -> str | None:
    """Our forms send a 32-character key; a longer one (a client of its own) still means one draft."""
    if request_key and len(request_key) > REQUEST_KEY_LENGTH:
        return hashlib.sha256(request_key.encode()).hexdigest()
    return request_key or None


def _draft_of_form(actor, request_key: str | None) -> Claim | None:
    if not request_key:
        return None
    existing = db.session.scalar(select(Claim).where(Claim.request_key == request_key))
    if existing is not None:
        access.require_claim_access(actor, existing)
    return existing


def _new_draft(actor, member: Member, kind: ClaimType, request_key: str | None) -> Claim:
    claim = Claim(member=member, union_id=member.union_id, claim_type=kind, status=CLAIM_MACHINE.initial,
                  filed_by_type="member" if role_of(actor) is Role.MEMBER else "staff", filed_by_id=actor.id,
                  request_key=request_key, payee_name=member.name, flags=[], flag_codes="")
    db.session.add(claim)
    timeline.add_event(claim, "created", actor, timeline.CREATED, {"claim_type": kind.label})
    return claim


# --- saving -----------------------------------------------------------------------------------


@unit_of_work
def save_claim(actor, claim_id: int, data: dict, *, version: int | None = None, bank_card: str | None = None,
               claim_type: str | None = None, today: date | None = None, preview: bool = True) -> Claim:
    """Save what the claimant typed (a draft may be incomplete); re-run the checks as a preview.

    ``preview=False`` leaves the checks to the submission that follows in the same transaction
    (a kiosk's claim without attachments: nothing reads them in between, and submitting runs them
    all again on the same facts), which spares a claim the checks' dozen statements once."""
    claim = access.get_claim(claim_id)
    access.require_claimant(actor, claim)
    access.require_editable(claim)
    access.check_version(claim, version)
    # Everything is checked before anything changes, so a refusal leaves the claim as it was.
    _check_figures(data)
    card = parse_bank_card(bank_card) if bank_card else None
    new_type = _claim_type(claim_type) if claim_type and claim.status == ClaimStatus.DRAFT else None
    if new_type is not None:
        claim.claim_type = new_type
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            setattr(claim, name, (value.strip() or None) if isinstance(value, str) else value)
    if card:
        claim.bank_card, claim.bank_card_last4 = card, card[-4:]
    if "beneficiary_name" in data or "beneficiary_relationship" in data:
        _set_payee(claim, data.get("beneficiary_name"), data.get("beneficiary_relationship"))
    if preview:
        assessment.refresh_assessment(claim, today=today or clock.today())
    audit.record(actor, "claim.save", "claim", claim.id)
    return claim


def _set_payee(claim: Claim, name: str | None, relationship: str | None) -> None:
    """The payee is the member, by name, always; a beneficiary (an heir of a member who died, a
    guardian) is recorded with the relationship, and their name goes on the bank file instead."""
    name = (name or "").strip() or None
    relationship = (relationship or "").strip() or None
    check_payee(claim.facts(), name, relationship)
    claim.beneficiary_name = name
    claim.beneficiary_relationship = relationship if name else None
    claim.payee_name = name or claim.member.name


def _check_figures(data: dict) -> None:
    grade, costs = data.get("disability_grade"), data.get("medical_costs_fen")
    if grade is not None and not 1 <= grade <= 10:
        raise InvalidInput(N_("伤残等级应为1到10级。"), field="disability_grade")
    if costs is not None and costs < 0:
        raise InvalidInput(N_("医疗费用不能为负数。"), field="medical_costs")


@unit_of_work
def save_and_submit(actor, claim_id: int, data: dict, *, version: int | None = None, bank_card: str | None = None,
                    claim_type: str | None = None, now: datetime | None = None) -> SubmitResult:
    """Save what was typed, then submit. A refused submission keeps the save and says why in
    ``refused``: the claimant never loses what they typed because one field is still missing."""
    now = now or clock.now()
    claim = save_claim(actor, claim_id, data, version=version, bank_card=bank_card, claim_type=claim_type,
                       today=now.astimezone(clock.CHINA).date())
    try:
        with savepoint():
            return submit_claim(actor, claim.id, now=now)
    except DomainError as error:
        return SubmitResult(claim, refused=error)


# --- submitting -------------------------------------------------------------------------------


@unit_of_work
def submit_claim(actor, claim_id: int, *, now: datetime | None = None) -> SubmitResult:
    """Submit a draft (or resubmit with the documents asked for). A second click changes nothing."""
    now = now or clock.now()
    claim = access.get_claim(claim_id)
    access.require_claimant(actor, claim)
    if claim.status not in EDITABLE_BY_CLAIMANT:
        return SubmitResult(claim, already_submitted=True)
    _require_complete(claim)
    resubmit = claim.status == ClaimStatus.NEEDS_DOCUMENTS
    CLAIM_MACHINE.move(claim, ClaimAction.RESUBMIT if resubmit else ClaimAction.SUBMIT)
    claim.submitted_at = claim.submitted_at or now
    assessment.refresh_assessment(claim, today=now.astimezone(clock.CHINA).date())
    timeline.add_event(claim, "submitted", actor, timeline.RESUBMITTED if resubmit else timeline.SUBMITTED, at=now)
    timeline.add_event(claim, "checked", None, *check_summary(claim), at=now)
    audit.record(actor, "claim.resubmit" if resubmit else "claim.submit", "claim", claim.id,
                 flags=[flag["code"] for flag in claim.flags], calculated_fen=claim.calculated_fen)
    return SubmitResult(claim)


def _require_complete(claim: Claim) -> None:
    problems = required_fields(claim.facts())
    if not claim.bank_card:
        problems.append(("bank_card", N_("请填写收款银行卡号。")))
    if problems:
        error = InvalidInput(N_("还不能提交：%(problems)s"), code="claim_incomplete",
                             problems="".join(message for _, message in problems))
        error.problems = problems  # each under its own field on the page, all at once
        raise error


def check_summary(claim: Claim) -> tuple[str, dict]:
    """The timeline's words for the automatic checks: passed, or what a reviewer must look at."""
    flags = "；".join(flag["message"] for flag in claim.flags)
    if claim.calculated_fen is None:
        return (timeline.CHECK_FLAGGED, {"flags": flags}) if flags else (timeline.CHECK_PASSED, {})
    amount = format_yuan(claim.calculated_fen)
    if flags:
        return timeline.CHECK_FLAGGED_AMOUNT, {"flags": flags, "amount": amount}
    return timeline.CHECK_PASSED_AMOUNT, {"amount": amount}

"""Reviewers' decisions: start the review, approve, reject, ask for documents; bulk approval.

Only reviewers decide claims. Every decision is checked against the version of the claim the
reviewer saw, so two reviewers acting at once cannot both win; amounts above 10,000元 need a
second reviewer; every transition is audited with actor and reason and told to the member.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal import clock
from portal.domain.claims import (
    CLAIM_MACHINE,
    DOCUMENT_LABELS,
    FOUR_EYES_THRESHOLD_FEN,
    ClaimAction,
    ClaimStatus,
    approval_action,
    document_label,
    sample_for_full_review,
)
from portal.domain.errors import DomainError, InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.money import format_yuan
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.claims import Claim
from portal.services import audit
from portal.services.access import require_role
from portal.services.claims import access, assessment, timeline
from portal.services.unit_of_work import savepoint, unit_of_work


@dataclass(frozen=True)
class Decision:
    """What the reviewer sent with the button pressed."""

    amount_fen: int | None = None
    reason: str | None = None
    documents: list[str] | None = None


@unit_of_work
def decide_claim(actor, claim_id: int, decision: str, *, version: int | None, amount_fen: int | None = None,
                 reason: str | None = None, documents: list[str] | None = None,
                 now: datetime | None = None) -> Claim:
    """Start the review, approve (with an optional adjusted amount), reject, or ask for documents."""
    require_role(actor, Role.REVIEWER)
    step = _STEPS.get(decision)
    claim = access.get_claim(claim_id)
    access.check_version(claim, version)
    if step is None:
        raise InvalidInput(N_("未知的审核操作。"))
    sent = Decision(amount_fen=amount_fen, reason=(reason or "").strip() or None, documents=documents)
    step(actor, claim, sent, now or clock.now())
    audit.record(actor, f"claim.{decision}", "claim", claim.id, status=claim.status, reason=sent.reason,
                 amount_fen=claim.approved_fen, documents=documents or None)
    return claim


def _start_review(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    CLAIM_MACHINE.move(claim, ClaimAction.START_REVIEW)
    timeline.add_event(claim, "in_review", actor, timeline.IN_REVIEW, at=now)


def _reject(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    if not sent.reason:
        raise InvalidInput(N_("驳回必须填写原因，会员会看到这段说明。"), field="reason")
    CLAIM_MACHINE.move(claim, ClaimAction.REJECT)
    claim.decision_reason, claim.decided_by_id, claim.decided_at = sent.reason, actor.id, now
    timeline.add_event(claim, "rejected", actor, timeline.REJECTED, {"reason": sent.reason}, at=now)
    timeline.text_claimant(claim, "claim_rejected", {"reason": sent.reason}, now=now)


def _request_documents(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    kinds = [kind for kind in sent.documents or [] if kind]
    if any(kind not in DOCUMENT_LABELS for kind in kinds):
        # The kinds become what the member may upload next: only the plan's own document types.
        raise InvalidInput(N_("请从列出的材料类型中选择；其他要求请写在说明里。"), field="documents")
    if not kinds and not sent.reason:
        raise InvalidInput(N_("请选择需要补充的材料，或写明需要补充什么。"), field="documents")
    CLAIM_MACHINE.move(claim, ClaimAction.REQUEST_DOCUMENTS)
    claim.documents_requested = kinds
    claim.decision_reason = sent.reason
    claim.first_approver_id = claim.first_approved_at = None
    what = "、".join(document_label(kind) for kind in kinds)
    detail = "；".join(part for part in (what, sent.reason) if part)
    timeline.add_event(claim, "needs_documents", actor, timeline.NEEDS_DOCUMENTS, {"detail": detail}, at=now)
    assessment.refresh_assessment(claim, today=now.astimezone(clock.CHINA).date())
    timeline.text_claimant(claim, "claim_documents", {"detail": detail}, now=now)


def _approve_step(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    approve(actor, claim, amount_fen=sent.amount_fen, reason=sent.reason, now=now)


_STEPS = {"start_review": _start_review, "approve": _approve_step, "reject": _reject,
          "request_documents": _request_documents}


def approve(actor, claim: Claim, *, amount_fen: int | None, reason: str | None, now: datetime) -> None:
    """Approve at the calculated amount (or an adjusted one, with a reason); above 10,000元 the
    first approval waits for a second reviewer, who may not change the amount."""
    second = claim.status == ClaimStatus.AWAITING_SECOND
    amount = _second_amount(actor, claim, amount_fen) if second else _first_amount(claim, amount_fen, reason)
    action = approval_action(amount, is_second=second)
    CLAIM_MACHINE.move(claim, action)
    if not second:
        claim.approved_fen = amount
        claim.adjustment_reason = reason if amount != claim.calculated_fen else None
    if action is ClaimAction.APPROVE_FIRST:
        claim.first_approver_id, claim.first_approved_at = actor.id, now
        _tell_first_approval(actor, claim, now)
        return
    claim.decided_by_id, claim.decided_at = actor.id, now
    claim.decision_reason = reason
    _tell_approval(actor, claim, second=second, now=now)


def _second_amount(actor, claim: Claim, amount_fen: int | None) -> int:
    if claim.first_approver_id == actor.id:
        raise PermissionDenied(N_("超过1万元的申请须由另一位审核员复核，不能由初审人本人复核。"))
    if amount_fen is not None and amount_fen != claim.approved_fen:
        raise InvalidInput(N_("复核不能修改金额；如金额有误，请退回补充材料或驳回并说明原因。"), field="amount")
    return claim.approved_fen


def _first_amount(claim: Claim, amount_fen: int | None, reason: str | None) -> int:
    calculated = claim.calculated_fen or 0
    amount = calculated if amount_fen is None else amount_fen
    if amount != calculated and not reason:
        raise InvalidInput(N_("核准金额与系统测算金额%(amount)s不同，请写明调整原因。"), field="reason",
                           amount=format_yuan(calculated))
    if amount <= 0:
        raise InvalidInput(N_("核准金额必须大于0；不予给付的请选择驳回并写明原因。"), field="amount")
    return amount


def _tell_first_approval(actor, claim: Claim, now: datetime) -> None:
    params = {"amount": format_yuan(claim.approved_fen), "threshold": format_yuan(FOUR_EYES_THRESHOLD_FEN),
              "reason": claim.adjustment_reason}
    message = timeline.FIRST_APPROVAL_ADJUSTED if claim.adjustment_reason else timeline.FIRST_APPROVAL
    timeline.add_event(claim, "first_approval", actor, message, params, at=now)


def _tell_approval(actor, claim: Claim, *, second: bool, now: datetime) -> None:
    amount = format_yuan(claim.approved_fen)
    if claim.adjustment_reason:
        message = timeline.SECOND_APPROVED_ADJUSTED if second else timeline.APPROVED_ADJUSTED
    else:
        message = timeline.SECOND_APPROVED if second else timeline.APPROVED
    timeline.add_event(claim, "approved", actor, message, {"amount": amount, "reason": claim.adjustment_reason},
                       at=now)
    timeline.text_claimant(claim, "claim_approved", {"amount": amount, "last4": claim.bank_card_last4}, now=now)


# --- bulk approval ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    approved: list[int]
    awaiting_second: list[int]
    held_for_review: list[int]
    skipped: list[int]  # flagged, sampled before, no longer open, or changed by someone meanwhile


@unit_of_work
def bulk_approve(actor, claim_ids: list[int], *, rng: random.Random | None = None,
                 now: datetime | None = None) -> BulkResult:
    """Approve unflagged claims at their calculated amounts, holding a random 5% for a full review.

    Each claim is approved in a savepoint of its own: one that someone changed meanwhile is
    skipped, and the others keep their approval.
    """
    require_role(actor, Role.REVIEWER)
    now = now or clock.now()
    claims = list(db.session.scalars(select(Claim).where(Claim.id.in_(set(claim_ids))).order_by(Claim.id)))
    eligible = [claim for claim in claims if _bulk_approvable(claim)]
    sampled = sample_for_full_review([claim.id for claim in eligible], rng or random.SystemRandom())
    approved, awaiting, held = [], [], []
    outcomes = {ClaimStatus.APPROVED: approved, ClaimStatus.AWAITING_SECOND: awaiting, ClaimStatus.IN_REVIEW: held}
    for claim in eligible:
        try:
            with savepoint():
                status = _bulk_step(actor, claim, sampled=claim.id in sampled, now=now)
        except DomainError:
            continue  # someone acted on it meanwhile: it stays as it is, and counts as skipped
        outcomes[status].append(claim.id)
    skipped = sorted(set(claim_ids) - set(approved) - set(awaiting) - set(held))
    audit.record(actor, "claim.bulk_approve", "claim", None, approved=approved, awaiting_second=awaiting,
                 held=held, skipped=skipped)
    return BulkResult(approved=approved, awaiting_second=awaiting, held_for_review=held, skipped=skipped)


def _bulk_approvable(claim: Claim) -> bool:
    """Open, unflagged, never sampled before, with something to pay: the rest needs a full review."""
    return (claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.IN_REVIEW) and not claim.is_flagged
            and not claim.sample_hold and (claim.calculated_fen or 0) > 0)


def _bulk_step(actor, claim: Claim, *, sampled: bool, now: datetime) -> ClaimStatus:
    """Approve one claim of a bulk approval, or hold it for a full review; its status after."""
    if sampled:
        _hold_for_review(actor, claim, now)
    else:
        approve(actor, claim, amount_fen=None, reason=None, now=now)
    return ClaimStatus(claim.status)


def _hold_for_review(actor, claim: Claim, now: datetime) -> None:
    claim.sample_hold = True
    if claim.status == ClaimStatus.SUBMITTED:
        CLAIM_MACHINE.move(claim, ClaimAction.START_REVIEW)
    timeline.add_event(claim, "sampled", actor, timeline.SAMPLED, visible=False, at=now)

"""Reviewers' decisions: start the review, approve, reject, ask for documents; bulk approval.

Only reviewers decide claims. Every decision is checked against the version of the claim the
reviewer saw, so two reviewers acting at once cannot both win; amounts above 10,000元 need a
second reviewer; every transition is audited with actor and reason and told to the member.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from portal import clock
from portal.domain.claims import (
    CHECK_RULES,
    CLAIM_MACHINE,
    DOCUMENT_LABELS,
    FOUR_EYES_THRESHOLD_FEN,
    OPEN_FOR_REVIEW,
    ClaimAction,
    ClaimStatus,
    approval_action,
    blocking_codes,
    check_override,
    document_label,
    rejection_reason,
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
    reason_code: str | None = None  # a rejection's coded reason (``REJECTION_REASONS``)
    override: tuple[str, ...] = ()  # blocking findings the reviewer overrides
    justification: str | None = None  # why, for the second reviewer and the audit log


@unit_of_work
def decide_claim(actor, claim_id: int, decision: str, *, version: int | None, amount_fen: int | None = None,
                 reason: str | None = None, documents: list[str] | None = None, reason_code: str | None = None,
                 override: list[str] | tuple[str, ...] = (), justification: str | None = None,
                 now: datetime | None = None) -> Claim:
    """Start the review, approve (with an optional adjusted amount, or overriding blocking findings
    with a justification), reject with a coded reason, or ask for documents."""
    require_role(actor, Role.REVIEWER)
    step = _STEPS.get(decision)
    claim = access.get_claim(claim_id)
    access.check_version(claim, version)
    if step is None:
        raise InvalidInput(N_("未知的审核操作。"))
    sent = Decision(amount_fen=amount_fen, reason=(reason or "").strip() or None, documents=documents,
                    reason_code=reason_code or None, override=tuple(code for code in override or () if code),
                    justification=(justification or "").strip() or None)
    step(actor, claim, sent, now or clock.now())
    # The reviewer's reason stays on the claim, encrypted; the append-only audit log (in clear) only
    # says there was one. An exception's justification is kept there, as the form promises
    # ("复核人和审计记录可见").
    audit.record(actor, f"claim.{decision}", "claim", claim.id, status=claim.status,
                 reason_given=bool(sent.reason) or None, amount_fen=claim.approved_fen, documents=documents or None,
                 reason_code=claim.rejection_code, override=claim.override_codes or None,
                 justification=claim.override_justification)
    return claim


def _start_review(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    CLAIM_MACHINE.move(claim, ClaimAction.START_REVIEW)
    timeline.add_event(claim, "in_review", actor, timeline.IN_REVIEW, at=now)


def _reject(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    """Reject with a coded reason: the member reads its plain words (in the text message, never the
    reviewer's own note, which stays on the timeline)."""
    reason = rejection_reason(sent.reason_code)
    CLAIM_MACHINE.move(claim, ClaimAction.REJECT)
    claim.rejection_code = reason.code
    claim.decision_reason = sent.reason or reason.member_text
    claim.decided_by_id, claim.decided_at = actor.id, now
    claim.override_codes = claim.override_justification = None
    if sent.reason:
        timeline.add_event(claim, "rejected", actor, timeline.REJECTED_NOTE,
                           {"reason": reason.member_text, "note": sent.reason}, at=now)
    else:
        timeline.add_event(claim, "rejected", actor, timeline.REJECTED, {"reason": reason.member_text}, at=now)
    timeline.text_claimant(claim, "claim_rejected", {"reason": reason.member_text}, now=now)


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
    claim.override_codes = claim.override_justification = None
    what = "、".join(document_label(kind) for kind in kinds)
    detail = "；".join(part for part in (what, sent.reason) if part)
    timeline.add_event(claim, "needs_documents", actor, timeline.NEEDS_DOCUMENTS, {"detail": detail}, at=now)
    assessment.refresh_assessment(claim, today=now.astimezone(clock.CHINA).date())
    timeline.text_claimant(claim, "claim_documents", {"detail": detail}, now=now)


def _approve_step(actor, claim: Claim, sent: Decision, now: datetime) -> None:
    approve(actor, claim, amount_fen=sent.amount_fen, reason=sent.reason, override=sent.override,
            justification=sent.justification, now=now)


_STEPS = {"start_review": _start_review, "approve": _approve_step, "reject": _reject,
          "request_documents": _request_documents}


def approve(actor, claim: Claim, *, amount_fen: int | None, reason: str | None, now: datetime,
            override: tuple[str, ...] = (), justification: str | None = None) -> None:
    """Approve at the calculated amount (or an adjusted one, with a reason); above 10,000元 the
    first approval waits for a second reviewer, who may not change the amount.

    The automatic checks run again first (another claim of the same stay may have been approved
    since the page was opened). A blocking finding stops the approval here, not in the page:
    the reviewer rejects with a coded reason, or overrides an overridable finding with a written
    justification, and an override waits for a second reviewer whatever the amount. The second
    reviewer's approval runs the checks again and must find nothing the override did not cover.
    """
    second = claim.status == ClaimStatus.AWAITING_SECOND
    if claim.status not in OPEN_FOR_REVIEW:
        CLAIM_MACHINE.next(claim.status, ClaimAction.APPROVE)  # refused in the claim's usual words
    assessment.refresh_assessment(claim, today=now.astimezone(clock.CHINA).date())
    if second:
        amount = _second_amount(actor, claim, amount_fen)
        check_override(claim.flags, claim.override_codes or (), claim.override_justification)
        overridden = bool(claim.override_codes)
    else:
        amount = _first_amount(claim, amount_fen, reason)
        overridden = bool(check_override(claim.flags, override, justification))
    action = approval_action(amount, is_second=second, overridden=overridden)
    CLAIM_MACHINE.move(claim, action)
    if not second:
        claim.approved_fen = amount
        claim.adjustment_reason = reason if amount != claim.calculated_fen else None
        claim.override_codes = blocking_codes(claim.flags) if overridden else None
        claim.override_justification = justification if overridden else None
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
    if claim.override_codes:
        # The member reads that a second look is needed; the findings and the justification are
        # for staff (the reviewer's own words never reach a member's page unasked).
        timeline.add_event(claim, "first_approval", actor, timeline.OVERRIDE_FIRST_APPROVAL,
                           {"amount": params["amount"]}, at=now)
        timeline.add_event(claim, "override", actor, timeline.OVERRIDE_NOTE, {
            "findings": "、".join(CHECK_RULES[code].label for code in claim.override_codes if code in CHECK_RULES),
            "justification": claim.override_justification}, visible=False, at=now)
        return
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
    # Why claims were skipped: a finding's code (``CHECK_RULES``) or one of ``BULK_SKIP_LABELS``,
    # with how many; a claim with several findings counts under its first blocking one.
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skipped_summary(self) -> list[tuple[str, int]]:
        """(label msgid, count) for each reason, the most frequent first."""
        labels = {**{code: rule.label for code, rule in CHECK_RULES.items()}, **BULK_SKIP_LABELS}
        return [(labels.get(code, code), count)
                for code, count in sorted(self.skipped_reasons.items(), key=lambda item: (-item[1], item[0]))]


BULK_SKIP_LABELS = {
    "not_open": N_("已不在待审状态"),
    "sampled_before": N_("曾被抽中，须人工逐项审核"),
    "nothing_to_pay": N_("测算金额为0"),
    "changed": N_("处理时已被他人改动"),
    "not_found": N_("找不到该申请"),
}


@unit_of_work
def bulk_approve(actor, claim_ids: list[int], *, rng: random.Random | None = None,
                 now: datetime | None = None) -> BulkResult:
    """Approve unflagged claims at their calculated amounts, holding a random 5% for a full review.

    Anything with a finding (blocking above all) is skipped and counted under its reason, so the
    reviewer knows how many need a decision of their own and why. Each claim is approved in a
    savepoint of its own: one that someone changed meanwhile is skipped, and the others keep
    their approval.
    """
    require_role(actor, Role.REVIEWER)
    now = now or clock.now()
    claims = list(db.session.scalars(select(Claim).where(Claim.id.in_(set(claim_ids))).order_by(Claim.id)))
    reasons: Counter[str] = Counter()
    eligible = []
    for claim in claims:
        why = _bulk_skip_reason(claim)
        if why is None:
            eligible.append(claim)
        else:
            reasons[why] += 1
    sampled = sample_for_full_review([claim.id for claim in eligible], rng or random.SystemRandom())
    approved, awaiting, held = [], [], []
    outcomes = {ClaimStatus.APPROVED: approved, ClaimStatus.AWAITING_SECOND: awaiting, ClaimStatus.IN_REVIEW: held}
    for claim in eligible:
        try:
            with savepoint():
                status = _bulk_step(actor, claim, sampled=claim.id in sampled, now=now)
        except DomainError:
            reasons["changed"] += 1
            continue  # someone acted on it meanwhile, or a finding appeared: it stays as it is
        outcomes[status].append(claim.id)
    skipped = sorted(set(claim_ids) - set(approved) - set(awaiting) - set(held))
    reasons["not_found"] += len(set(claim_ids) - {claim.id for claim in claims})
    reasons = Counter({code: count for code, count in reasons.items() if count})
    audit.record(actor, "claim.bulk_approve", "claim", None, approved=approved, awaiting_second=awaiting,
                 held=held, skipped=skipped, skipped_reasons=dict(reasons))
    return BulkResult(approved=approved, awaiting_second=awaiting, held_for_review=held, skipped=skipped,
                      skipped_reasons=dict(reasons))


def _bulk_skip_reason(claim: Claim) -> str | None:
    """Why a claim is not for bulk approval (``None``: it is): not open, a finding (blocking first),
    sampled before, or nothing to pay. The rest needs a full review."""
    if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.IN_REVIEW):
        return "not_open"
    if claim.is_flagged or claim.flags:
        blocking = blocking_codes(claim.flags or [])
        return blocking[0] if blocking else (claim.flags[0]["code"] if claim.flags else "changed")
    if claim.sample_hold:
        return "sampled_before"
    if (claim.calculated_fen or 0) <= 0:
        return "nothing_to_pay"
    return None


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

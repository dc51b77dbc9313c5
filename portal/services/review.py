"""Contactless review (线上不见面审批): the reviewer's queue and decisions, one claim or in bulk.

Only reviewers decide claims. Every decision is checked against the version of the claim the
reviewer saw, so two reviewers acting at once cannot both win; amounts above 10,000元 need a
second reviewer; every transition is audited with actor and reason and told to the member.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from portal import clock
from portal.domain.claims import (
    DOCUMENT_LABELS,
    FOUR_EYES_THRESHOLD_FEN,
    OPEN_FOR_REVIEW,
    ClaimAction,
    ClaimStatus,
    approval_action,
    document_label,
    next_status,
    sample_for_full_review,
)
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.money import format_yuan
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, Union
from portal.models.claims import Claim
from portal.services import audit
from portal.services.access import require_role
from portal.services.claims import (
    _get_claim,
    add_event,
    check_version,
    conflict_on_stale,
    refresh_assessment,
    text_claimant,
)

DECISIONS = ("start_review", "approve", "reject", "request_documents")


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None  # one status, or None for everything still open
    flag: str | None = None  # a flag code, "any", or "none"
    union_code: str | None = None
    min_age_days: int | None = None  # submitted at least this many days ago


def review_queue(actor, filters: QueueFilters, *, page: int = 1, per_page: int = 50,
                 now: datetime | None = None) -> tuple[list[Claim], int]:
    """Claims to review, oldest submission first, filtered and paged."""
    require_role(actor, Role.REVIEWER, Role.ADMIN)
    now = now or clock.now()
    stmt = select(Claim).where(Claim.status != ClaimStatus.DRAFT)
    if filters.status:
        stmt = stmt.where(Claim.status == filters.status)
    else:
        stmt = stmt.where(Claim.status.in_(OPEN_FOR_REVIEW))
    if filters.flag == "none":
        stmt = stmt.where(Claim.is_flagged.is_(False))
    elif filters.flag == "any":
        stmt = stmt.where(Claim.is_flagged.is_(True))
    elif filters.flag:
        stmt = stmt.where(Claim.flag_codes.contains(f",{filters.flag},"))
    if filters.union_code:
        union = db.session.scalar(select(Union).where(Union.code == filters.union_code))
        if union is None:
            return [], 0
        stmt = stmt.where(Claim.union_id.in_(union.subtree_ids()))  # literals: see access.union_scope
    if filters.min_age_days:
        stmt = stmt.where(Claim.submitted_at <= now - timedelta(days=filters.min_age_days))
    total = db.session.scalar(stmt.with_only_columns(func.count(Claim.id)).order_by(None))
    # The page's ids first (an index-only scan of the covering index), then only those rows:
    # sorting thousands of whole claim rows to keep fifty cost PostgreSQL 30 ms a page.
    page_ids = list(db.session.scalars(
        stmt.with_only_columns(Claim.id).order_by(Claim.submitted_at, Claim.id)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    # Only what a queue row shows: no decryption of members' ID numbers, no breakdowns.
    rows = db.session.scalars(
        select(Claim).where(Claim.id.in_(page_ids))
        .options(selectinload(Claim.member).load_only(Member.id, Member.name),
                 selectinload(Claim.union).load_only(Union.id, Union.name),
                 defer(Claim.breakdown), defer(Claim.accident_description), defer(Claim.bank_card))
    )
    by_id = {claim.id: claim for claim in rows}
    return [by_id[claim_id] for claim_id in page_ids], total


def decide_claim(actor, claim_id: int, decision: str, *, version: int | None, amount_fen: int | None = None,
                 reason: str | None = None, documents: list[str] | None = None,
                 now: datetime | None = None) -> Claim:
    """Start the review, approve (with an optional adjusted amount), reject, or ask for documents."""
    require_role(actor, Role.REVIEWER)
    now = now or clock.now()
    claim = _get_claim(claim_id)
    check_version(claim, version)
    reason = (reason or "").strip() or None
    with conflict_on_stale():
        _decide(actor, claim, decision, amount_fen=amount_fen, reason=reason, documents=documents, now=now)
        db.session.commit()
    return claim


def _decide(actor, claim: Claim, decision: str, *, amount_fen, reason, documents, now) -> None:
    if decision == "start_review":
        claim.status = next_status(claim.status, ClaimAction.START_REVIEW)
        add_event(claim, "in_review", actor, N_("审核员已开始审核。"), at=now)
    elif decision == "approve":
        _approve(actor, claim, amount_fen=amount_fen, reason=reason, now=now)
    elif decision == "reject":
        if not reason:
            raise InvalidInput(N_("驳回必须填写原因，会员会看到这段说明。"), field="reason")
        claim.status = next_status(claim.status, ClaimAction.REJECT)
        claim.decision_reason, claim.decided_by_id, claim.decided_at = reason, actor.id, now
        add_event(claim, "rejected", actor, f"未予核准。原因：{reason}", at=now)
        text_claimant(claim, "claim_rejected", f"您的理赔申请{claim.reference}未予核准，原因：{reason}。"
                      "如有疑问请联系所在工会。", now=now)
    elif decision == "request_documents":
        kinds = [kind for kind in documents or [] if kind]
        if any(kind not in DOCUMENT_LABELS for kind in kinds):
            # The kinds become what the member may upload next: only the plan's own document types.
            raise InvalidInput(N_("请从列出的材料类型中选择；其他要求请写在说明里。"), field="documents")
        if not kinds and not reason:
            raise InvalidInput(N_("请选择需要补充的材料，或写明需要补充什么。"), field="documents")
        claim.status = next_status(claim.status, ClaimAction.REQUEST_DOCUMENTS)
        claim.documents_requested = kinds
        claim.decision_reason = reason
        claim.first_approver_id = claim.first_approved_at = None
        what = "、".join(document_label(kind) for kind in kinds)
        detail = "；".join(part for part in (what, reason) if part)
        add_event(claim, "needs_documents", actor, f"需要补充材料：{detail}", at=now)
        refresh_assessment(claim, today=now.astimezone(clock.CHINA).date())
        text_claimant(claim, "claim_documents", f"您的理赔申请{claim.reference}需要补充材料：{detail}。"
                      "请登录平台“我的理赔”上传后重新提交。", now=now)
    else:
        raise InvalidInput(N_("未知的审核操作。"))
    audit.record(actor, f"claim.{decision}", "claim", claim.id, status=claim.status, reason=reason,
                 amount_fen=claim.approved_fen, documents=documents or None)


def _approve(actor, claim: Claim, *, amount_fen: int | None, reason: str | None, now: datetime) -> None:
    second = claim.status == ClaimStatus.AWAITING_SECOND
    if second:
        if claim.first_approver_id == actor.id:
            raise PermissionDenied(N_("超过1万元的申请须由另一位审核员复核，不能由初审人本人复核。"))
        if amount_fen is not None and amount_fen != claim.approved_fen:
            raise InvalidInput(N_("复核不能修改金额；如金额有误，请退回补充材料或驳回并说明原因。"), field="amount")
        amount = claim.approved_fen
    else:
        calculated = claim.calculated_fen or 0
        amount = calculated if amount_fen is None else amount_fen
        if amount != calculated and not reason:
            raise InvalidInput(f"核准金额与系统测算金额{format_yuan(calculated)}不同，请写明调整原因。", field="reason")
        if amount <= 0:
            raise InvalidInput(N_("核准金额必须大于0；不予给付的请选择驳回并写明原因。"), field="amount")
    action = approval_action(amount, is_second=second)
    claim.status = next_status(claim.status, action)
    if not second:
        claim.approved_fen = amount
        claim.adjustment_reason = reason if amount != claim.calculated_fen else None
    if action is ClaimAction.APPROVE_FIRST:
        claim.first_approver_id, claim.first_approved_at = actor.id, now
        note = f"，调整原因：{reason}" if claim.adjustment_reason else ""
        add_event(claim, "first_approval", actor,
                  f"初审通过，金额{format_yuan(amount)}{note}。超过{format_yuan(FOUR_EYES_THRESHOLD_FEN)}，"
                  "等待第二位审核员复核。", at=now)
        return
    claim.decided_by_id, claim.decided_at = actor.id, now
    claim.decision_reason = reason
    note = f"（调整原因：{claim.adjustment_reason}）" if claim.adjustment_reason else ""
    add_event(claim, "approved", actor, f"{'复核' if second else '审核'}通过，核准金额{format_yuan(amount)}{note}。"
              "将转入发放。", at=now)
    text_claimant(claim, "claim_approved", f"您的理赔申请{claim.reference}已核准，金额{format_yuan(amount)}，"
                  f"将转账至尾号{claim.bank_card_last4}的银行卡。", now=now)


@dataclass(frozen=True)
class BulkResult:
    approved: list[int]
    awaiting_second: list[int]
    held_for_review: list[int]
    skipped: list[int]  # flagged, sampled before, or no longer open


def bulk_approve(actor, claim_ids: list[int], *, rng: random.Random | None = None,
                 now: datetime | None = None) -> BulkResult:
    """Approve unflagged claims at their calculated amounts, holding a random 5% for a full review."""
    require_role(actor, Role.REVIEWER)
    now = now or clock.now()
    rng = rng or random.SystemRandom()
    with conflict_on_stale():
        result = _bulk_approve(actor, claim_ids, rng=rng, now=now)
        db.session.commit()
    return result


def _bulk_approve(actor, claim_ids: list[int], *, rng: random.Random, now: datetime) -> BulkResult:
    claims = list(db.session.scalars(select(Claim).where(Claim.id.in_(set(claim_ids))).order_by(Claim.id)))
    eligible = [claim for claim in claims
                if claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.IN_REVIEW)
                and not claim.is_flagged and not claim.sample_hold and (claim.calculated_fen or 0) > 0]
    skipped = sorted(set(claim_ids) - {claim.id for claim in eligible})
    held = sample_for_full_review([claim.id for claim in eligible], rng)
    approved, awaiting = [], []
    for claim in eligible:
        if claim.id in held:
            claim.sample_hold = True
            if claim.status == ClaimStatus.SUBMITTED:
                claim.status = next_status(claim.status, ClaimAction.START_REVIEW)
            add_event(claim, "sampled", actor, N_("批量审核时被随机抽中，转人工逐项审核。"), visible=False, at=now)
            continue
        _approve(actor, claim, amount_fen=None, reason=None, now=now)
        (awaiting if claim.status == ClaimStatus.AWAITING_SECOND else approved).append(claim.id)
    audit.record(actor, "claim.bulk_approve", "claim", None, approved=approved, awaiting_second=awaiting,
                 held=sorted(held), skipped=skipped)
    return BulkResult(approved=approved, awaiting_second=awaiting, held_for_review=sorted(held), skipped=skipped)


def queue_counts(actor) -> dict[str, int]:
    """How many claims wait in each open status (the reviewer's dashboard)."""
    require_role(actor, Role.REVIEWER, Role.ADMIN)
    rows = db.session.execute(
        select(Claim.status, func.count()).where(Claim.status.in_(
            (*OPEN_FOR_REVIEW, ClaimStatus.APPROVED, ClaimStatus.NEEDS_DOCUMENTS))).group_by(Claim.status))
    return {status: count for status, count in rows}


def days_waiting(claim: Claim, today: date) -> int | None:
    if claim.submitted_at is None:
        return None
    return (today - claim.submitted_at.astimezone(clock.CHINA).date()).days

"""Payouts (发放): approved claims go into a batch, the batch goes to the bank as an Excel file,
and the bank's reference marks it paid.

Who: reviewers and administrators (``PAYOUT_ROLES``), the federation staff who answer for the
money. Union officers never see a batch: the export is the one place full card numbers appear.
A claim is never paid twice: ``payout_items.claim_id`` is unique in the database, and a paid
batch cannot be paid again (state check plus the batch's optimistic version).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.domain.claims import ClaimAction, ClaimStatus, PayoutBatchStatus, next_status
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.money import fen_to_yuan, format_yuan
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models.claims import Claim, PayoutBatch, PayoutItem
from portal.services import audit
from portal.services.access import require_role
from portal.services.claims import add_event, same_version, text_claimant

PAYOUT_ROLES = (Role.REVIEWER, Role.ADMIN)
EXPORT_HEADERS = ["序号", "收款人姓名", "收款账号", "开户银行", "金额（元）", "用途", "理赔编号"]


def list_batches(actor) -> list[PayoutBatch]:
    require_role(actor, *PAYOUT_ROLES)
    return list(db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(100)))


def approved_waiting(actor) -> list[Claim]:
    """Approved claims not yet in a batch."""
    require_role(actor, *PAYOUT_ROLES)
    return list(db.session.scalars(
        select(Claim).where(Claim.status == ClaimStatus.APPROVED).options(selectinload(Claim.member))
        .order_by(Claim.decided_at, Claim.id)))


def create_batch(actor, *, now: datetime | None = None) -> PayoutBatch:
    """Put every approved claim into a new batch; their status becomes "payout pending"."""
    require_role(actor, *PAYOUT_ROLES)
    now = now or clock.now()
    claims = list(db.session.scalars(select(Claim).where(Claim.status == ClaimStatus.APPROVED).order_by(Claim.id)))
    if not claims:
        raise InvalidInput(N_("目前没有已核准、待发放的申请。"))
    batch = PayoutBatch(status=PayoutBatchStatus.OPEN, created_by_id=actor.id)
    db.session.add(batch)
    for claim in claims:
        claim.status = next_status(claim.status, ClaimAction.BATCH)
        db.session.add(PayoutItem(batch=batch, claim_id=claim.id, amount_fen=claim.approved_fen,
                                  payee_name=claim.payee_name or claim.member.name, bank_name=claim.bank_name,
                                  bank_card=claim.bank_card))
        add_event(claim, "batched", actor, N_("已列入发放批次，等待银行转账。"), at=now)
    batch.claim_count = len(claims)
    batch.total_fen = sum(claim.approved_fen for claim in claims)
    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise Conflict(N_("另一位工作人员刚刚生成了发放批次，请刷新页面后查看。"), code="stale") from None
    audit.record(actor, "payout.create_batch", "payout_batch", batch.id, claims=[claim.id for claim in claims],
                 total_fen=batch.total_fen)
    db.session.commit()
    return batch


def get_batch(actor, batch_id: int) -> PayoutBatch:
    require_role(actor, *PAYOUT_ROLES)
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound(N_("找不到该发放批次。"))
    return batch


def export_batch(actor, batch_id: int, *, now: datetime | None = None) -> tuple[str, bytes]:
    """The bank-transfer file: full card numbers, as text cells so Excel keeps every digit."""
    batch = get_batch(actor, batch_id)
    now = now or clock.now()
    rows = [
        [number, item.payee_name, item.bank_card, item.bank_name or "", float(fen_to_yuan(item.amount_fen)),
         "职工互助保障金", f"LP{item.claim_id:07d}"]
        for number, item in enumerate(batch.items, start=1)
    ]
    rows.append(["合计", "", "", "", float(fen_to_yuan(batch.total_fen)), f"{batch.claim_count}笔", ""])
    content = write_xlsx(EXPORT_HEADERS, rows, sheet="转账清单", text_columns=(2,))
    batch.exported_at = now
    batch.export_count += 1
    audit.record(actor, "payout.export", "payout_batch", batch.id, claims=batch.claim_count,
                 total_fen=batch.total_fen)
    db.session.commit()
    return f"发放批次{batch.reference}_{now:%Y%m%d}.xlsx", content


def mark_batch_paid(actor, batch_id: int, *, bank_reference: str, version: int | None = None,
                    now: datetime | None = None) -> PayoutBatch:
    """Record the bank's reference; every claim of the batch becomes paid, once."""
    batch = get_batch(actor, batch_id)
    now = now or clock.now()
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise InvalidInput(N_("请填写银行回单号（交易流水号）。"), field="bank_reference")
    if batch.status == PayoutBatchStatus.PAID:
        raise Conflict(f"该批次已于{batch.paid_at.astimezone(clock.CHINA):%Y-%m-%d %H:%M}标记为已付款"
                       f"（回单号{batch.bank_reference}），不能重复付款。", code="already_paid")
    if version is not None and not same_version(version, batch.version_id):
        raise Conflict(N_("该批次刚刚已被他人处理，请刷新页面。"), code="stale")
    if batch.exported_at is None:
        raise InvalidInput(N_("请先导出转账文件交银行办理，再登记付款。"))
    batch.status = PayoutBatchStatus.PAID
    batch.bank_reference = bank_reference[:60]
    batch.paid_at, batch.paid_by_id = now, actor.id
    for item in batch.items:
        claim = item.claim
        claim.status = next_status(claim.status, ClaimAction.PAY)
        claim.paid_at = now
        add_event(claim, "paid", actor, f"已转账{format_yuan(item.amount_fen)}至尾号{claim.bank_card_last4}的银行卡。",
                  at=now)
        text_claimant(claim, "claim_paid", f"您的理赔申请{claim.reference}的互助保障金{format_yuan(item.amount_fen)}"
                      f"已转账至尾号{claim.bank_card_last4}的银行卡，请注意查收。", now=now)
    audit.record(actor, "payout.mark_paid", "payout_batch", batch.id, bank_reference=batch.bank_reference,
                 total_fen=batch.total_fen)
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise Conflict(N_("该批次刚刚已被他人标记，或回单号已用于其他批次，请刷新页面核对。"), code="stale") from None
    return batch

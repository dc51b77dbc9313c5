"""Payouts (发放): approved claims go into a batch, the batch goes to the bank as an Excel file,
and the bank's reference marks it paid.

Who: reviewers and administrators (``PAYOUT_ROLES``), the federation staff who answer for the
money. Union officers never see a batch: the export is the one place full card numbers appear.
A claim is never paid twice: ``payout_items.claim_id`` is unique in the database, and a paid
batch cannot be paid again (its state machine plus the batch's optimistic version).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select

from portal import clock
from portal.domain.claims import (
    CLAIM_MACHINE,
    PAYOUT_BATCH_MACHINE,
    ClaimAction,
    ClaimStatus,
    PayoutBatchAction,
    PayoutBatchStatus,
)
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.money import fen_to_yuan, format_yuan
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models.claims import Claim, PayoutBatch, PayoutItem
from portal.services import audit
from portal.services.access import require_role
from portal.services.claims import access, timeline
from portal.services.review.queries import PAYOUT_ROLES, get_batch
from portal.services.unit_of_work import savepoint, unit_of_work

EXPORT_HEADERS = ["序号", "收款人姓名", "收款账号", "开户银行", "金额（元）", "用途", "理赔编号"]


@contextmanager
def _race_told_as(message: str) -> Iterator[None]:
    """A race the database lost for the block (a stale version, a taken unique key) is told in
    this action's own words; the block's other refusals pass unchanged."""
    try:
        with savepoint():
            yield
    except Conflict as error:
        if error.code not in ("stale", "duplicate"):
            raise
        raise Conflict(message, code="stale") from error


@unit_of_work
def create_batch(actor, *, now: datetime | None = None) -> PayoutBatch:
    """Put every approved claim into a new batch; their status becomes "payout pending"."""
    require_role(actor, *PAYOUT_ROLES)
    now = now or clock.now()
    claims = list(db.session.scalars(select(Claim).where(Claim.status == ClaimStatus.APPROVED).order_by(Claim.id)))
    if not claims:
        raise InvalidInput(N_("目前没有已核准、待发放的申请。"))
    with _race_told_as(N_("另一位工作人员刚刚生成了发放批次，请刷新页面后查看。")):
        batch = PayoutBatch(status=PAYOUT_BATCH_MACHINE.initial, created_by_id=actor.id,
                            claim_count=len(claims), total_fen=sum(claim.approved_fen for claim in claims))
        db.session.add(batch)
        for claim in claims:
            _add_to_batch(actor, batch, claim, now)
    audit.record(actor, "payout.create_batch", "payout_batch", batch.id, claims=[claim.id for claim in claims],
                 total_fen=batch.total_fen)
    return batch


def _add_to_batch(actor, batch: PayoutBatch, claim: Claim, now: datetime) -> None:
    CLAIM_MACHINE.move(claim, ClaimAction.BATCH)
    db.session.add(PayoutItem(batch=batch, claim_id=claim.id, amount_fen=claim.approved_fen,
                              payee_name=claim.payee_name or claim.member.name, bank_name=claim.bank_name,
                              bank_card=claim.bank_card))
    timeline.add_event(claim, "batched", actor, timeline.BATCHED, at=now)


@unit_of_work
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
    return f"发放批次{batch.reference}_{now:%Y%m%d}.xlsx", content


@unit_of_work
def mark_batch_paid(actor, batch_id: int, *, bank_reference: str, version: int | None = None,
                    now: datetime | None = None) -> PayoutBatch:
    """Record the bank's reference; every claim of the batch becomes paid, once."""
    batch = get_batch(actor, batch_id)
    now = now or clock.now()
    bank_reference = (bank_reference or "").strip()
    _check_payable(batch, bank_reference, version)
    with _race_told_as(N_("该批次刚刚已被他人标记，或回单号已用于其他批次，请刷新页面核对。")):
        PAYOUT_BATCH_MACHINE.move(batch, PayoutBatchAction.PAY)
        batch.bank_reference = bank_reference[:60]
        batch.paid_at, batch.paid_by_id = now, actor.id
        for item in batch.items:
            _pay(actor, item, now)
    audit.record(actor, "payout.mark_paid", "payout_batch", batch.id, bank_reference=batch.bank_reference,
                 total_fen=batch.total_fen)
    return batch


def _check_payable(batch: PayoutBatch, bank_reference: str, version: int | None) -> None:
    if not bank_reference:
        raise InvalidInput(N_("请填写银行回单号（交易流水号）。"), field="bank_reference")
    if batch.status == PayoutBatchStatus.PAID:
        paid_at = batch.paid_at.astimezone(clock.CHINA)
        raise Conflict(N_("该批次已于%(day)s %(time)s标记为已付款（回单号%(reference)s），不能重复付款。"),
                       code="already_paid", day=paid_at.date(), time=paid_at.strftime("%H:%M"),
                       reference=batch.bank_reference)
    if version is not None and not access.same_version(version, batch.version_id):
        raise Conflict(N_("该批次刚刚已被他人处理，请刷新页面。"), code="stale")
    if batch.exported_at is None:
        raise InvalidInput(N_("请先导出转账文件交银行办理，再登记付款。"))


def _pay(actor, item: PayoutItem, now: datetime) -> None:
    claim = item.claim
    CLAIM_MACHINE.move(claim, ClaimAction.PAY)
    claim.paid_at = now
    params = {"amount": format_yuan(item.amount_fen), "last4": claim.bank_card_last4}
    timeline.add_event(claim, "paid", actor, timeline.PAID, params, at=now)
    timeline.text_claimant(claim, "claim_paid", params, now=now)

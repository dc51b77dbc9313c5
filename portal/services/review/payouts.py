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
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, func, insert, literal, select, type_coerce, update
from sqlalchemy.orm import selectinload

from portal import clock
from portal.domain.background import JobKind
from portal.domain.claims import (
    CLAIM_MACHINE,
    PAYOUT_BATCH_MACHINE,
    ClaimAction,
    ClaimStatus,
    PayoutBatchAction,
    PayoutBatchStatus,
)
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_, interpolate
from portal.domain.money import fen_to_yuan, format_yuan
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models import StaffUser
from portal.models.base import UtcDateTime
from portal.models.claims import Claim, ClaimEvent, PayoutBatch, PayoutItem
from portal.pii import EncryptedText
from portal.services import audit
from portal.services.access import require_role
from portal.services.background import (
    LeaseLost,
    end_lease,
    put_progress,
    register_job,
    run_after_commit,
    take_lease,
)
from portal.services.claims import access, timeline
from portal.services.review.queries import PAYOUT_ROLES, get_batch
from portal.services.unit_of_work import savepoint, transaction, unit_of_work

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


# Claims moved per statement when building a batch (IN lists stay well within every driver's limits).
BUILD_CHUNK = 1000


@unit_of_work
def create_batch(actor, *, now: datetime | None = None, max_claims: int | None = None) -> PayoutBatch:
    """Put the approved claims, oldest decision first, into a new batch of at most ``max_claims``
    (``PAYOUT_BATCH_MAX_CLAIMS``); their status becomes "payout pending".

    A backlog never blocks payouts: it goes out in several batches of a size the bank takes.
    The claims move by set-based statements (thousands a second, not one UPDATE each): the
    claim machine's "batch" move, applied to the rows still approved; if another batch took
    any of them meanwhile, the whole batch is refused and nothing moves. Each claim gets its
    payout line (``payout_items.claim_id`` is unique) and its timeline step.
    """
    require_role(actor, *PAYOUT_ROLES)
    now = now or clock.now()
    limit = max_claims or current_app.config["PAYOUT_BATCH_MAX_CLAIMS"]
    ids = list(db.session.scalars(select(Claim.id).where(Claim.status == ClaimStatus.APPROVED)
                                  .order_by(Claim.decided_at, Claim.id).limit(limit)))
    if not ids:
        raise InvalidInput(N_("目前没有已核准、待发放的申请。"))
    taken = N_("另一位工作人员刚刚生成了发放批次，请刷新页面后查看。")
    with _race_told_as(taken):
        batch = PayoutBatch(status=PAYOUT_BATCH_MACHINE.initial, created_by_id=actor.id, claim_count=len(ids),
                            total_fen=0)
        db.session.add(batch)
        db.session.flush()
        for start in range(0, len(ids), BUILD_CHUNK):
            _move_into_batch(actor, batch, ids[start:start + BUILD_CHUNK], now, taken)
        batch.total_fen = db.session.scalar(select(func.coalesce(func.sum(PayoutItem.amount_fen), 0))
                                            .where(PayoutItem.batch_id == batch.id))
    audit.record(actor, "payout.create_batch", "payout_batch", batch.id, claims=len(ids), first_claim=ids[0],
                 last_claim=ids[-1], total_fen=batch.total_fen)
    return batch


def _move_into_batch(actor, batch: PayoutBatch, ids: list[int], now: datetime, taken: str) -> None:
    """The "batch" move of these claims, their payout lines and timeline steps, as three statements."""
    moved_to = CLAIM_MACHINE.next(ClaimStatus.APPROVED, ClaimAction.BATCH)
    moved = db.session.execute(
        update(Claim).where(Claim.id.in_(ids), Claim.status == ClaimStatus.APPROVED)
        .values(status=moved_to, version_id=Claim.version_id + 1, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved != len(ids):
        raise Conflict(taken, code="stale")
    claims = Claim.__table__
    db.session.execute(insert(PayoutItem.__table__).from_select(
        ["batch_id", "claim_id", "amount_fen", "payee_name", "bank_name", "bank_card"],
        select(literal(batch.id), claims.c.id, claims.c.approved_fen, claims.c.payee_name, claims.c.bank_name,
               type_coerce(claims.c.bank_card, String))  # the ciphertext, copied as it is
        .where(claims.c.id.in_(ids)).order_by(claims.c.decided_at, claims.c.id)))  # lines in the batch's order
    db.session.execute(insert(ClaimEvent.__table__).from_select(
        ["claim_id", "at", "kind", "actor_label", "message", "visible_to_member"],
        select(claims.c.id, literal(now, UtcDateTime), literal("batched"),
               literal(timeline.public_actor(actor)),
               literal(interpolate(timeline.BATCHED, {}), EncryptedText()), literal(True))
        .where(claims.c.id.in_(ids))))


@unit_of_work
def split_batch(actor, batch_id: int, *, keep: int, version: int | None = None) -> PayoutBatch:
    """Move the claims of an open batch beyond the first ``keep`` into a new batch (the bank
    refused the file's size, or part of it should wait). Only before the file went to the bank:
    after an export, the bank may already hold every line."""
    batch = get_batch(actor, batch_id)
    if version is not None and not access.same_version(version, batch.version_id):
        raise Conflict(N_("该批次刚刚已被他人处理，请刷新页面。"), code="stale")
    if batch.status != PayoutBatchStatus.OPEN or batch.export_count:
        raise Conflict(N_("转账文件已导出或批次已付款，不能再拆分；请与银行核对后处理。"), code="batch_exported")
    items = list(batch.items)
    if not 0 < keep < len(items):
        raise InvalidInput(N_("请填写留在本批次的笔数（1到%(most)s之间）。"), field="keep", most=len(items) - 1)
    moved = items[keep:]
    with _race_told_as(N_("该批次刚刚已被他人处理，请刷新页面。")):
        other = PayoutBatch(status=PAYOUT_BATCH_MACHINE.initial, created_by_id=actor.id, claim_count=len(moved),
                            total_fen=sum(item.amount_fen for item in moved))
        db.session.add(other)
        for item in moved:
            item.batch = other
        batch.claim_count = keep
        batch.total_fen = sum(item.amount_fen for item in items[:keep])
    audit.record(actor, "payout.split_batch", "payout_batch", batch.id, new_batch=other.id, kept=keep,
                 moved=len(moved))
    return other


@unit_of_work
def export_batch(actor, batch_id: int, *, now: datetime | None = None) -> tuple[str, bytes]:
    """The bank-transfer file: full card numbers, as text cells so Excel keeps every digit."""
    batch = get_batch(actor, batch_id)
    now = now or clock.now()
    items = db.session.scalars(select(PayoutItem).where(PayoutItem.batch_id == batch.id).order_by(PayoutItem.id))
    rows = [
        [number, item.payee_name, item.bank_card, item.bank_name or "", float(fen_to_yuan(item.amount_fen)),
         "职工互助保障金", f"LP{item.claim_id:07d}"]
        for number, item in enumerate(items, start=1)
    ]
    rows.append(["合计", "", "", "", float(fen_to_yuan(batch.total_fen)), f"{batch.claim_count}笔", ""])
    content = write_xlsx(EXPORT_HEADERS, rows, sheet="转账清单", text_columns=(2,))
    # The export is recorded without moving the batch's version: what the page's "paid" form will pay
    # (the claims, the total) is unchanged, so the reviewer who exports and then types the bank's
    # reference on the same page is not told the batch changed under them. A split moves it.
    db.session.execute(update(PayoutBatch).where(PayoutBatch.id == batch.id)
                       .values(exported_at=now, export_count=PayoutBatch.export_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.expire(batch, ["exported_at", "export_count"])
    audit.record(actor, "payout.export", "payout_batch", batch.id, claims=batch.claim_count,
                 total_fen=batch.total_fen)
    return f"发放批次{batch.reference}_{now:%Y%m%d}.xlsx", content


@unit_of_work
def mark_batch_paid(actor, batch_id: int, *, bank_reference: str, version: int | None = None,
                    now: datetime | None = None) -> PayoutBatch:
    """Record the bank's reference; the batch is paid at once and its claims become paid in the
    task queue (``settle_batch``), a chunk at a time, texting each member.

    Simultaneous requests (a double click, two staff) are decided by one conditional UPDATE of
    the batch row: the first records the payment, every other one is told it was already done.
    """
    batch = get_batch(actor, batch_id)
    now = now or clock.now()
    bank_reference = (bank_reference or "").strip()
    _check_payable(batch, bank_reference, version)
    with _race_told_as(N_("该批次刚刚已被他人标记，或回单号已用于其他批次，请刷新页面核对。")):
        won = db.session.execute(
            update(PayoutBatch)
            .where(PayoutBatch.id == batch.id, PayoutBatch.status == PayoutBatchStatus.OPEN)
            .values(status=PAYOUT_BATCH_MACHINE.next(batch.status, PayoutBatchAction.PAY),
                    bank_reference=bank_reference[:60], paid_at=now, paid_by_id=actor.id,
                    version_id=PayoutBatch.version_id + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.refresh(batch)
    if not won:
        _refuse_paid_again(batch)
    audit.record(actor, "payout.mark_paid", "payout_batch", batch.id, bank_reference=batch.bank_reference,
                 total_fen=batch.total_fen)
    run_after_commit("settle_payout_batch", batch.id)
    return batch


def _refuse_paid_again(batch: PayoutBatch) -> None:
    paid_at = batch.paid_at.astimezone(clock.CHINA)
    raise Conflict(N_("该批次已于%(day)s %(time)s标记为已付款（回单号%(reference)s），不能重复付款。"),
                   code="already_paid", day=paid_at.date(), time=paid_at.strftime("%H:%M"),
                   reference=batch.bank_reference)


def _check_payable(batch: PayoutBatch, bank_reference: str, version: int | None) -> None:
    if not bank_reference:
        raise InvalidInput(N_("请填写银行回单号（交易流水号）。"), field="bank_reference")
    if batch.status == PayoutBatchStatus.PAID:
        _refuse_paid_again(batch)
    if version is not None and not access.same_version(version, batch.version_id):
        raise Conflict(N_("该批次刚刚已被他人处理，请刷新页面。"), code="stale")
    if batch.exported_at is None:
        raise InvalidInput(N_("请先导出转账文件交银行办理，再登记付款。"))


# Claims paid per transaction when settling a batch: short transactions, visible progress.
SETTLE_CHUNK = 500
SETTLE_RETRIES = 5


def settle_batch(batch_id: int, *, now: datetime | None = None, chunk: int = SETTLE_CHUNK) -> int:
    """Mark the claims of a paid batch paid and text their members, ``chunk`` claims per
    transaction, with progress under ``settle_progress_key``. Resumable: it only takes claims
    still "payout pending", so a run cut short (a crash, a restart) is finished by the next one
    (the lease sweep, ``resume_settlements``), and two runs at once never pay a claim twice
    (claim versions; the lease lets only one run at a time anyway)."""
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None or batch.status != PayoutBatchStatus.PAID:
        return 0
    lease = take_lease(SETTLE_JOB.name, batch_id)
    if lease is None:
        return 0  # another worker is settling it right now
    now = now or batch.paid_at or clock.now()
    actor = db.session.get(StaffUser, batch.paid_by_id) if batch.paid_by_id else None
    settled, conflicts = 0, 0
    try:
        while True:
            try:
                with transaction():
                    items = list(db.session.scalars(
                        select(PayoutItem).join(Claim, Claim.id == PayoutItem.claim_id)
                        .where(PayoutItem.batch_id == batch_id, Claim.status == ClaimStatus.PAYOUT_PENDING)
                        .options(selectinload(PayoutItem.claim).selectinload(Claim.member))
                        .options(selectinload(PayoutItem.claim).selectinload(Claim.events))
                        .order_by(PayoutItem.id).limit(chunk)))
                    for item in items:
                        _pay(actor, item, now, bulk=True)
                    if not items:
                        lease.finish()
            except LeaseLost:
                return settled  # the sweep took it over: its retry pays what is still pending
            except Conflict:
                conflicts += 1  # another run paid some of this chunk meanwhile: take what is still pending
                if conflicts > SETTLE_RETRIES:
                    raise  # the queue retries the task later, and the sweep stays behind it
                continue
            if not items:
                break
            settled += len(items)
            lease.beat()
            put_progress(settle_progress_key(batch_id), {"paid": paid_count(batch_id), "total": batch.claim_count})
    except BaseException as error:
        end_lease(lease, failure=str(error)[:200] or type(error).__name__)
        raise
    put_progress(settle_progress_key(batch_id), {"paid": paid_count(batch_id), "total": batch.claim_count})
    return settled


# Settling is resumable (only claims still pending are taken): a run a dead worker left is
# queued again, up to five times; after that the five-minute ``resume_settlements`` goes on.
SETTLE_JOB = JobKind("settle_payout_batch", lease=timedelta(minutes=5), max_attempts=5)


def _settle_again(batch_id: int) -> bool:
    run_after_commit("settle_payout_batch", batch_id)
    return True


def _settlement_given_up(batch_id: int) -> None:
    current_app.logger.warning("payout batch %s: settlement abandoned by its workers; resume_settlements "
                               "takes the claims still pending", batch_id)


register_job(SETTLE_JOB, retry=_settle_again, give_up=_settlement_given_up)


def resume_settlements() -> int:
    """Finish every paid batch whose claims are not all paid yet (after a crash); the count."""
    pending = db.session.scalars(
        select(PayoutItem.batch_id).join(Claim, Claim.id == PayoutItem.claim_id)
        .join(PayoutBatch, PayoutBatch.id == PayoutItem.batch_id)
        .where(PayoutBatch.status == PayoutBatchStatus.PAID, Claim.status == ClaimStatus.PAYOUT_PENDING)
        .distinct())
    return sum(settle_batch(batch_id) for batch_id in list(pending))


def settle_progress_key(batch_id: int) -> str:
    return f"payout-settle:{batch_id}"


def paid_count(batch_id: int) -> int:
    """How many claims of the batch are paid (the batch page's progress)."""
    return db.session.scalar(
        select(func.count()).select_from(PayoutItem).join(Claim, Claim.id == PayoutItem.claim_id)
        .where(PayoutItem.batch_id == batch_id, Claim.status == ClaimStatus.PAID)) or 0


def _pay(actor, item: PayoutItem, now: datetime, *, bulk: bool = False) -> None:
    claim = item.claim
    CLAIM_MACHINE.move(claim, ClaimAction.PAY)
    claim.paid_at = now
    params = {"amount": format_yuan(item.amount_fen), "last4": claim.bank_card_last4}
    timeline.add_event(claim, "paid", actor, timeline.PAID, params, at=now)
    timeline.text_claimant(claim, "claim_paid", params, now=now, bulk=bulk)

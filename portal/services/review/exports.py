"""The review queue and the payout lines as Excel, as the pages filter them.

Claims: member names and ID numbers masked, as on the queue. Payout lines: the bank card in full only
for an administrator (the federation's finance, who pays — as with the heat-relief payout file);
reviewers read it masked. Each export is audited.
"""

from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.orm import selectinload

from portal.clock import CHINA
from portal.domain.money import fen_to_yuan
from portal.domain.roles import Role
from portal.models.claims import Claim
from portal.services import exports
from portal.services.exports import Column, Sheet
from portal.services.review import queries


def _yuan(fen: int | None):
    return None if fen is None else float(fen_to_yuan(fen))


def _local(moment) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


CLAIMS = Sheet(name="理赔申请", action="claims.export", entity="claim", columns=(
    Column("理赔编号", lambda c: c.reference, text=True),
    Column("会员", lambda c: c.member.masked_name),
    Column("身份证号", lambda c: c.member.masked_id_number, text=True),
    Column("工会", lambda c: c.union.name if c.union else ""),
    Column("类型", lambda c: str(c.type_label)),
    Column("状态", lambda c: str(c.status_label)),
    Column("需关注", lambda c: "是" if c.is_flagged else "否"),
    Column("提交时间", lambda c: _local(c.submitted_at)),
    Column("测算金额（元）", lambda c: _yuan(c.calculated_fen)),
    Column("核准金额（元）", lambda c: _yuan(c.approved_fen)),
    Column("决定时间", lambda c: _local(c.decided_at)),
))

PAYOUTS = Sheet(name="发放记录", action="payouts.export", entity="payout_batch", full_for=frozenset({Role.ADMIN}),
                columns=(
    Column("发放批次", lambda i: i.batch.reference, text=True),
    Column("批次状态", lambda i: str(i.batch.status_label)),
    Column("理赔编号", lambda i: i.claim.reference, text=True),
    Column("收款人", lambda i: i.payee_name),
    Column("开户银行", lambda i: i.bank_name or ""),
    Column("收款账号", lambda i: i.masked_bank_card, full=lambda i: i.bank_card, text=True),
    Column("金额（元）", lambda i: _yuan(i.amount_fen)),
    Column("转账时间", lambda i: _local(i.batch.paid_at)),
    Column("银行流水号", lambda i: i.batch.bank_reference or "", text=True),
))


def export_claims(actor, filters: queries.QueueFilters) -> exports.Export:
    stmt = queries.queue_stmt(actor, filters)
    if stmt is None:  # an unknown union: the page shows nothing, and so does the file
        stmt = select(Claim).where(false())
    stmt = stmt.options(selectinload(Claim.member), selectinload(Claim.union))
    return exports.export(actor, CLAIMS, stmt, filters=filters)


def export_payouts(actor, *, batch_id: int | None = None) -> exports.Export:
    return exports.export(actor, PAYOUTS, queries.payout_items_stmt(actor, batch_id=batch_id),
                          filters={"batch_id": batch_id}, record_id=batch_id)

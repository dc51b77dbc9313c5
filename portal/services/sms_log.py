"""The SMS log for administrators: every text the portal queued, held, sent or failed, and what
the provider reported about its delivery; searched by mobile (through the mobile's keyed hash:
mobiles are stored encrypted), status, kind and period. The page and its export share one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from portal.clock import CHINA
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_mobile
from portal.domain.roles import Role
from portal.domain.texts import SMS_STATUS_LABELS, TEXT_TEMPLATES, SmsStatus, text_label
from portal.extensions import db
from portal.models import SmsMessage
from portal.pii import lookup_hash
from portal.services import exports
from portal.services.access import require_role


@dataclass
class SmsFilters:
    mobile: str = ""
    status: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


def sms_stmt(actor, filters: SmsFilters) -> Select:
    """The filtered texts, newest first; ``InvalidInput`` for a mobile that is not one."""
    require_role(actor, Role.ADMIN)
    stmt = select(SmsMessage)
    if filters.mobile.strip():
        try:
            mobile = parse_mobile(filters.mobile.strip()[:40])
        except InvalidInput:
            raise InvalidInput(N_("请填写11位手机号码。"), field="mobile") from None
        stmt = stmt.where(SmsMessage.mobile_hash == lookup_hash(mobile))
    if filters.status in {status.value for status in SmsStatus}:
        stmt = stmt.where(SmsMessage.status == filters.status)
    if filters.kind in TEXT_TEMPLATES:
        stmt = stmt.where(SmsMessage.kind == filters.kind)
    if filters.since and filters.until and filters.until < filters.since:
        raise InvalidInput(N_("结束日期不能早于开始日期。"), field="until")
    if filters.since:
        stmt = stmt.where(SmsMessage.created_at >= _start_of(filters.since))
    if filters.until:
        stmt = stmt.where(SmsMessage.created_at < _start_of(filters.until + timedelta(days=1)))
    return stmt.order_by(SmsMessage.id.desc())


def list_texts(actor, filters: SmsFilters, *, page: int = 1, per_page: int = 50) -> tuple[list[SmsMessage], int]:
    stmt = sms_stmt(actor, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page))), total


def _local(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


SHEET = exports.Sheet(
    name="短信记录", action="sms.export", entity="sms_message",
    columns=(
        exports.Column("编号", lambda m: m.id),
        exports.Column("创建时间", lambda m: _local(m.created_at)),
        exports.Column("手机号", lambda m: m.masked_mobile, text=True),
        exports.Column("类型", lambda m: str(text_label(m.kind))),
        exports.Column("内容", lambda m: m.body),
        exports.Column("状态", lambda m: str(SMS_STATUS_LABELS.get(SmsStatus(m.status), m.status))),
        exports.Column("发送时间", lambda m: _local(m.sent_at)),
        exports.Column("发送通道", lambda m: m.backend or ""),
        exports.Column("服务商编号", lambda m: m.provider_ref or "", text=True),
        exports.Column("服务商回执", lambda m: m.provider_status or ""),
        exports.Column("回执时间", lambda m: _local(m.reported_at)),
        exports.Column("说明", lambda m: m.error or ""),
    ),
)


def export_texts(actor, filters: SmsFilters) -> exports.Export:
    return exports.export(actor, SHEET, sms_stmt(actor, filters), filters=filters)

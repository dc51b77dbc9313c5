"""Reading the audit log: who did what to which record, when and from where.

Administrators only. The list's statement (``audit_stmt``) is the one the page, its paging and its
Excel export share. Nothing here (or anywhere) changes an event: the log is append-only
(``portal.models.audit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from portal.clock import CHINA
from portal.domain import audit as words
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import exports
from portal.services.access import require_role

MAX_TEXT = 60


@dataclass
class AuditFilters:
    actor: str = ""  # part of the actor's label (a username, "member 12")
    action: str = ""  # an action code
    entity: str = ""  # a kind of record
    entity_id: str = ""
    ip: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


def audit_stmt(actor, filters: AuditFilters) -> Select:
    """The filtered events, newest first (the page and the export share it)."""
    require_role(actor, Role.ADMIN)
    if filters.since and filters.until and filters.until < filters.since:
        raise InvalidInput(N_("结束日期不能早于开始日期。"), field="until")
    stmt = select(AuditEvent)
    if filters.actor.strip():
        pattern = f"%{filters.actor.strip()[:MAX_TEXT]}%"
        stmt = stmt.where(AuditEvent.actor_label.ilike(pattern))
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action[:60])
    if filters.entity:
        stmt = stmt.where(AuditEvent.entity == filters.entity)
    if filters.entity_id.strip():
        stmt = stmt.where(AuditEvent.entity_id == filters.entity_id.strip()[:64])
    if filters.ip.strip():
        stmt = stmt.where(AuditEvent.ip == filters.ip.strip()[:64])
    if filters.since:
        stmt = stmt.where(AuditEvent.at >= _start_of(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEvent.at < _start_of(filters.until + timedelta(days=1)))
    return stmt.order_by(AuditEvent.id.desc())


def list_audit(actor, filters: AuditFilters, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    stmt = audit_stmt(actor, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page))), total


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's options, grouped by area: ``[(area words, [(code, words)…])…]``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, label in words.ACTION_LABELS.items():
        groups.setdefault(words.area_label(code), []).append((code, label))
    return list(groups.items())


def action_words(code: str) -> str:
    label = words.action_label(code)
    return str(label) if label else f"{words.UNKNOWN_ACTION}（{code}）"


def entity_words(entity: str | None) -> str:
    if not entity:
        return ""
    return str(words.ENTITY_LABELS.get(entity, entity))


def details_text(event: AuditEvent) -> str:
    if not event.details:
        return ""
    return "；".join(f"{key}={value}" for key, value in sorted(event.details.items()))[:500]


SHEET = exports.Sheet(
    name="审计日志", action="audit.export", entity="audit_event",
    columns=(
        exports.Column("时间", lambda e: e.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")),
        exports.Column("操作人类型", lambda e: str(words.ACTOR_TYPE_LABELS.get(e.actor_type, e.actor_type))),
        exports.Column("操作人", lambda e: e.actor_label),
        exports.Column("操作", lambda e: action_words(e.action)),
        exports.Column("对象类型", lambda e: entity_words(e.entity)),
        exports.Column("对象编号", lambda e: e.entity_id or "", text=True),
        exports.Column("来源IP", lambda e: e.ip or "", text=True),
        exports.Column("详情", details_text),
    ),
)


def export_audit(actor, filters: AuditFilters) -> exports.Export:
    return exports.export(actor, SHEET, audit_stmt(actor, filters), filters=filters)

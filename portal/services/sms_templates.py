"""Administrators reword the texts: each template's wording, kept to the values the portal fills in
for its kind (``portal.domain.texts.check_custom_body``), previewed with sample values, every
change (and every return to the portal's own wording) in the audit log with the old and new words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.domain import texts as rules
from portal.domain.errors import NotFound
from portal.domain.i18n import N_, Msgid
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import SmsTemplate
from portal.services import audit
from portal.services.access import require_role
from portal.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class TemplateRow:
    kind: str
    outcome: str
    label: Msgid
    default: Msgid
    custom: SmsTemplate | None
    placeholders: list[str]
    visitor: bool  # a visitor can make the portal send it

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.outcome}" if self.outcome else self.kind


def _row(kind: str, outcome: str, custom: SmsTemplate | None) -> TemplateRow:
    default = rules.default_body(kind, outcome)
    return TemplateRow(kind=kind, outcome=outcome, label=rules.TEXT_TEMPLATES[kind].label, default=default,
                       custom=custom, placeholders=sorted(rules.placeholders(default)),
                       visitor=kind in rules.VISITOR_KINDS)


def list_templates(actor) -> list[TemplateRow]:
    require_role(actor, Role.ADMIN)
    custom = {(row.kind, row.outcome): row for row in db.session.scalars(select(SmsTemplate))}
    return [_row(kind, outcome, custom.get((kind, outcome)))
            for kind in rules.TEXT_TEMPLATES for outcome in rules.variants(kind)]


def get_template(actor, kind: str, outcome: str = "") -> TemplateRow:
    require_role(actor, Role.ADMIN)
    if kind not in rules.TEXT_TEMPLATES or outcome not in rules.variants(kind):
        raise NotFound(N_("没有这种短信。"))
    return _row(kind, outcome, _custom(kind, outcome))


def _custom(kind: str, outcome: str) -> SmsTemplate | None:
    return db.session.scalar(select(SmsTemplate).where(SmsTemplate.kind == kind, SmsTemplate.outcome == outcome))


@unit_of_work
def save_template(actor, kind: str, outcome: str, body: str) -> SmsTemplate:
    """Store an administrator's wording (refused unless it keeps to the kind's values)."""
    require_role(actor, Role.ADMIN)
    body = rules.check_custom_body(kind, outcome, body)
    row = _custom(kind, outcome)
    before = row.body if row else str(rules.default_body(kind, outcome))
    if row is None:
        row = SmsTemplate(kind=kind, outcome=outcome, body=body, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.body, row.updated_by_id = body, actor.id
    db.session.flush()
    audit.record(actor, "sms.template_edit", "sms_template", f"{kind}:{outcome}" if outcome else kind,
                 before=before, after=body)
    return row


@unit_of_work
def reset_template(actor, kind: str, outcome: str = "") -> None:
    """Go back to the portal's own wording."""
    require_role(actor, Role.ADMIN)
    row = _custom(kind, outcome)
    if row is None:
        return
    audit.record(actor, "sms.template_reset", "sms_template", f"{kind}:{outcome}" if outcome else kind,
                 before=row.body, after=str(rules.default_body(kind, outcome)))
    db.session.delete(row)


def custom_body(kind: str, outcome: str = "") -> str | None:
    """The administrator's wording to send, if there is one that still fits the kind's values."""
    row = _custom(kind, outcome)
    if row is None or not rules.custom_fits(kind, outcome, row.body):
        return None
    return row.body

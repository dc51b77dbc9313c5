"""Writing the audit log. Services call ``record`` inside the transaction of the action itself.

The log is kept for years and read by every administrator, so no ID number or mobile is ever
written to it in full: whatever a detail holds (search words and filters of an export, a note or a
reason typed by staff, a file's name) goes through ``identity.mask_personal_numbers``, and so do
the label, the record's id and the browser's words. Proof: ``tests/privacy/test_audit_masking.py``.
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.orm import Session

from portal.domain.identity import mask_personal_numbers
from portal.extensions import db
from portal.models import AuditEvent
from portal.models.base import utcnow
from portal.services.unit_of_work import defer


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if getattr(actor, "actor_type", None) == "staff":
        return f"{actor.username} ({actor.role})"
    if getattr(actor, "actor_type", None) == "member":
        return f"member {actor.id} {actor.masked_name}"
    return str(getattr(actor, "label", actor))


def record(actor, action: str, entity: str | None = None, entity_id=None, *, session: Session | None = None,
           **details) -> AuditEvent:
    """Add an audit event to the current transaction; it commits or rolls back with the action.

    ``session`` is an ``independent_unit()``'s, for the audit of an attempt that is refused (and
    rolled back) but must still be on record.
    """
    event = AuditEvent(
        actor_type=getattr(actor, "actor_type", "system") if actor is not None else "system",
        actor_id=getattr(actor, "id", None),
        actor_label=mask_personal_numbers(actor_label(actor))[:80],
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else mask_personal_numbers(str(entity_id)),
        details=mask_personal_numbers(details) or None,
    )
    if has_request_context():
        event.ip = (request.remote_addr or "")[:64]
        event.user_agent = mask_personal_numbers((request.user_agent.string or "")[:200])
    if session is None and defer(event):  # a kiosk push writes its batch's rows together
        event.at = utcnow()  # when it happened, not when the batch is written
        return event
    (session or db.session).add(event)
    return event

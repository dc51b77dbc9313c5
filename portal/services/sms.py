"""Queue and deliver text messages.

A service calls ``queue_text`` inside its own transaction; the text is a row like any other and
is only handed to the task queue once that transaction commits, so a rolled-back action never
sends a text, and a crash after commit leaves a queued row that the periodic sweep delivers.
"""

from __future__ import annotations

import functools
from datetime import datetime

from flask import current_app
from sqlalchemy import inspect, or_, select

from portal.clock import CHINA
from portal.domain.texts import URGENT_KINDS, render_text, text_send_after
from portal.extensions import db
from portal.integrations.sms import SmsDeliveryError
from portal.models import Member, SmsMessage, SmsStatus
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services.unit_of_work import after_commit, independent_unit

MAX_ATTEMPTS = 5
# Reminders a member may turn off (``Member.sms_consent``): checked again at delivery, because a
# text held for the morning must not go out after the member said no overnight.
CONSENT_KINDS = frozenset({"claim_invitation"})


def queue_text(mobile: str, body: str | None = None, *, kind: str, params: dict | None = None, member=None,
               subject: tuple[str, object] | None = None, send_after: datetime | None = None) -> SmsMessage:
    """Add a text of ``kind`` (its template in ``portal.domain.texts`` filled with ``params``) to the
    current transaction; it is delivered after commit (or at ``send_after``)."""
    if body is None:
        body = render_text(kind, **(params or {}))
    message = SmsMessage(
        mobile=mobile,
        mobile_hash=lookup_hash(mobile),
        member_id=getattr(member, "id", None),
        kind=kind,
        body=body,
        subject_type=subject[0] if subject else None,
        subject_id=str(subject[1]) if subject else None,
        status=SmsStatus.HELD if send_after else SmsStatus.QUEUED,
        send_after=send_after,
    )
    db.session.add(message)
    if message.status == SmsStatus.QUEUED:
        after_commit(functools.partial(_hand_over, current_app._get_current_object(), message))
    return message


def _hand_over(app, message: SmsMessage) -> None:
    """After commit: give the text to the queue by id (the row is expired, its key is not)."""
    identity = inspect(message).identity
    if identity is not None:
        app.extensions["task_queue"].enqueue("deliver_text", identity[0])


def deliver(message_id: int, *, now: datetime | None = None) -> str:
    """Hand one text to the configured gateway; returns the new status.

    Each text is an independent unit on purpose: a text handed to a provider cannot be called
    back, so what the gateway answered is recorded at once, whatever becomes of the caller's
    transaction, and one text's failure never undoes the record of another.
    """
    now = now or utcnow()
    gateway = current_app.extensions["sms_gateway"]
    with independent_unit() as session:
        message = session.get(SmsMessage, message_id, with_for_update=True)
        if message is None or message.status not in (SmsStatus.QUEUED, SmsStatus.HELD):
            return message.status if message else "missing"
        if message.send_after and message.send_after > now:
            message.status = SmsStatus.HELD
            return message.status
        if message.kind in CONSENT_KINDS and message.member_id is not None:
            member = session.get(Member, message.member_id)
            if member is not None and not member.sms_consent:
                message.status = SmsStatus.FAILED
                message.error = "会员已退订提醒短信，未发送。"
                return message.status
        signature = current_app.config.get("SMS_SIGNATURE") or ""
        message.attempts += 1
        message.backend = gateway.name
        try:
            message.provider_ref = gateway.send(message.mobile, signature + message.body)
        except SmsDeliveryError as exc:
            message.error = str(exc)[:255]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = SmsStatus.FAILED
            elif message.kind not in URGENT_KINDS:
                # The sweep retries every minute; a retry must not wake anyone at night either.
                held_until = text_send_after(now.astimezone(CHINA))
                if held_until is not None:
                    message.send_after, message.status = held_until, SmsStatus.HELD
        else:
            message.status = SmsStatus.SENT
            message.sent_at = now
            message.error = None
        return message.status


def deliver_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Deliver held texts whose time has come and queued ones a crash left behind.

    The due ids are read in a unit of their own, so no read of the caller's stays open while
    each text is delivered (and recorded) in its own.
    """
    now = now or utcnow()
    with independent_unit() as session:
        ids = list(session.scalars(
            select(SmsMessage.id)
            .where(SmsMessage.status.in_((SmsStatus.QUEUED, SmsStatus.HELD)))
            .where(or_(SmsMessage.send_after.is_(None), SmsMessage.send_after <= now))
            .order_by(SmsMessage.id)
            .limit(limit)
        ))
    return sum(deliver(message_id, now=now) == SmsStatus.SENT for message_id in ids)

"""Queue and deliver text messages.

A service calls ``queue_text`` inside its own transaction; the text is a row like any other and
is only handed to the task queue once that transaction commits, so a rolled-back action never
sends a text, and a crash after commit leaves a queued row that the periodic sweep delivers.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, inspect, or_, select

from portal.clock import CHINA
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.texts import (
    CODE_MASK,
    SMS,
    URGENT_KINDS,
    VISITOR_KINDS,
    WAITING,
    SmsAction,
    delivery_outcome,
    render_text,
    text_send_after,
)
from portal.extensions import db
from portal.integrations.sms import SmsDeliveryError
from portal.models import Member, SmsMessage, SmsRequest, SmsStatus
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services.sms_templates import custom_body
from portal.services.unit_of_work import after_commit, independent_unit

TOO_MANY_TEXTS = N_("这个手机号码收到的短信太多了，为防止骚扰，请%(minutes)s分钟后再试。")


def new_code() -> tuple[str, str]:
    """A fresh one-time code and the seed it is derived from: ``(seed, code)``.

    Give the seed to ``queue_text(code_seed=…)`` and keep only a hash of the code: the stored text
    says ``******`` and the code is derived again from the seed and the server's key when the
    text is delivered, so nobody reading the database or the outbox can sign in as a member.
    """
    seed = secrets.token_urlsafe(24)
    return seed, code_from_seed(seed)


def code_from_seed(seed: str) -> str:
    return f"{int(lookup_hash(f'sms-code:{seed}')[:15], 16) % 1_000_000:06d}"


def delivered_text(message: SmsMessage) -> str:
    """The text as the phone receives it: the signature, and the code put back in."""
    signature = current_app.config.get("SMS_SIGNATURE") or ""
    body = message.body
    if message.code_seed:
        body = body.replace(CODE_MASK, code_from_seed(message.code_seed), 1)
    return signature + body


def count_visitor_request(mobile: str, kind: str, *, field: str = "mobile", now: datetime | None = None) -> None:
    """Count a visitor's request for a ``kind`` text to ``mobile`` (sent or not), refusing it once
    the mobile had ``SMS_RECIPIENT_PER_HOUR`` in the last hour or ``SMS_RECIPIENT_PER_DAY`` in the
    last day: nobody can make the portal text someone all day. The count is by the mobile typed,
    member or not, so the refusal tells nothing about who is one."""
    assert kind in VISITOR_KINDS, kind
    now = now or utcnow()
    config = current_app.config
    recipient = lookup_hash(f"sms-recipient:{mobile}")
    for window, limit in ((timedelta(hours=1), config["SMS_RECIPIENT_PER_HOUR"]),
                          (timedelta(days=1), config["SMS_RECIPIENT_PER_DAY"])):
        since = now - window
        count, oldest = db.session.execute(
            select(func.count(SmsRequest.id), func.min(SmsRequest.created_at))
            .where(SmsRequest.recipient_hash == recipient, SmsRequest.created_at > since)).one()
        if count >= limit:
            wait = (oldest + window - now) if oldest else window
            raise InvalidInput(TOO_MANY_TEXTS, code="too_many_texts", field=field,
                               minutes=max(1, -(-int(wait.total_seconds()) // 60)))
    db.session.add(SmsRequest(recipient_hash=recipient, kind=kind, created_at=now))

MAX_ATTEMPTS = 5
# Reminders a member may turn off (``Member.sms_consent``): checked again at delivery, because a
# text held for the morning must not go out after the member said no overnight.
CONSENT_KINDS = frozenset({"claim_invitation"})


def queue_text(mobile: str, *, kind: str, params: dict | None = None, member=None,
               subject: tuple[str, object] | None = None, send_after: datetime | None = None,
               code_seed: str | None = None) -> SmsMessage:
    """Add a text of ``kind`` (its template in ``portal.domain.texts`` filled with ``params``) to the
    current transaction; it is delivered after commit (or at ``send_after``).

    There is no way to pass a body: every official text is one of our templates, so no words a
    caller made up (or a member typed) can go out under the signature. A text with a one-time
    code gets ``code_seed`` (from ``new_code``) and no ``code`` parameter: the body stores the
    code masked."""
    if code_seed is not None:
        params = {**(params or {}), "code": CODE_MASK}
    params = params or {}
    body = render_text(kind, custom_body(kind, str(params.get("outcome", ""))), **params)
    message = SmsMessage(
        mobile=mobile,
        mobile_hash=lookup_hash(mobile),
        member_id=getattr(member, "id", None),
        kind=kind,
        body=body,
        subject_type=subject[0] if subject else None,
        subject_id=str(subject[1]) if subject else None,
        status=SmsStatus.HELD if send_after else SMS.initial,
        send_after=send_after,
        code_seed=code_seed,
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
        if message is None or message.status not in WAITING:
            return message.status if message else "missing"
        if message.send_after and message.send_after > now:
            return SMS.move(message, SmsAction.HOLD)
        if message.kind in CONSENT_KINDS and message.member_id is not None:
            member = session.get(Member, message.member_id)
            if member is not None and not member.sms_consent:
                message.error = "会员已退订提醒短信，未发送。"
                return SMS.move(message, SmsAction.FAIL)
        message.attempts += 1
        message.backend = gateway.name
        try:
            message.provider_ref = gateway.send(message.mobile, delivered_text(message))
        except SmsDeliveryError as exc:
            message.error = str(exc)[:255]
            if message.attempts >= MAX_ATTEMPTS:
                SMS.move(message, SmsAction.FAIL)
            elif message.kind not in URGENT_KINDS:
                # The sweep retries every minute; a retry must not wake anyone at night either.
                held_until = text_send_after(now.astimezone(CHINA))
                if held_until is not None:
                    message.send_after = held_until
                    SMS.move(message, SmsAction.HOLD)
        else:
            SMS.move(message, SmsAction.SEND)
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
            .where(SmsMessage.status.in_(WAITING))
            .where(or_(SmsMessage.send_after.is_(None), SmsMessage.send_after <= now))
            .order_by(SmsMessage.id)
            .limit(limit)
        ))
    return sum(deliver(message_id, now=now) == SmsStatus.SENT for message_id in ids)


@dataclass(frozen=True)
class ReportResult:
    ref: str
    outcome: str  # "delivered", "undelivered", "recorded" (a code we do not know), "unchanged", "unknown"


def record_delivery_report(ref: str, code: str, *, now: datetime | None = None) -> ReportResult:
    """Record what the gateway reports about one text it took (found by the reference it gave).

    Idempotent: a report repeated, or arriving after another moved the text on, changes nothing.
    Each report is its own unit: one text's report never undoes another's.
    """
    ref, code = ref.strip()[:120], code.strip().upper()[:32]
    if not ref or not code:
        return ReportResult(ref, "unknown")
    with independent_unit() as session:
        message = session.scalars(select(SmsMessage).where(SmsMessage.provider_ref == ref)
                                  .with_for_update().limit(1)).first()
        if message is None:
            return ReportResult(ref, "unknown")
        if message.provider_status == code and message.reported_at is not None:
            return ReportResult(ref, "unchanged")
        action = delivery_outcome(code)
        if action is not None and not SMS.can(message.status, action):
            return ReportResult(ref, "unchanged")
        message.provider_status = code
        message.reported_at = now or utcnow()
        if action is None:
            return ReportResult(ref, "recorded")
        SMS.move(message, action)
        if action == SmsAction.REPORT_UNDELIVERED:
            message.error = f"服务商回执：{code}"
        return ReportResult(ref, "delivered" if action == SmsAction.CONFIRM_DELIVERY else "undelivered")

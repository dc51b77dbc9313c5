"""Live look-ups at a kiosk: "my cover and my claims", by ID number + mobile + a texted code.

The first step answers the same whether or not the two match (a stranger learns nothing about
who is a member); a code goes only to the registered mobile of a matching member. The second
step shows masked facts only, once, within 5 minutes, and after 5 wrong codes never again.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.domain.claims import CLAIM_STATUS_LABELS, CLAIM_TYPE_LABELS, ClaimStatus, ClaimType
from portal.domain.enrollment import STATUS_LABELS as ENROLLMENT_STATUS_LABELS
from portal.domain.errors import DomainError
from portal.domain.i18n import interpolate
from portal.domain.identity import mask_id_number, mask_name, parse_id_number, parse_mobile
from portal.extensions import db
from portal.models import Claim, Enrollment, Kiosk, Member, SyncLookup
from portal.pii import lookup_hash
from portal.services.sms import new_code, queue_text
from portal.services.sync.problems import Problem
from portal.services.unit_of_work import independent_unit, transaction

LOOKUP_MINUTES = 5
MAX_ATTEMPTS = 5
SHOWN_COVERS = 3
SHOWN_CLAIMS = 10


def _code_hash(lookup_id: str, code: str) -> str:
    return lookup_hash(f"kiosk-lookup:{lookup_id}:{code}")


def start_lookup(kiosk: Kiosk, body, *, now: datetime) -> SyncLookup:
    """Record a look-up and text a code when ID number and registered mobile belong to one member."""
    if not isinstance(body, dict):
        raise Problem("bad_request", "请求内容应为 {\"id_number\": ..., \"mobile\": ...}。")
    try:
        parsed = parse_id_number(body.get("id_number"), today=now.date())
        mobile = parse_mobile(body.get("mobile"))
    except DomainError as error:
        raise Problem("invalid_input", error.message, field=error.field) from None
    member = Member.by_id_number(parsed.value)
    matches = member is not None and member.mobile_hash == lookup_hash(mobile)
    seed, code = new_code()
    lookup_id = secrets.token_urlsafe(32)
    with transaction():
        lookup = SyncLookup(id=lookup_id, kiosk_id=kiosk.id, member_id=member.id if matches else None,
                            code_hash=_code_hash(lookup_id, code),
                            expires_at=now + timedelta(minutes=LOOKUP_MINUTES), created_at=now)
        db.session.add(lookup)
        if matches:
            queue_text(mobile, kind="kiosk_lookup_code", params={"minutes": LOOKUP_MINUTES},
                       member=member, subject=("kiosk", kiosk.id), code_seed=seed)
    return lookup


def verify_lookup(kiosk: Kiosk, lookup_id: str, body, *, now: datetime) -> dict:
    """The member's masked cover and claims, once the texted code is right."""
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str | int):
        raise Problem("bad_request", "请求内容应为 {\"code\": \"六位验证码\"}。")
    typed = "".join(ch for ch in str(code) if ch.isdigit())[:12]
    with independent_unit() as session:  # a wrong try counts even though the answer is a refusal
        lookup = session.get(SyncLookup, lookup_id, with_for_update=True) if len(lookup_id) <= 43 else None
        if lookup is None or lookup.kiosk_id != kiosk.id:
            raise Problem("lookup_not_found", "找不到这次查询，请重新输入身份证号和手机号。")
        if lookup.used_at is not None or lookup.expires_at <= now or lookup.attempts >= MAX_ATTEMPTS:
            raise Problem("lookup_expired", "这次查询已失效（已使用、超过5分钟或输错5次），请重新查询。")
        lookup.attempts += 1
        right = lookup.member_id is not None and hmac.compare_digest(lookup.code_hash, _code_hash(lookup.id, typed))
        if right:
            lookup.used_at = now
        member_id, attempts_left = lookup.member_id, MAX_ATTEMPTS - lookup.attempts
    if not right:
        raise Problem("code_wrong", "验证码不正确。", attempts_left=attempts_left)
    return member_summary(db.session.get(Member, member_id))


def member_summary(member: Member) -> dict:
    """What a kiosk may show on screen: masked identity, covers and claims, no amounts of others."""
    enrollments = list(db.session.scalars(
        select(Enrollment).where(Enrollment.member_id == member.id).options(selectinload(Enrollment.plan))
        .order_by(Enrollment.plan_year.desc(), Enrollment.id.desc()).limit(SHOWN_COVERS)))
    claims = list(db.session.scalars(
        select(Claim).where(Claim.member_id == member.id, Claim.status != ClaimStatus.DRAFT)
        .options(selectinload(Claim.events)).order_by(Claim.id.desc()).limit(SHOWN_CLAIMS)))
    return {
        "member": {"name": mask_name(member.name), "id_number": mask_id_number(member.id_number)},
        "covers": [{
            "plan": enrollment.plan.name, "plan_code": enrollment.plan.code, "plan_year": enrollment.plan_year,
            "starts_on": enrollment.starts_on.isoformat() if enrollment.starts_on else None,
            "ends_on": enrollment.ends_on.isoformat() if enrollment.ends_on else None,
            "status": enrollment.status,
            "status_label": interpolate(ENROLLMENT_STATUS_LABELS.get(enrollment.status, enrollment.status), {}),
        } for enrollment in enrollments],
        "claims": [_claim(claim) for claim in claims],
    }


def _claim(claim: Claim) -> dict:
    visible = [event for event in claim.events if event.visible_to_member]
    last = visible[-1] if visible else None
    return {
        "number": claim.reference, "type": claim.claim_type,
        "type_label": str(CLAIM_TYPE_LABELS[ClaimType(claim.claim_type)]),
        "status": claim.status, "status_label": str(CLAIM_STATUS_LABELS[ClaimStatus(claim.status)]),
        "amount_fen": claim.payable_fen,
        "last_event": last.message if last else None,
        "last_event_at": last.at.isoformat() if last else None,
    }


def lookup_rate_limit() -> str:
    return current_app.config["SYNC_LOOKUP_RATE_LIMIT"]

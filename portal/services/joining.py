"""Joining online (网上入会): a worker on no roster proves their mobile, asks a union to take them,
and the union's officer confirms (they become a member of that union) or declines with a reason.

The code step works like member sign-in (``portal.services.auth``): the same resend guard, the same
daily cap per ID number, the same per-recipient cap on texts a visitor can trigger, codes kept
only as hashes. A member who "joins" gets the same pages and answers as a stranger; the text that
says they are a member already goes to the mobile their union holds.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from portal.domain.claims import EXTENSIONS
from portal.domain.enrollment import normalise_text
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number, parse_mobile, parse_worker_id_number
from portal.domain.joining import DECLINE_REASONS, JOIN, JoinAction, JoinStatus, clean_employer, decline_reason
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import JoinCode, JoinRequest, Member, Union
from portal.models.base import utcnow
from portal.models.members import GIG_OCCUPATIONS, OTHER_OCCUPATIONS
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, union_scope
from portal.services.auth import CODE_FAILED, CODE_USED_WAIT, CODES_PER_DAY_USED, RESEND_INTERVAL
from portal.services.claims.documents import prepare_upload
from portal.services.sms import count_visitor_request, new_code, queue_text
from portal.services.unit_of_work import independent_unit, on_rollback, savepoint, unit_of_work

OFFICERS = (Role.ADMIN, Role.UNION_OFFICER)
OCCUPATIONS = GIG_OCCUPATIONS + OTHER_OCCUPATIONS
ALREADY_DECIDED = N_("该入会申请已处理过，无需重复操作。")


@dataclass(frozen=True)
class JoinDetails:
    """What the person tells the union besides their ID number and mobile."""

    name: str
    occupation: str
    employer: str
    union_id: int | None
    has_social_insurance: bool = False


def joinable_unions() -> list[Union]:
    """The unions the joining page offers (district unions, the gig workers' union)."""
    return list(db.session.scalars(
        select(Union).where(Union.takes_join_requests.is_(True)).order_by(Union.code)))


def _code_hash(id_hash: str, mobile: str, code: str) -> str:
    # Bound to the mobile typed: a code proves that phone, not only the ID number.
    return lookup_hash(f"join-code:{id_hash}:{lookup_hash(mobile)}:{code}")


# --- The person -----------------------------------------------------------------------------------

@unit_of_work
def request_join_code(id_number: str, mobile: str, *, now: datetime | None = None) -> str:
    """Text a code to ``mobile`` (or, for a member, say so on the mobile their union holds).

    Returns the ID number's lookup hash whatever happened, for the next step; only the format of
    what was typed is checked openly, and the caps count strangers and members alike.
    """
    now = now or utcnow()
    parsed = parse_worker_id_number(id_number, today=now.date())
    mobile = parse_mobile(mobile)
    id_hash = lookup_hash(parsed.value)
    config = current_app.config
    recent = db.session.scalar(
        select(JoinCode).where(JoinCode.id_number_hash == id_hash, JoinCode.created_at > now - RESEND_INTERVAL)
        .order_by(JoinCode.created_at.desc(), JoinCode.id.desc()).limit(1))
    if recent is not None:
        if (recent.used_at is None and recent.expires_at > now and recent.attempts < config["OTP_MAX_ATTEMPTS"]
                and recent.mobile == mobile):
            return id_hash  # a second tap: the code on the phone is still good
        wait = int((recent.created_at + RESEND_INTERVAL - now).total_seconds()) + 1
        raise InvalidInput(CODE_USED_WAIT, code="code_wait", field="mobile", seconds=max(1, wait))
    today_codes = db.session.scalar(select(func.count(JoinCode.id)).where(
        JoinCode.id_number_hash == id_hash, JoinCode.created_at > now - timedelta(days=1)))
    if today_codes >= config["LOGIN_CODES_PER_DAY"]:
        raise InvalidInput(CODES_PER_DAY_USED, code="codes_per_day", field="id_number")
    count_visitor_request(mobile, "join_code", now=now)
    member = db.session.scalar(select(Member).where(Member.id_number_hash == id_hash))
    seed, code = new_code()
    ttl = config["OTP_TTL_SECONDS"]
    db.session.add(JoinCode(id_number_hash=id_hash, id_number=parsed.value, mobile=mobile,
                            member_id=member.id if member else None, code_hash=_code_hash(id_hash, mobile, code),
                            expires_at=now + timedelta(seconds=ttl), created_at=now))
    if member is None:
        queue_text(mobile, kind="join_code", params={"minutes": ttl // 60}, code_seed=seed)
    elif member.mobile:
        queue_text(member.mobile, kind="join_already_member", member=member,
                   params={"union": member.union.name if member.union else N_("工会")})
    audit.record(None, "joining.code_request", "member" if member else "join_code", member.id if member else None)
    return id_hash


def check_details(details: JoinDetails) -> JoinDetails:
    """The details cleaned, or ``InvalidInput`` under the field to correct (nothing is written)."""
    name = "".join(normalise_text(details.name).split())
    if not name or len(name) > 30 or any(ch.isdigit() for ch in name):
        raise InvalidInput(N_("请填写本人姓名（不超过30个字）。"), field="name")
    if details.occupation not in OCCUPATIONS:
        raise InvalidInput(N_("请选择职业。"), field="occupation")
    union = db.session.get(Union, details.union_id) if details.union_id else None
    if union is None or not union.takes_join_requests:
        raise InvalidInput(N_("请选择要加入的工会。"), field="union_id")
    return JoinDetails(name=name, occupation=details.occupation, employer=clean_employer(details.employer),
                       union_id=union.id, has_social_insurance=bool(details.has_social_insurance))


@unit_of_work
def submit_join_request(id_hash: str, code: str, details: JoinDetails, *, proof: tuple[str, bytes] | None = None,
                        now: datetime | None = None) -> JoinRequest | None:
    """The code and the details: a request for the chosen union to confirm.

    The details and the photo are checked first, so a typo costs no attempt at the code. A wrong,
    used or expired code, and any code for an ID number that is a member's already, get the same
    refusal. A second request while one waits returns the waiting one.
    """
    now = now or utcnow()
    details = check_details(details)
    stored = prepare_upload(proof[1], current_app.config["UPLOAD_MAX_BYTES"]) if proof and proof[1] else None
    login = db.session.scalar(
        select(JoinCode).where(JoinCode.id_number_hash == id_hash, JoinCode.used_at.is_(None))
        .order_by(JoinCode.created_at.desc(), JoinCode.id.desc()).limit(1))
    if login is None or login.expires_at <= now or not _use_attempt(login.id):
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    if login.member_id is not None or not hmac.compare_digest(login.code_hash,
                                                              _code_hash(id_hash, login.mobile, typed)):
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    login.used_at = now
    waiting = _waiting_request(id_hash)
    if waiting is not None:
        return waiting
    request = JoinRequest(name=details.name, occupation=details.occupation, employer=details.employer,
                          union_id=details.union_id, has_social_insurance=details.has_social_insurance,
                          status=JOIN.initial)
    request.set_identity(parse_id_number(login.id_number, today=now.date()))
    request.set_mobile(login.mobile)
    if stored is not None:
        request.proof_stored_name, request.proof_content_type = _store_proof(stored), stored.content_type
    try:
        with savepoint():  # the same person from two tabs at once: one request
            db.session.add(request)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        return _waiting_request(id_hash)
    audit.record(None, "joining.submit", "join_request", request.id, union_id=request.union_id)
    return request


def _waiting_request(id_hash: str) -> JoinRequest | None:
    return db.session.scalar(select(JoinRequest).where(JoinRequest.id_number_hash == id_hash,
                                                       JoinRequest.status == JoinStatus.SUBMITTED))


def _use_attempt(code_id: int) -> bool:
    """Count one try at a code, committed at once (as at sign-in); ``False`` once they are used up."""
    with independent_unit() as session:
        counted = session.execute(
            update(JoinCode).where(JoinCode.id == code_id, JoinCode.attempts < current_app.config["OTP_MAX_ATTEMPTS"])
            .values(attempts=JoinCode.attempts + 1))
        return counted.rowcount == 1


def _store_proof(stored) -> str:
    """Write a checked (content-sniffed, size-limited, EXIF-stripped) photo under a random name;
    it goes again if the request is not recorded."""
    token = secrets.token_hex(16)
    name = f"joining/{token[:2]}/{token}.{EXTENSIONS[stored.content_type]}"
    path = _upload_root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stored.content)
    on_rollback(functools.partial(path.unlink, missing_ok=True))
    return name


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


# --- The union ------------------------------------------------------------------------------------

def list_requests(actor, *, status: str = JoinStatus.SUBMITTED, limit: int = 200) -> list[JoinRequest]:
    """Requests to the actor's union subtree, oldest first (the queue an officer works through)."""
    require_role(actor, *OFFICERS)
    status = status if status in set(JoinStatus) else JoinStatus.SUBMITTED
    stmt = select(JoinRequest).where(JoinRequest.status == status).order_by(JoinRequest.created_at, JoinRequest.id)
    return list(db.session.scalars(union_scope(stmt, actor, JoinRequest.union_id).limit(limit)))


def get_request(actor, request_id: int) -> JoinRequest:
    require_role(actor, *OFFICERS)
    request = db.session.get(JoinRequest, request_id)
    if request is None:
        raise NotFound(N_("找不到该入会申请。"))
    require_union_in_scope(actor, request.union)
    return request


@unit_of_work
def view_request(actor, request_id: int) -> JoinRequest:
    """An officer opens a request (personal data, perhaps a photo): audited like a document view."""
    request = get_request(actor, request_id)
    audit.record(actor, "joining.view", "join_request", request.id)
    return request


@unit_of_work
def open_proof(actor, request_id: int) -> tuple[JoinRequest, Path]:
    request = get_request(actor, request_id)
    if not request.proof_stored_name:
        raise NotFound(N_("该申请没有上传工作证明。"))
    audit.record(actor, "joining.proof_view", "join_request", request.id)
    return request, _upload_root() / request.proof_stored_name


@unit_of_work
def confirm_request(actor, request_id: int, *, now: datetime | None = None) -> JoinRequest:
    """The union takes the person: they become its member (or, if a roster added them meanwhile,
    the request names that member) and are told by text."""
    now = now or utcnow()
    request = get_request(actor, request_id)
    if not JOIN.can(request.status, JoinAction.CONFIRM):
        raise Conflict(ALREADY_DECIDED)
    JOIN.move(request, JoinAction.CONFIRM)
    member = Member.by_id_number(request.id_number)
    if member is None:
        member = Member(name=request.name, union_id=request.union_id, occupation=request.occupation,
                        is_gig_worker=request.occupation in GIG_OCCUPATIONS,
                        has_social_insurance=request.has_social_insurance, is_verified=True)
        member.set_identity(parse_id_number(request.id_number, today=now.date()))
        member.set_mobile(request.mobile)
        try:
            with savepoint():
                db.session.add(member)
        except Conflict as error:
            if error.code != "duplicate":
                raise
            raise Conflict(N_("此人刚刚已由其他途径登记为会员，请刷新页面。")) from None
    request.member_id, request.decided_by_id, request.decided_at = member.id, actor.id, now
    audit.record(actor, "joining.confirm", "join_request", request.id, member_id=member.id)
    queue_text(request.mobile, kind="join_confirmed", member=member, subject=("join_request", request.id),
               params={"union": request.union.name})
    return request


@unit_of_work
def decline_request(actor, request_id: int, *, reason: str, note: str = "", now: datetime | None = None) -> JoinRequest:
    """The union does not take the person, for one of the set reasons (whose words the text carries);
    the officer's note stays with the record for staff."""
    chosen = decline_reason(reason)
    request = get_request(actor, request_id)
    if not JOIN.can(request.status, JoinAction.DECLINE):
        raise Conflict(ALREADY_DECIDED)
    JOIN.move(request, JoinAction.DECLINE)
    request.decline_reason = chosen
    request.decline_note = " ".join((note or "").split())[:200] or None
    request.decided_by_id, request.decided_at = actor.id, now or utcnow()
    audit.record(actor, "joining.decline", "join_request", request.id, reason=str(chosen))
    queue_text(request.mobile, kind="join_declined", subject=("join_request", request.id),
               params={"union": request.union.name, "reason": DECLINE_REASONS[chosen]})
    return request

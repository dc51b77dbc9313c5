"""Signing in: staff by password (with lock-out), members by a one-time code sent by text."""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number, parse_mobile
from portal.extensions import db
from portal.models import LoginCode, Member, StaffLoginLock, StaffUser
from portal.models.base import utcnow
from portal.models.staff import password_method
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.sms import count_visitor_request, new_code, queue_text
from portal.services.unit_of_work import independent_unit, unit_of_work

STAFF_LOGIN_FAILED = N_("用户名或密码不正确。连续输错多次后账号将被暂时锁定，请稍后再试或联系管理员。")
CODE_FAILED = N_("验证码不正确或已过期，请重新获取。")
CODE_USED_WAIT = N_("刚才的验证码已经用过了。新的验证码可在%(seconds)s秒后获取。")
CODES_PER_DAY_USED = N_("这个身份证号码今天获取验证码的次数已达上限，请明天再试。")
RESEND_INTERVAL = timedelta(seconds=60)


MAX_LOCK = timedelta(hours=24)


@unit_of_work
def authenticate_staff(username: str, password: str, *, address: str = "", now: datetime | None = None) -> StaffUser:
    """Check a staff password; the same message (and the same time) for a wrong name, a wrong
    password or a lock.

    Wrong passwords are counted per (account, client address) and lock that pair only, for
    ``LOGIN_LOCK_MINUTES`` doubled at each lock (up to a day): a stranger cannot lock a
    reviewer out, and the reviewer's own address still signs in. The password is hashed even
    when locked or unknown, so the answer's timing tells nothing. A refused attempt is counted
    (and audited) in a unit of its own: the refusal rolls the action back, the count must stay.
    """
    now = now or utcnow()
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username.strip()[:60]))
    if user is None or not user.is_active_account:
        StaffUser(password_hash=_dummy_hash(password_method())).check_password(password)
        raise InvalidInput(STAFF_LOGIN_FAILED, code="login_failed")
    place = lookup_hash(f"staff-login-address:{address}")
    lock = db.session.scalar(select(StaffLoginLock).where(StaffLoginLock.user_id == user.id,
                                                          StaffLoginLock.address_hash == place))
    right = user.check_password(password)
    if lock is not None and lock.locked_until and lock.locked_until > now:
        with independent_unit() as session:
            audit.record(user, "staff.login_locked", "staff_user", user.id, session=session)
        raise InvalidInput(STAFF_LOGIN_FAILED, code="login_failed")
    if not right:
        _count_failed_login(user.id, place, now)
        raise InvalidInput(STAFF_LOGIN_FAILED, code="login_failed")
    if lock is not None:
        db.session.delete(lock)  # the right password from here: this address starts afresh
    user.last_login_at = now
    audit.record(user, "staff.login", "staff_user", user.id)
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    """A real hash of a random password, made with the configured method, so an unknown or disabled
    name costs what a known one does and the answer's timing tells nothing."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _count_failed_login(user_id: int, place: str, now: datetime) -> None:
    """One more wrong password from ``place``, and a lock (longer each time) once there were too many."""
    config = current_app.config
    with independent_unit() as session:
        user = session.get(StaffUser, user_id, with_for_update=True)  # serialises this account's counts
        lock = session.scalar(select(StaffLoginLock).where(StaffLoginLock.user_id == user_id,
                                                           StaffLoginLock.address_hash == place))
        if lock is None:
            lock = StaffLoginLock(user_id=user_id, address_hash=place, failures=0, locks=0)
            session.add(lock)
        lock.failures += 1
        lock.updated_at = now
        if lock.failures >= config["LOGIN_MAX_FAILURES"]:
            lock.locks += 1
            lock.failures = 0
            lock.locked_until = now + min(timedelta(minutes=config["LOGIN_LOCK_MINUTES"]) * 2 ** (lock.locks - 1),
                                          MAX_LOCK)
            audit.record(user, "staff.locked", "staff_user", user.id, session=session)
        audit.record(user, "staff.login_failed", "staff_user", user.id, session=session)


def _code_hash(id_hash: str, code: str) -> str:
    return lookup_hash(f"login-code:{id_hash}:{code}")


@dataclass(frozen=True)
class CodeRequest:
    """What a request for a sign-in code did, the same whoever asked (members and strangers alike).

    ``reused``: a code asked for less than a minute ago is still good, so no new text was sent (a
    corrected mobile, a second tap, signing straight back in); the page says so instead of
    claiming a new code is on its way. ``wait_seconds``: when a new code may be asked for.
    """

    id_hash: str
    reused: bool = False
    wait_seconds: int = 0


@unit_of_work
def request_login_code(id_number: str, mobile: str, *, now: datetime | None = None) -> CodeRequest:
    """Send a 6-digit code when ID number and mobile belong to one member.

    The answer is the ID number's lookup hash whether or not anyone matched: the page must not tell
    a stranger who is a member, and the session that carries it to the next step (a signed, not
    encrypted, cookie on perhaps a shared kiosk) must not hold the number itself. Only the format
    of what was typed is checked openly.
    """
    now = now or utcnow()
    parsed = parse_id_number(id_number, today=now.date())
    mobile = parse_mobile(mobile)
    id_hash = lookup_hash(parsed.value)
    recent = db.session.scalar(
        select(LoginCode).where(LoginCode.id_number_hash == id_hash, LoginCode.created_at > now - RESEND_INTERVAL)
        .order_by(LoginCode.created_at.desc(), LoginCode.id.desc()).limit(1)
    )
    config = current_app.config
    if recent is not None:
        # A code was just sent: the one on the phone is still good (signing in again after signing
        # out, a second tap); once used, say when a new one can come instead of flooding the phone.
        wait = int((recent.created_at + RESEND_INTERVAL - now).total_seconds()) + 1
        if recent.used_at is None and recent.expires_at > now and recent.attempts < config["OTP_MAX_ATTEMPTS"]:
            return CodeRequest(id_hash, reused=True, wait_seconds=max(1, wait))
        raise InvalidInput(CODE_USED_WAIT, code="code_wait", field="mobile", seconds=max(1, wait))
    today_codes = db.session.scalar(select(func.count(LoginCode.id)).where(
        LoginCode.id_number_hash == id_hash, LoginCode.created_at > now - timedelta(days=1)))
    if today_codes >= config["LOGIN_CODES_PER_DAY"]:
        raise InvalidInput(CODES_PER_DAY_USED, code="codes_per_day", field="id_number")
    count_visitor_request(mobile, "login_code", now=now)
    member = db.session.scalar(select(Member).where(Member.id_number_hash == id_hash))
    matches = member is not None and member.mobile_hash == lookup_hash(mobile)
    seed, code = new_code()
    ttl = config["OTP_TTL_SECONDS"]
    db.session.add(LoginCode(
        id_number_hash=id_hash,
        member_id=member.id if matches else None,
        code_hash=_code_hash(id_hash, code),
        expires_at=now + timedelta(seconds=ttl),
        created_at=now,
    ))
    if matches:
        queue_text(mobile, kind="login_code", params={"minutes": ttl // 60}, member=member, code_seed=seed)
    return CodeRequest(id_hash, wait_seconds=int(RESEND_INTERVAL.total_seconds()))


@unit_of_work
def verify_login_code(id_hash: str, code: str, *, now: datetime | None = None) -> Member:
    """Return the member once the latest code for ``id_hash`` (from ``request_login_code``) matches.

    Each try uses up an attempt before the code is compared, in a unit of its own: a wrong code
    is refused (and its action rolled back) but the attempt stays counted, and two tries at once
    cannot both take the last one.
    """
    now = now or utcnow()
    login = db.session.scalar(
        select(LoginCode).where(LoginCode.id_number_hash == id_hash, LoginCode.used_at.is_(None))
        .order_by(LoginCode.created_at.desc(), LoginCode.id.desc()).limit(1)
    )
    if login is None or login.expires_at <= now or not _use_attempt(login.id):
        raise InvalidInput(CODE_FAILED, code="code_failed")
    typed = "".join(ch for ch in str(code) if ch.isdigit())
    if login.member_id is None or not hmac.compare_digest(login.code_hash, _code_hash(id_hash, typed)):
        raise InvalidInput(CODE_FAILED, code="code_failed")
    login.used_at = now
    member = db.session.get(Member, login.member_id)
    member.last_login_at = now
    audit.record(member, "member.login", "member", member.id)
    return member


def _use_attempt(login_id: int) -> bool:
    """Count one try at a code, committed at once; ``False`` when the attempts are used up."""
    with independent_unit() as session:
        counted = session.execute(
            update(LoginCode)
            .where(LoginCode.id == login_id, LoginCode.attempts < current_app.config["OTP_MAX_ATTEMPTS"])
            .values(attempts=LoginCode.attempts + 1)
        )
        return counted.rowcount == 1


@unit_of_work
def end_sessions(user) -> None:
    """Sign ``user`` out everywhere: every session cookie issued so far stops opening anything,
    one copied from a shared kiosk before sign-out included (the cookie alone cannot be revoked)."""
    user = db.session.get(type(user), user.id, with_for_update=True)
    user.session_generation = (user.session_generation or 0) + 1
    audit.record(user, f"{user.actor_type}.logout", "staff_user" if user.actor_type == "staff" else "member", user.id)


@unit_of_work
def change_own_password(user: StaffUser, current: str, new: str, repeat: str) -> StaffUser:
    """A staff member chooses a new password (forced after an administrator's reset). Every other
    session of the account ends; the caller signs the browser in again with the new generation."""
    from portal.services.staff import MIN_PASSWORD_LENGTH

    user = db.session.get(StaffUser, user.id, with_for_update=True)
    if not user.check_password(current or ""):
        raise InvalidInput(N_("当前密码不正确。"), field="current")
    if len(new or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(N_("密码至少%(length)s位。"), field="new", length=MIN_PASSWORD_LENGTH)
    if new != repeat:
        raise InvalidInput(N_("两次输入的新密码不一致。"), field="repeat")
    if new == current:
        raise InvalidInput(N_("新密码不能与当前密码相同。"), field="new")
    user.set_password(new)
    user.must_change_password = False
    audit.record(user, "staff.password_change", "staff_user", user.id)
    return user

"""Two-factor sign-in for staff: TOTP enrolment, codes at sign-in, recovery codes, resets.

Administrators and reviewers must enrol (``StaffUser.needs_two_factor``); any other staff account
may. The secret is encrypted at rest (``EncryptedText``); a code is accepted once (the last step
used is stored); wrong codes are counted per account, in a unit of their own so a refusal cannot
roll the count back, and pause the account's code entry once there were too many.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from sqlalchemy import delete, select, update

from portal.domain import two_factor as rules
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import StaffRecoveryCode, StaffUser
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role
from portal.services.unit_of_work import independent_unit, unit_of_work

CODE_FAILED = N_("验证码不正确或已用过，请查看验证器应用中的最新验证码。")
CODE_PAUSED = N_("验证码输错次数过多，请%(minutes)s分钟后再试，或联系管理员。")
ENROL_FAILED = N_("验证码不正确，请确认手机时间准确，并输入验证器应用中当前显示的6位数字。")


def provisioning_uri(user: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=current_app.config["TOTP_ISSUER"])


@unit_of_work
def start_enrolment(user: StaffUser) -> str:
    """The secret being enrolled (kept until confirmed, so reloading the page shows the same QR)."""
    user = db.session.get(StaffUser, user.id)
    if user.has_two_factor:
        raise InvalidInput(N_("该账号已启用两步验证。"))
    if not user.totp_pending_secret:
        user.totp_pending_secret = pyotp.random_base32()
    return user.totp_pending_secret


@unit_of_work
def confirm_enrolment(user: StaffUser, code: str, *, now: datetime | None = None) -> list[str]:
    """The first code from the app proves it holds the secret: two-factor is on, and the ten recovery
    codes are returned (shown once, stored only as hashes)."""
    now = now or utcnow()
    user = db.session.get(StaffUser, user.id, with_for_update=True)
    if user.has_two_factor or not user.totp_pending_secret:
        raise InvalidInput(N_("请重新打开两步验证设置页面。"))
    step = _matching_step(user.totp_pending_secret, rules.typed_code(code), None, now)
    if step is None:
        raise InvalidInput(ENROL_FAILED, field="code")
    user.totp_secret, user.totp_pending_secret = user.totp_pending_secret, None
    user.totp_enabled_at, user.totp_last_step, user.totp_failures = now, step, 0
    codes = _new_recovery_codes(user)
    audit.record(user, "staff.two_factor_enrol", "staff_user", user.id)
    return codes


@unit_of_work
def verify_sign_in(user_id: int, code: str, *, now: datetime | None = None) -> StaffUser:
    """The second step of a staff sign-in: a TOTP code not used before, or an unused recovery code."""
    now = now or utcnow()
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.is_active_account or not user.has_two_factor:
        raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
    if user.totp_locked_until and user.totp_locked_until > now:
        minutes = max(1, int((user.totp_locked_until - now).total_seconds() // 60) + 1)
        raise InvalidInput(CODE_PAUSED, code="code_paused", field="code", minutes=minutes)
    typed = rules.typed_code(code)
    # Nothing is written before a code matched: a wrong code is counted in a unit of its own,
    # which must not wait behind this one.
    if rules.is_totp_shape(typed):
        step = _matching_step(user.totp_secret, typed, user.totp_last_step, now)
        if step is not None:
            # Taking the step is a compare-and-set: two requests with one code cannot both win.
            taken = db.session.execute(
                update(StaffUser).where(StaffUser.id == user.id,
                                        (StaffUser.totp_last_step.is_(None)) | (StaffUser.totp_last_step < step))
                .values(totp_last_step=step, totp_failures=0).execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
            audit.record(user, "staff.two_factor_ok", "staff_user", user.id)
            return user
    elif typed:
        code_id = db.session.scalar(select(StaffRecoveryCode.id).where(
            StaffRecoveryCode.user_id == user.id, StaffRecoveryCode.used_at.is_(None),
            StaffRecoveryCode.code_hash == _recovery_hash(user.id, typed)))
        if code_id is not None:
            used = db.session.execute(
                update(StaffRecoveryCode).where(StaffRecoveryCode.id == code_id, StaffRecoveryCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False)
            ).rowcount
            if used != 1:
                raise InvalidInput(CODE_FAILED, code="code_failed", field="code")
            user.totp_failures = 0
            audit.record(user, "staff.two_factor_recovery_code", "staff_user", user.id,
                         left=remaining_recovery_codes(user))
            return user
    _count_failure(user.id, now)
    raise InvalidInput(CODE_FAILED, code="code_failed", field="code")


def remaining_recovery_codes(user: StaffUser) -> int:
    return len(db.session.scalars(select(StaffRecoveryCode.id).where(
        StaffRecoveryCode.user_id == user.id, StaffRecoveryCode.used_at.is_(None))).all())


@unit_of_work
def renew_recovery_codes(user: StaffUser) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    user = db.session.get(StaffUser, user.id)
    if not user.has_two_factor:
        raise InvalidInput(N_("请先启用两步验证。"))
    codes = _new_recovery_codes(user)
    audit.record(user, "staff.two_factor_recovery_renew", "staff_user", user.id)
    return codes


@unit_of_work
def turn_off(user: StaffUser, code: str, *, now: datetime | None = None) -> None:
    """A staff member whose role does not require it turns two-factor off, with a current code."""
    user = db.session.get(StaffUser, user.id, with_for_update=True)
    if user.needs_two_factor:
        raise PermissionDenied(N_("管理员和审核员必须使用两步验证。"))
    if not user.has_two_factor:
        return
    step = _matching_step(user.totp_secret, rules.typed_code(code), user.totp_last_step, now or utcnow())
    if step is None:
        raise InvalidInput(CODE_FAILED, field="code")
    _clear(user)
    audit.record(user, "staff.two_factor_off", "staff_user", user.id)


@unit_of_work
def reset(actor, user_id: int) -> StaffUser:
    """An administrator clears an account's two-factor (a lost phone): its holder enrols again at
    the next sign-in (administrators and reviewers must), and every session of it ends."""
    require_role(actor, Role.ADMIN)
    user = db.session.get(StaffUser, user_id, with_for_update=True)
    if user is None:
        raise InvalidInput(N_("没有这个账号。"))
    _clear(user)
    user.session_generation = (user.session_generation or 0) + 1
    audit.record(actor, "staff.two_factor_reset", "staff_user", user.id, username=user.username)
    return user


def _clear(user: StaffUser) -> None:
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enabled_at = user.totp_last_step = user.totp_locked_until = None
    user.totp_failures = 0
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id))


def _matching_step(secret: str, typed: str, last_step: int | None, now: datetime) -> int | None:
    if not rules.is_totp_shape(typed):
        return None
    totp = pyotp.TOTP(secret)
    current = rules.time_step(now.timestamp())
    steps = [step for step in range(current - rules.VALID_WINDOW, current + rules.VALID_WINDOW + 1)
             if hmac.compare_digest(totp.generate_otp(step), typed)]
    return rules.accepted_step(steps, last_step)


def _recovery_hash(user_id: int, typed: str) -> str:
    return lookup_hash(f"staff-recovery:{user_id}:{rules.typed_code(typed)}")


def _new_recovery_codes(user: StaffUser) -> list[str]:
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id))
    codes = [rules.new_recovery_code() for _ in range(rules.RECOVERY_CODES)]
    db.session.add_all(StaffRecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, code)) for code in codes)
    return codes


def _count_failure(user_id: int, now: datetime) -> None:
    config = current_app.config
    with independent_unit() as session:
        user = session.get(StaffUser, user_id, with_for_update=True)
        user.totp_failures = (user.totp_failures or 0) + 1
        if user.totp_failures >= config["TOTP_MAX_FAILURES"]:
            user.totp_failures = 0
            user.totp_locked_until = now + timedelta(minutes=config["TOTP_LOCK_MINUTES"])
            audit.record(user, "staff.two_factor_paused", "staff_user", user.id, session=session)
        else:
            audit.record(user, "staff.two_factor_failed", "staff_user", user.id, session=session)

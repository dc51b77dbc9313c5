"""Signing in: a refused attempt is refused, and still counted."""

import pytest
from sqlalchemy import func, select

from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, LoginCode, StaffLoginLock
from portal.services import auth
from portal.services.unit_of_work import transaction
from tests.conftest import sent_code
from tests.factories import create_member, create_staff


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_a_wrong_password_counts_although_the_action_rolls_back():
    user = create_staff("admin1", Role.ADMIN)
    with pytest.raises(InvalidInput), transaction():
        auth.authenticate_staff("admin1", "wrong-password")
    db.session.rollback()
    lock = db.session.scalar(select(StaffLoginLock).where(StaffLoginLock.user_id == user.id))
    assert lock.failures == 1 and _audited("staff.login_failed") == 1


def test_a_right_password_inside_a_failed_unit_leaves_no_sign_in_behind():
    user = create_staff("admin1", Role.ADMIN)
    with pytest.raises(RuntimeError), transaction():
        auth.authenticate_staff("admin1", "correct-horse-42")
        raise RuntimeError("the caller failed after the sign-in")
    db.session.rollback()
    db.session.refresh(user)
    assert user.last_login_at is None and _audited("staff.login") == 0


def test_a_wrong_code_uses_up_an_attempt_and_the_right_one_signs_in(app):
    member = create_member()
    id_hash = auth.request_login_code(member.id_number, member.mobile).id_hash
    code = sent_code(member)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidInput) as refused:
        auth.verify_login_code(id_hash, wrong)
    assert refused.value.code == "code_failed"
    db.session.rollback()
    assert db.session.scalars(select(LoginCode.attempts)).one() == 1
    assert auth.verify_login_code(id_hash, code).id == member.id
    login = db.session.scalars(select(LoginCode)).one()
    assert login.attempts == 2 and login.used_at is not None


def test_no_attempt_is_left_once_they_are_used_up(app):
    member = create_member()
    id_hash = auth.request_login_code(member.id_number, member.mobile).id_hash
    code = sent_code(member)
    login = db.session.scalars(select(LoginCode)).one()
    login.attempts = app.config["OTP_MAX_ATTEMPTS"] - 1
    db.session.commit()
    with pytest.raises(InvalidInput):
        auth.verify_login_code(id_hash, "000000" if code != "000000" else "111111")
    with pytest.raises(InvalidInput):
        auth.verify_login_code(id_hash, code)
    db.session.rollback()
    assert db.session.scalars(select(LoginCode.attempts)).one() == app.config["OTP_MAX_ATTEMPTS"]

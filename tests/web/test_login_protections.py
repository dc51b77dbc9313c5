"""Sign-in limits that hold across workers, a lock-out nobody else can trigger, no username
oracle (issue 12)."""

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, StaffLoginLock
from portal.services import auth
from tests.conftest import post_form
from tests.factories import create_staff

ROOT = Path(__file__).parents[2]


def _fail(app, username, address, times=None):
    for _ in range(times or app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(InvalidInput):
            auth.authenticate_staff(username, "wrong-password", address=address)
        db.session.rollback()


def test_failures_from_one_address_lock_only_that_address(app):
    create_staff("rev", Role.REVIEWER)
    _fail(app, "rev", "203.0.113.9")
    with pytest.raises(InvalidInput):  # the right password, from the attacker's address: refused
        auth.authenticate_staff("rev", "correct-horse-42", address="203.0.113.9")
    db.session.rollback()
    # The reviewer at the office still signs in: nobody can lock an account from outside.
    assert auth.authenticate_staff("rev", "correct-horse-42", address="10.0.0.5").username == "rev"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "staff.locked")) is not None


def test_each_lock_lasts_longer_than_the_last(app):
    from datetime import timedelta

    from portal.models.base import utcnow

    create_staff("rev", Role.REVIEWER)
    minutes = []
    for _round in range(3):
        _fail(app, "rev", "203.0.113.9")
        lock = db.session.scalar(select(StaffLoginLock))
        minutes.append(round((lock.locked_until - utcnow()).total_seconds() / 60))
        lock.locked_until = utcnow() - timedelta(seconds=1)  # the lock ran out
        db.session.commit()
    first = app.config["LOGIN_LOCK_MINUTES"]
    assert minutes == [first, 2 * first, 4 * first]


def test_a_locked_account_answers_as_slowly_as_any_other(app):
    create_staff("rev", Role.REVIEWER)
    _fail(app, "rev", "203.0.113.9")

    def timed(username):
        started = time.perf_counter()
        with pytest.raises(InvalidInput):
            auth.authenticate_staff(username, "wrong-password", address="203.0.113.9")
        db.session.rollback()
        return time.perf_counter() - started

    locked = min(timed("rev") for _ in range(3))
    unknown = min(timed("nobody") for _ in range(3))
    # Both hash a password: a lock no longer answers in a tenth of the time.
    assert locked > unknown / 3


def test_the_enterprise_sign_up_does_not_tell_whether_a_username_exists(client):
    from portal.domain.jobs import compose_uscc
    from portal.models import Enterprise, SmsMessage
    from portal.models.unions import UnionKind
    from tests.factories import create_union

    union = create_union("HS01", "长安街道总工会", kind=UnionKind.STREET)
    create_staff("reviewer", Role.REVIEWER)
    form = {"name": "长安科技有限公司", "uscc": compose_uscc("320206", 1), "district": "惠山区",
            "address": "长安街道1号", "contact_name": "王经理", "contact_mobile": "13912340001",
            "union_id": str(union.id), "username": "reviewer", "password": "a-long-password-1", "description": ""}
    taken = post_form(client, "/jobs/enterprises/register", form)
    free = post_form(client, "/jobs/enterprises/register",
                     {**form, "username": "changan", "uscc": compose_uscc("320206", 2)})
    assert taken.status_code == free.status_code == 200
    assert "已被使用" not in taken.get_data(as_text=True)
    assert taken.get_data(as_text=True) == free.get_data(as_text=True).replace(*_csrf_pair(free, taken))
    # Nothing was registered for the taken name; the applicant learns it by text, on the mobile they gave.
    assert db.session.scalar(select(func.count(Enterprise.id))) == 1
    told = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_enterprise_username_taken"))
    assert told is not None and told.mobile == "13912340001"


def _csrf_pair(first, second):
    """The two pages differ only by their CSRF tokens."""
    from tests.conftest import CSRF_RE

    return (CSRF_RE.search(first.get_data(as_text=True)).group(1),
            CSRF_RE.search(second.get_data(as_text=True)).group(1))


def test_limits_are_kept_in_redis_whenever_it_is_configured(tmp_path):
    # The settings alone: binding a second app would re-point the shared limiter at Redis.
    from portal import config as settings
    from portal.security import shared_limits_problem

    config = {**settings.DEFAULTS, "REDIS_URL": "redis://127.0.0.1:6390/0", "SECRET_KEY": "x", "DATA_KEY": "y"}
    settings.finalise(config, str(tmp_path))
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6390/0"
    assert shared_limits_problem(config, workers=4) is None
    memory = {**settings.DEFAULTS, "SECRET_KEY": "x", "DATA_KEY": "y"}
    settings.finalise(memory, str(tmp_path))
    assert memory["RATELIMIT_STORAGE_URI"] == "memory://" and "PORTAL_REDIS_URL" in shared_limits_problem(memory, 4)

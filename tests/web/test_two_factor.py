"""Two-factor sign-in (TOTP) for staff: required for administrators and reviewers, optional for
others; codes not replayable, rate-limited per account and per address; recovery codes once; an
administrator's reset audited (issue 13, Administration and Safety)."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import text

from portal.domain.roles import Role
from portal.domain.two_factor import time_step
from portal.extensions import db
from portal.models import AuditEvent, StaffRecoveryCode, StaffUser
from tests.conftest import post_form, totp_code
from tests.factories import PASSWORD, create_staff, create_union

CODES_RE = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")
SECRET_RE = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')


def _password_step(client, username, password=PASSWORD):
    return post_form(client, "/auth/staff/login", {"username": username, "password": password})


def _code_step(client, code):
    return post_form(client, "/auth/staff/two-factor", {"code": code})


def _signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _secret(user) -> str:
    db.session.expire_all()
    return db.session.get(StaffUser, user.id).totp_secret


def test_an_administrator_s_password_alone_signs_nobody_in(client):
    admin = create_staff("admin1", Role.ADMIN)
    answer = _password_step(client, "admin1")
    assert answer.headers["Location"].endswith("/auth/staff/two-factor")
    assert client.get("/staff/").status_code == 302  # half-way is not signed in
    assert client.get("/staff/accounts").status_code == 302
    wrong = _code_step(client, "000000" if totp_code(admin) != "000000" else "111111")
    assert wrong.status_code == 200 and "验证码不正确" in wrong.get_data(as_text=True)
    assert not _signed_in(client)
    assert _code_step(client, totp_code(admin)).headers["Location"] == "/staff/"
    assert _signed_in(client)


def test_the_code_step_needs_the_password_step_first(client):
    admin = create_staff("admin1", Role.ADMIN)
    answer = post_form(client, "/auth/staff/two-factor", {"code": totp_code(admin)}, form_page="/auth/staff/login")
    assert answer.headers["Location"].endswith("/auth/staff/login")
    assert not _signed_in(client)


def test_a_code_is_not_accepted_twice(app):
    admin = create_staff("admin1", Role.ADMIN)
    code = pyotp.TOTP(_secret(admin)).now()
    first, second = app.test_client(), app.test_client()
    _password_step(first, "admin1")
    assert _code_step(first, code).status_code == 302 and _signed_in(first)
    _password_step(second, "admin1")  # someone who saw the screen, within the same 30 seconds
    replay = _code_step(second, code)
    assert replay.status_code == 200 and "已用过" in replay.get_data(as_text=True)
    assert not _signed_in(second)
    # An older code than the one used is refused too; the next step's code still works.
    older = pyotp.TOTP(_secret(admin)).generate_otp(time_step(time.time()) - 1)
    assert _code_step(second, older).status_code == 200
    newer = pyotp.TOTP(_secret(admin)).generate_otp(time_step(time.time()) + 1)
    assert _code_step(second, newer).status_code == 302 and _signed_in(second)


def test_wrong_codes_pause_the_account_s_code_entry(client, app):
    admin = create_staff("admin1", Role.ADMIN)
    right = totp_code(admin)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    _password_step(client, "admin1")
    for _ in range(app.config["TOTP_MAX_FAILURES"]):
        assert _code_step(client, wrong).status_code == 200
    paused = _code_step(client, right)
    assert paused.status_code == 200 and "分钟后再试" in paused.get_data(as_text=True)
    assert not _signed_in(client)
    # The pause belongs to the account: a second browser with the password cannot go on guessing.
    other = app.test_client()
    _password_step(other, "admin1")
    assert "分钟后再试" in _code_step(other, right).get_data(as_text=True)
    assert db.session.query(AuditEvent).filter_by(action="staff.two_factor_paused").count() == 1


def test_code_guesses_from_one_address_are_rate_limited(client):
    create_staff("admin1", Role.ADMIN, two_factor=True)
    _password_step(client, "admin1")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/auth/staff/two-factor").get_data(as_text=True)).group(1)
    answers = [client.post("/auth/staff/two-factor", data={"csrf_token": token, "code": "12345x"}).status_code
               for _ in range(11)]
    assert answers[:10] == [200] * 10 and answers[10] == 429


def test_a_recovery_code_works_once(app):
    admin = create_staff("admin1", Role.ADMIN, two_factor=False)
    client = app.test_client()
    _password_step(client, "admin1")
    setup = client.get("/auth/staff/two-factor/setup").get_data(as_text=True)
    secret = SECRET_RE.search(setup).group(1).replace(" ", "")
    shown = post_form(client, "/auth/staff/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    codes = CODES_RE.findall(shown.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert db.session.query(StaffRecoveryCode).filter_by(user_id=admin.id).count() == 10
    stored = {row.code_hash for row in db.session.query(StaffRecoveryCode)}
    assert not stored & set(codes)  # kept as hashes only

    post_form(client, "/auth/logout", {}, form_page="/auth/staff/account")
    _password_step(client, "admin1")
    assert _code_step(client, codes[3].upper().replace("-", " ")).status_code == 302  # typed loosely
    assert _signed_in(client)
    post_form(client, "/auth/logout", {}, form_page="/staff/")
    _password_step(client, "admin1")
    assert _code_step(client, codes[3]).status_code == 200
    assert not _signed_in(client)
    assert db.session.query(AuditEvent).filter_by(action="staff.two_factor_recovery_code").count() == 1


def test_administrators_and_reviewers_can_open_only_the_enrolment_page_until_enrolled(client, app):
    create_staff("rev1", Role.REVIEWER, two_factor=False)
    answer = _password_step(client, "rev1")
    assert answer.headers["Location"] == "/staff/"  # signed in on the password, then held at enrolment
    for url in ("/staff/", "/review/", "/review/payouts", "/auth/staff/account", "/enrollment/"):
        held = client.get(url)
        assert held.status_code == 302 and held.headers["Location"].endswith("/auth/staff/two-factor/setup"), url
    page = client.get("/auth/staff/two-factor/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "data:" not in html and "http" not in html.split("<svg", 1)[1].split("</svg>")[0]
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    assert len(secret) == 32 and client.get("/auth/staff/two-factor/setup").get_data(as_text=True).count(
        SECRET_RE.search(html).group(1)) == 1  # a reload shows the same key
    refused = post_form(client, "/auth/staff/two-factor/setup", {"code": "123456"})
    assert "验证码不正确" in refused.get_data(as_text=True)
    post_form(client, "/auth/staff/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert client.get("/review/").status_code == 200
    # The secret is encrypted at rest: the column holds no trace of it.
    raw = db.session.execute(text("SELECT totp_secret FROM staff_users WHERE username = 'rev1'")).scalar()
    assert raw and secret not in raw and _secret(db.session.query(StaffUser).filter_by(username="rev1").one()) == secret


def test_two_factor_is_optional_for_officers_and_then_asked_at_sign_in(client, auth):
    officer = create_staff("officer1", Role.UNION_OFFICER, union=create_union())
    auth.staff("officer1")
    assert _signed_in(client)
    page = client.get("/auth/staff/two-factor/setup").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    post_form(client, "/auth/staff/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    auth.logout()
    assert _password_step(client, "officer1").headers["Location"].endswith("/auth/staff/two-factor")
    assert _code_step(client, totp_code(officer)).status_code == 302 and _signed_in(client)
    # And off again, with a current code.
    post_form(client, "/auth/staff/two-factor/off", {"code": totp_code(officer)}, form_page="/auth/staff/account")
    db.session.expire_all()
    assert not db.session.get(StaffUser, officer.id).has_two_factor


def test_an_administrator_resets_a_lost_phone_s_two_factor(app, auth, client):
    create_staff("admin1", Role.ADMIN)
    reviewer = create_staff("rev1", Role.REVIEWER)
    reviewer_client = app.test_client()
    post_form(reviewer_client, "/auth/staff/login", {"username": "rev1", "password": PASSWORD})
    post_form(reviewer_client, "/auth/staff/two-factor", {"code": totp_code(reviewer)})
    assert reviewer_client.get("/review/").status_code == 200

    auth.staff("admin1")
    answer = post_form(client, f"/staff/accounts/{reviewer.id}/two-factor", {},
                       form_page=f"/staff/accounts/{reviewer.id}")
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(StaffUser, reviewer.id).totp_secret is None
    assert db.session.query(StaffRecoveryCode).filter_by(user_id=reviewer.id).count() == 0
    event = db.session.query(AuditEvent).filter_by(action="staff.two_factor_reset").one()
    assert event.entity_id == str(reviewer.id) and event.actor_label.startswith("admin1")
    assert reviewer_client.get("/review/").status_code == 302  # the old session ended
    # At the next sign-in the reviewer must enrol again before anything else.
    assert _password_step(reviewer_client, "rev1").headers["Location"] == "/staff/"
    assert reviewer_client.get("/review/").headers["Location"].endswith("/auth/staff/two-factor/setup")


def test_only_an_administrator_resets_two_factor(client, auth):
    officer = create_staff("officer1", Role.UNION_OFFICER, union=create_union(), two_factor=True)
    create_staff("rev1", Role.REVIEWER)
    auth.staff("rev1")
    assert post_form(client, f"/staff/accounts/{officer.id}/two-factor", {}, form_page="/staff/").status_code == 403
    db.session.expire_all()
    assert db.session.get(StaffUser, officer.id).has_two_factor


def test_the_demo_code_command_answers_only_for_the_published_demo_keys(runner):
    from portal.demo.core import DEMO_TOTP_SECRETS

    admin = create_staff("admin", Role.ADMIN, two_factor=False)
    admin.totp_secret = DEMO_TOTP_SECRETS["admin"]
    db.session.commit()
    create_staff("reviewer", Role.REVIEWER)  # enrolled with a key of its own, as on a real server
    shown = runner.invoke(args=["demo-totp", "admin"])
    totp = pyotp.TOTP(DEMO_TOTP_SECRETS["admin"])
    assert shown.exit_code == 0 and totp.verify(shown.output.strip(), valid_window=1)
    refused = runner.invoke(args=["demo-totp", "reviewer"])
    assert refused.exit_code != 0 and not re.search(r"\b\d{6}\b", refused.output)

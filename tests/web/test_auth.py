from datetime import timedelta

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, LoginCode, SmsMessage, StaffLoginLock
from portal.models.base import utcnow
from tests.conftest import post_form, sent_code
from tests.factories import create_member, create_staff


def test_staff_sign_in_and_out(client, auth):
    create_staff("admin1", Role.ADMIN)
    answer = auth.staff("admin1")
    assert answer.status_code == 302
    assert client.get("/staff/").status_code == 200
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    auth.logout()
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, auth):
    create_staff("admin1", Role.ADMIN)
    wrong = auth.staff("admin1", "wrong-password").get_data(as_text=True)
    unknown = auth.staff("nobody", "wrong-password").get_data(as_text=True)
    assert "用户名或密码不正确" in wrong and "用户名或密码不正确" in unknown


def test_repeated_failures_lock_the_account(client, auth, app):
    user = create_staff("admin1", Role.ADMIN)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.staff("admin1", "wrong-password")
    lock = db.session.query(StaffLoginLock).filter_by(user_id=user.id).one()
    assert lock.locked_until is not None and lock.locked_until > utcnow()
    # Even the right password is refused while locked.
    assert auth.staff("admin1").status_code == 200
    assert client.get("/staff/").status_code == 302
    assert db.session.query(AuditEvent).filter_by(action="staff.locked").count() == 1


def test_member_signs_in_with_a_texted_code(client, auth):
    member = create_member()
    answer = auth.member(member)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/me/")
    page = client.get("/me/").get_data(as_text=True)
    assert member.masked_id_number in page
    assert member.id_number not in page and member.mobile not in page


def test_code_request_answers_the_same_for_strangers(client):
    member = create_member()
    known = post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    other = create_member(name="李四")
    stranger_id = other.id_number
    db.session.delete(other)
    db.session.commit()
    unknown = post_form(client, "/auth/member/login", {"id_number": stranger_id, "mobile": "13900001111"})
    wrong_mobile = post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": "13900001111"})
    assert known.status_code == unknown.status_code == wrong_mobile.status_code == 302
    assert db.session.query(SmsMessage).count() == 1  # only the real member got a text


def test_a_bad_id_number_gets_a_clear_message(client):
    answer = post_form(client, "/auth/member/login", {"id_number": "110105194912310021", "mobile": "13812345678"})
    assert "校验位不正确" in answer.get_data(as_text=True)


def test_code_expires_and_attempts_are_limited(client, app):
    member = create_member()
    post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    assert db.session.query(SmsMessage).count() == 1
    code = sent_code(member)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(app.config["OTP_MAX_ATTEMPTS"]):
        answer = post_form(client, "/auth/member/code", {"code": wrong})
        assert "验证码不正确" in answer.get_data(as_text=True)
    # The right code no longer works once the attempts are used up.
    answer = post_form(client, "/auth/member/code", {"code": code})
    assert answer.status_code == 200 and client.get("/me/").status_code == 302

    login = db.session.query(LoginCode).one()
    login.attempts = 0
    login.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    answer = post_form(client, "/auth/member/code", {"code": code})
    assert "已过期" in answer.get_data(as_text=True)


def test_personal_data_is_encrypted_at_rest():
    member = create_member()
    raw = db.session.execute(db.text("SELECT id_number, mobile, id_number_hash FROM members")).one()
    assert member.id_number not in raw.id_number
    assert member.mobile not in raw.mobile
    assert member.id_number not in raw.id_number_hash
    from portal.models import Member

    assert Member.by_id_number(member.id_number).id == member.id


def test_code_requests_are_rate_limited_per_address(client):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/auth/member/login")
    answers = [client.post("/auth/member/login", data={"csrf_token": token, "id_number": "1", "mobile": "2"})
               for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429
    assert "操作太频繁" in answers[10].get_data(as_text=True)


def test_member_turns_reminder_texts_off_with_htmx(client, auth):
    member = create_member()
    auth.member(member)
    answer = post_form(client, "/me/sms-consent", {"consent": "0"}, form_page="/me/", headers={"HX-Request": "true"})
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="sms-consent"') and "不接收提醒短信" in html
    assert "HX-Request" in answer.headers["Vary"]
    db.session.refresh(member)
    assert member.sms_consent is False
    assert db.session.query(AuditEvent).filter_by(action="member.sms_consent").count() == 1


def test_the_session_between_the_two_steps_does_not_hold_the_id_number(client):
    member = create_member()
    post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    with client.session_transaction() as session:
        assert member.id_number not in str(dict(session))
        assert session["login_masked_id"] == member.masked_id_number
    assert member.masked_id_number in client.get("/auth/member/code").get_data(as_text=True)

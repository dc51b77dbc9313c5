"""Texts a visitor can trigger: no stranger's words, capped per recipient, codes never stored
(issue 12)."""

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import config as settings
from portal.clock import CHINA
from portal.domain.errors import InvalidInput
from portal.domain.texts import TEXT_TEMPLATES, VISITOR_KINDS
from portal.extensions import db
from portal.models import LoginCode, SmsMessage
from portal.services import auth
from portal.services.jobs import students
from portal.services.sms import delivered_text
from tests.conftest import post_form, sent_code
from tests.factories import create_enterprise, create_member, create_position, create_staff, create_union

SYSTEM_VALUES = {"code", "minutes", "position"}
CHINA_NOON = datetime(2026, 7, 1, 12, tzinfo=CHINA)


def _details(name="王小明", seq=301):
    from portal.domain.identity import compose_id_number

    return students.StudentDetails(name=name, id_number=compose_id_number("320206", date(2005, 3, 1), seq),
                                   mobile="13700000001", school="江南大学", major="会计学", year_of_study="大二")


def test_texts_a_visitor_can_trigger_carry_only_values_the_portal_made():
    for kind in VISITOR_KINDS:
        body = TEXT_TEMPLATES[kind].body
        assert set(re.findall(r"%\((\w+)\)s", body)) <= SYSTEM_VALUES, kind


def test_a_stranger_s_words_never_reach_the_parent_s_official_text():
    position = create_position(create_enterprise(union=create_union()))
    parent = create_member(mobile="13800009999")
    words = "工会客服：请把确认码回复至10690000"
    students.start_student_application(position.id, _details(name=words[:20]), parent_id_number=parent.id_number,
                                       parent_mobile="13800009999", motivation=words, now=CHINA_NOON)
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_parent_verification"))
    assert "工会客服" not in text.body and "工会客服" not in delivered_text(text)
    assert f"岗位编号{position.id}" in text.body


def test_codes_are_never_stored_and_never_shown_in_the_outbox(client):
    from tests.conftest import Auth

    member = create_member()
    auth.request_login_code(member.id_number, member.mobile)
    code = sent_code(member)
    message = db.session.scalar(select(SmsMessage))
    assert code not in message.body and "******" in message.body
    assert code in delivered_text(message) and delivered_text(message).startswith("【职工互助保障】")
    stored = db.session.scalar(select(LoginCode))
    assert code not in stored.code_hash
    create_staff("admin1")
    Auth(client).staff("admin1")
    outbox = client.get("/staff/texts").get_data(as_text=True)
    assert "******" in outbox and code not in outbox


def test_codes_are_not_echoed_outside_development():
    assert settings.DEFAULTS["SMS_ECHO"] is False
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "PORTAL_SMS_ECHO" in run


@pytest.mark.parametrize("member_parent", [True, False])
def test_a_visitor_cannot_text_one_mobile_more_than_the_hourly_cap(app, member_parent):
    position = create_position(create_enterprise(union=create_union()))
    parent = create_member(mobile="13800009999")
    mobile = "13800009999" if member_parent else "13900001111"
    cap = app.config["SMS_RECIPIENT_PER_HOUR"]
    for attempt in range(cap):
        students.start_student_application(position.id, _details(seq=301 + attempt), parent_id_number=parent.id_number,
                                           parent_mobile=mobile, now=CHINA_NOON + timedelta(minutes=attempt))
    with pytest.raises(InvalidInput) as refused:
        students.start_student_application(position.id, _details(seq=399), parent_id_number=parent.id_number,
                                           parent_mobile=mobile, now=CHINA_NOON + timedelta(minutes=cap))
    # The same refusal for a member's mobile and anyone else's: the cap tells nothing.
    assert refused.value.code == "too_many_texts" and refused.value.field == "parent_mobile"
    assert refused.value.params["minutes"] == 60 - cap
    db.session.rollback()
    sent = db.session.scalar(select(func.count(SmsMessage.id)).where(SmsMessage.kind == "jobs_parent_verification"))
    assert sent == (cap if member_parent else 0)
    # An hour later the hour's cap has passed; the day's cap still holds.
    later = CHINA_NOON + timedelta(minutes=61)
    for attempt in range(app.config["SMS_RECIPIENT_PER_DAY"] - cap):
        students.start_student_application(position.id, _details(seq=401 + attempt), parent_id_number=parent.id_number,
                                           parent_mobile=mobile, now=later + timedelta(minutes=attempt))
    with pytest.raises(InvalidInput) as refused:
        students.start_student_application(position.id, _details(seq=499), parent_id_number=parent.id_number,
                                           parent_mobile=mobile, now=later + timedelta(hours=2))
    assert refused.value.code == "too_many_texts"


def test_sign_in_codes_to_one_mobile_are_capped_whatever_the_id_number(app):
    members = [create_member(mobile="13800001234") for _ in range(app.config["SMS_RECIPIENT_PER_HOUR"] + 1)]
    now = CHINA_NOON
    for member in members[:-1]:
        auth.request_login_code(member.id_number, member.mobile, now=now)
    with pytest.raises(InvalidInput) as refused:
        auth.request_login_code(members[-1].id_number, members[-1].mobile, now=now)
    assert refused.value.code == "too_many_texts"


def test_a_day_allows_only_so_many_codes_per_person(app):
    app.config["SMS_RECIPIENT_PER_HOUR"], app.config["SMS_RECIPIENT_PER_DAY"] = 100, 100
    try:
        member = create_member()
        for number in range(app.config["LOGIN_CODES_PER_DAY"]):
            auth.request_login_code(member.id_number, member.mobile, now=CHINA_NOON + timedelta(minutes=2 * number))
        with pytest.raises(InvalidInput) as refused:
            auth.request_login_code(member.id_number, member.mobile, now=CHINA_NOON + timedelta(hours=2))
        assert refused.value.code == "codes_per_day"
        db.session.rollback()
        auth.request_login_code(member.id_number, member.mobile, now=CHINA_NOON + timedelta(hours=25))
    finally:
        app.config["SMS_RECIPIENT_PER_HOUR"], app.config["SMS_RECIPIENT_PER_DAY"] = 5, 10


def test_signing_out_and_in_within_a_minute_reuses_the_code_or_says_when(client, app):
    from tests.conftest import Auth

    member = create_member()
    post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    first = sent_code(member)
    # A second request within the minute, before the first code was used: the same code works.
    post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    assert db.session.scalar(select(func.count(SmsMessage.id))) == 1
    assert post_form(client, "/auth/member/code", {"code": first}).status_code == 302
    Auth(client).logout()
    # Signed out and back within the minute: told when the next code can come, on the form.
    again = post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and re.search(r"新的验证码可在\d+秒后获取", page)

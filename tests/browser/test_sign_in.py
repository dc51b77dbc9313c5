"""A member signs in from a phone: the whole path a person takes, in a real browser."""

import re

from portal.extensions import db
from portal.models import SmsMessage
from tests.conftest import sent_code
from tests.factories import create_member


def test_home_page_fits_a_phone_and_leads_to_sign_in(phone):
    phone.goto("/")
    assert phone.locator("h1").first.inner_text().startswith("职工")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the home page scrolls sideways on a phone"
    phone.get_by_role("link", name="会员登录（身份证号+短信验证码）").click()
    assert phone.url.endswith("/auth/member/login")


def test_member_signs_in_with_the_texted_code(phone):
    member = create_member(name="虞建国")
    phone.goto("/auth/member/login")
    phone.get_by_label("身份证号码").fill(member.id_number.lower())  # lower-case x is fine
    phone.get_by_label("手机号码").fill(member.mobile)
    phone.get_by_role("button", name="获取验证码").click()
    phone.wait_for_url(re.compile(r"/auth/member/code$"))
    db.session.expire_all()
    assert db.session.query(SmsMessage).filter_by(member_id=member.id).count() == 1
    phone.get_by_label("短信验证码").fill(sent_code(member))
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(re.compile(r"/me/$"))
    assert "您好，虞建国" in phone.content()
    assert member.masked_id_number in phone.content()


def test_a_wrong_check_digit_is_explained_in_the_form(phone):
    phone.goto("/auth/member/login")
    phone.get_by_label("身份证号码").fill("110105194912310021")
    phone.get_by_label("手机号码").fill("13812345678")
    phone.get_by_role("button", name="获取验证码").click()
    assert phone.get_by_role("alert").filter(has_text="校验位不正确").is_visible()
    assert phone.get_by_label("手机号码").input_value() == "13812345678"  # nothing typed is lost

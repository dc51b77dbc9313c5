"""The gateway's signed delivery reports and the administrators' text templates."""

import json
import time

import pytest
from sqlalchemy import select

from portal.domain import texts as rules
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, SmsMessage, SmsTemplate
from portal.services import sms, sms_templates
from portal.services.unit_of_work import transaction
from tests.conftest import csrf_token, post_form
from tests.factories import create_member, create_staff

SECRET = "gateway-shared-secret-2026"
URL = "/texts/delivery-reports"


@pytest.fixture
def reports(app):
    app.config["SMS_REPORT_SECRET"] = SECRET
    yield
    app.config["SMS_REPORT_SECRET"] = None


def _sent(ref: str) -> SmsMessage:
    member = create_member()
    with transaction():
        message = sms.queue_text(member.mobile, kind="claim_paid", member=member,
                                 params={"reference": "LP0000001", "amount": "800.00元", "last4": "1234"})
    message.status, message.provider_ref = "sent", ref
    db.session.commit()
    return message


def _post(client, payload, *, secret=SECRET, timestamp=None):
    body = json.dumps(payload).encode()
    stamp = str(int(timestamp if timestamp is not None else time.time()))
    return client.post(URL, data=body, content_type="application/json", headers={
        "X-Portal-Timestamp": stamp, "X-Portal-Signature": rules.report_signature(secret, stamp, body)})


def test_a_signed_report_marks_the_text_delivered_once(client, reports):
    message = _sent("GW-1")
    answer = _post(client, {"reports": [{"ref": "GW-1", "status": "DELIVRD"}, {"ref": "GW-404", "status": "DELIVRD"}]})
    assert answer.status_code == 200
    assert answer.get_json()["results"] == [{"ref": "GW-1", "outcome": "delivered"},
                                            {"ref": "GW-404", "outcome": "unknown"}]
    db.session.expire_all()
    assert (message.status, message.provider_status) == ("delivered", "DELIVRD") and message.reported_at
    first = message.reported_at
    again = _post(client, {"ref": "GW-1", "status": "DELIVRD"})  # the gateway retries
    assert again.get_json()["results"] == [{"ref": "GW-1", "outcome": "unchanged"}]
    late = _post(client, {"ref": "GW-1", "status": "UNDELIV"})  # a contradicting report after the fact
    assert late.get_json()["results"] == [{"ref": "GW-1", "outcome": "unchanged"}]
    db.session.expire_all()
    assert (message.status, message.reported_at) == ("delivered", first)


def test_an_undelivered_report_fails_the_text_with_the_provider_s_code(client, reports):
    message = _sent("GW-2")
    assert _post(client, {"ref": "GW-2", "status": "UNDELIV"}).get_json()["results"][0]["outcome"] == "undelivered"
    db.session.expire_all()
    assert message.status == "failed" and "UNDELIV" in message.error


def test_a_wrong_or_stale_signature_or_no_secret_is_refused_and_changes_nothing(app, client, reports):
    message = _sent("GW-3")
    assert _post(client, {"ref": "GW-3", "status": "DELIVRD"}, secret="guessed").status_code == 401
    assert _post(client, {"ref": "GW-3", "status": "DELIVRD"}, timestamp=time.time() - 3600).status_code == 401
    body = json.dumps({"ref": "GW-3", "status": "DELIVRD"}).encode()
    assert client.post(URL, data=body, content_type="application/json").status_code == 401  # unsigned
    db.session.expire_all()
    assert message.status == "sent"  # none of those changed anything
    assert _post(client, {"ref": "GW-3", "status": "DELIVRD"}).status_code == 200  # the right one does
    app.config["SMS_REPORT_SECRET"] = None
    assert _post(client, {"ref": "GW-3", "status": "DELIVRD"}).status_code == 404  # no secret, no endpoint


def test_a_tampered_body_is_refused(client, reports):
    message = _sent("GW-4")
    stamp = str(int(time.time()))
    signed = json.dumps({"ref": "GW-4", "status": "UNDELIV"}).encode()
    sent = json.dumps({"ref": "GW-4", "status": "DELIVRD"}).encode()
    answer = client.post(URL, data=sent, content_type="application/json", headers={
        "X-Portal-Timestamp": stamp, "X-Portal-Signature": rules.report_signature(SECRET, stamp, signed)})
    assert answer.status_code == 401
    db.session.expire_all()
    assert message.status == "sent"


def test_junk_reports_are_a_400_not_a_500(client, reports):
    for payload in ([1, 2], {"reports": "x"}, {"reports": [{"ref": 1, "status": "DELIVRD"}]}, {"reports": []}):
        assert _post(client, payload).status_code == 400


def test_reports_are_rate_limited(app, client, reports):
    app.config["SMS_REPORTS_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [_post(client, {"ref": "none", "status": "DELIVRD"}).status_code for _ in range(5)]
    finally:
        app.config["SMS_REPORTS_RATE_LIMIT"] = "120 per minute"
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


# ---------------------------------------------------------------- templates

def test_a_reworded_template_is_used_and_its_history_is_audited(client, auth):
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    page = client.get("/texts/templates/login_code").get_data(as_text=True)
    assert "%(code)s" in page and "%(minutes)s" in page
    answer = post_form(client, "/texts/templates/login_code",
                       {"body": "验证码%(code)s，%(minutes)s分钟内有效，工作人员不会索要。"})
    assert answer.status_code == 302
    member = create_member()
    with transaction():
        message = sms.queue_text(member.mobile, kind="login_code", params={"code": "654321", "minutes": 5})
    assert message.body == "验证码654321，5分钟内有效，工作人员不会索要。"
    edit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms.template_edit"))
    assert edit.entity_id == "login_code" and edit.details["before"].startswith("您的登录验证码")
    post_form(client, "/texts/templates/login_code/reset", {}, form_page="/texts/templates/login_code")
    assert db.session.scalar(select(SmsTemplate)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms.template_reset"))


def test_a_wording_may_use_only_the_kind_s_own_values(client, auth):
    admin = create_staff("admin", Role.ADMIN)
    with pytest.raises(InvalidInput, match="不能使用占位符"):  # a visitor's text: no new value may appear
        sms_templates.save_template(admin, "jobs_parent_verification", "", "确认码%(code)s，学生%(student)s")
    with pytest.raises(InvalidInput, match="必须保留"):
        sms_templates.save_template(admin, "login_code", "", "请登录")
    with pytest.raises(InvalidInput, match="百分号"):
        sms_templates.save_template(admin, "login_code", "", "验证码%(code)s，100%有效")
    with pytest.raises(InvalidInput):
        sms_templates.save_template(admin, "claim_rejected", "approved", "%(reference)s")  # no such outcome
    auth.staff("admin")
    refused = post_form(client, "/texts/templates/login_code", {"body": "验证码%(code)s %(name)s"})
    assert refused.status_code == 200 and "不能使用占位符" in refused.get_data(as_text=True)
    assert db.session.scalar(select(SmsTemplate)) is None


def test_the_preview_shows_the_text_with_sample_values(client, auth):
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    token = csrf_token(client, "/texts/templates/jobs_position_reviewed?outcome=rejected")
    preview = client.post("/texts/templates/jobs_position_reviewed/preview?outcome=rejected",
                          data={"csrf_token": token, "body": "%(enterprise)s的岗位%(position)s未通过：%(note)s"},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert preview.lstrip().startswith('<section id="template-preview"')
    assert "无锡长安爱心科技有限公司的岗位128未通过：材料不全" in preview
    bad = client.post("/texts/templates/login_code/preview", data={"csrf_token": token, "body": "%(name)s"},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "不能使用占位符" in bad


def test_only_administrators_edit_templates(client, auth):
    create_staff("reviewer", Role.REVIEWER)
    auth.staff("reviewer")
    assert client.get("/texts/templates").status_code == 403
    assert client.get("/texts/templates/login_code").status_code == 403

"""Texts are rows first and reach the gateway only after the action commits."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from portal.extensions import db
from portal.integrations.sms import HttpGateway, SmsDeliveryError
from portal.models import SmsMessage, SmsStatus
from portal.models.base import utcnow
from portal.services.sms import deliver_due, queue_text


def test_a_committed_text_is_delivered_through_the_outbox():
    queue_text("13812345678", kind="login_code", params={"code": "123456", "minutes": 5})
    db.session.commit()
    message = db.session.query(SmsMessage).one()
    assert message.status == SmsStatus.SENT and message.backend == "outbox"


def test_a_rolled_back_action_sends_nothing():
    queue_text("13812345678", kind="login_code", params={"code": "123456", "minutes": 5})
    db.session.flush()
    db.session.rollback()
    assert db.session.query(SmsMessage).count() == 0


def test_a_text_is_always_one_of_our_templates():
    """No caller can hand over a body of its own: the words under the signature are ours."""
    with pytest.raises(TypeError):
        queue_text("13812345678", "任意内容", kind="login_code")  # noqa - the removed escape hatch
    message = queue_text("13812345678", kind="enrollment_rejected", params={"reason": "不是本单位职工"})
    assert message.body == "您的互助保障参保申请未获确认：不是本单位职工。如有疑问请联系所在工会。"


def test_held_texts_wait_for_their_time():
    later = utcnow() + timedelta(hours=3)
    queue_text("13812345678", kind="enrollment_rejected", params={"reason": "明早再发"}, send_after=later)
    db.session.commit()
    message = db.session.query(SmsMessage).one()
    assert message.status == SmsStatus.HELD
    assert deliver_due(now=utcnow()) == 0
    assert deliver_due(now=later + timedelta(seconds=1)) == 1
    db.session.refresh(message)
    assert message.status == SmsStatus.SENT


class _Provider(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_GET(self):  # noqa: N802 - http.server's naming
        _Provider.received.append(parse_qs(urlparse(self.path).query))
        self.send_response(_Provider.status)
        self.end_headers()
        self.wfile.write(b"msg-42")

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Provider.received = []
    _Provider.status = 200
    yield f"http://127.0.0.1:{server.server_port}/send?to={{mobile}}&text={{text}}"
    server.shutdown()
    server.server_close()


def test_http_gateway_fills_the_url_template(provider):
    reference = HttpGateway(provider).send("13812345678", "【职工互助保障】验证码123456")
    assert reference == "msg-42"
    assert _Provider.received == [{"to": ["13812345678"], "text": ["【职工互助保障】验证码123456"]}]


def test_http_gateway_reports_a_refusal(provider):
    _Provider.status = 500
    with pytest.raises(SmsDeliveryError, match="HTTP 500"):
        HttpGateway(provider).send("13812345678", "x")


def test_the_nightly_sweeps_are_scheduled_in_the_task_queue():
    from portal.tasks import huey

    names = {task.__name__ for task in huey._registry._periodic_tasks}
    assert {"deliver_due_texts", "expire_lapsed_covers", "allocate_closed_childcare_classes",
            "close_expired_positions", "sweep_background_jobs", "resume_payout_settlements"} <= names


def test_a_failed_text_is_retried_in_the_morning_but_a_code_at_once(app, provider):
    from datetime import datetime

    from portal.clock import CHINA
    from portal.services.sms import deliver

    _Provider.status = 500
    night = datetime(2026, 7, 1, 21, 30, tzinfo=CHINA)
    due = night - timedelta(minutes=1)  # held rows, due now: the commit hook delivers only queued ones
    reminder = SmsMessage(mobile="13812345678", mobile_hash="x", kind="claim_decided", body="审核结果",
                          status=SmsStatus.HELD, send_after=due)
    code = SmsMessage(mobile="13812345678", mobile_hash="y", kind="login_code", body="验证码",
                      status=SmsStatus.HELD, send_after=due)
    db.session.add_all([reminder, code])
    db.session.commit()
    ids = reminder.id, code.id
    original = app.extensions["sms_gateway"]
    app.extensions["sms_gateway"] = HttpGateway(provider)
    try:
        deliver(ids[0], now=night)
        deliver(ids[1], now=night)
    finally:
        app.extensions["sms_gateway"] = original
    db.session.expire_all()
    held, urgent = db.session.get(SmsMessage, ids[0]), db.session.get(SmsMessage, ids[1])
    assert (held.status, held.send_after) == (SmsStatus.HELD, datetime(2026, 7, 2, 8, 0, tzinfo=CHINA))
    assert urgent.send_after == due and urgent.attempts == 1  # retried by the next sweep, night or not

"""The kiosk's pages: each journey queues one submission with a receipt, a typo keeps what was
typed (photos included), the reset forgets the person, and pages stay light and uncached."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from kiosk.models import Envelope, Receipt, Reference
from tests.factories import jpeg_bytes
from tests.kiosk.conftest import PIN, bank_card, post_form

MEMBER = {"member_name": "虞建国", "member_id_number": "320213198805200012", "member_mobile": "13861800001"}
PARENT = {"parent_name": "虞建国", "parent_id_number": "320213198805200012", "parent_mobile": "13861800001"}


@pytest.fixture
def web(kiosk_app):
    return kiosk_app.test_client()


post = post_form


def envelopes(store) -> list[Envelope]:
    with store.read() as session:
        return list(session.scalars(select(Envelope).order_by(Envelope.seq)))


def seed(store, entity, key, data):
    with store.transaction() as session:
        session.add(Reference(entity=entity, id=str(key), data=data))


@pytest.mark.parametrize("url", ["/", "/cover/check", "/cover/apply", "/claims/new", "/claims/new/hospital",
                                 "/jobs", "/childcare", "/receipts/find", "/staff"])
def test_every_page_is_light_uncached_and_has_the_status_line(web, url):
    page = web.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "待上传" in html and "上次同步" in html
    assets = 0
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        with web.get(path) as response:
            assets += len(response.data)
    assert len(page.data) + assets < 100 * 1024
    assert "http://" not in html and "https://" not in html  # no CDN, no web fonts


def test_a_claim_with_a_typo_keeps_the_photo_and_then_gives_a_receipt(web, kiosk_store):
    form = {**MEMBER, "admission_date": "2026-11-01", "discharge_date": "2026-11-06", "hospital": "无锡市人民医院",
            "diagnosis": "肺炎", "bank_card": "6222 0000 0000 0000 001"}
    first = post(web, "/claims/new/hospital", {**form, "doc_discharge_summary": (io.BytesIO(jpeg_bytes()), "p.jpg")},
                 content_type="multipart/form-data")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "银行卡号" in html and 'value="无锡市人民医院"' in html
    kept = re.search(r'name="kept_discharge_summary" value="([0-9a-f]{64})"', html).group(1)
    assert envelopes(kiosk_store) == []
    done = post(web, "/claims/new/hospital", {**form, "bank_card": bank_card(), "kept_discharge_summary": kept},
                content_type="multipart/form-data")
    assert done.status_code == 302 and done.headers["Location"].endswith("/receipt")
    [envelope] = envelopes(kiosk_store)
    assert envelope.kind == "claim.submit" and envelope.attachments[0]["sha256"] == kept
    assert envelope.payload["event"]["hospital"] == "无锡市人民医院"
    receipt = web.get("/receipt").get_data(as_text=True)
    assert "待确认" in receipt and "虞*国" in receipt and "320213198805200012" not in receipt
    assert "<svg" in receipt  # the QR code
    web.get("/reset")
    assert web.get("/receipt").status_code == 404  # the reset forgot which receipt this person saw


def test_a_receipt_is_found_by_its_number(web, kiosk_store):
    post(web, "/cover/apply", {**MEMBER, "campaign": "self", "occupation": "外卖骑手"})
    [envelope] = envelopes(kiosk_store)
    assert envelope.kind == "enrollment.apply" and envelope.payload["is_gig_worker"] is True
    with kiosk_store.read() as session:
        number = session.scalar(select(Receipt.number))
    web.get("/reset")
    wrong = post(web, "/receipts/find", {"number": number[:-1] + str((int(number[-1]) + 1) % 10)})
    assert "逐位核对" in wrong.get_data(as_text=True)
    found = post(web, "/receipts/find", {"number": f"{number[:4]} {number[4:]}"})
    assert found.status_code == 302 and "参保申请" in web.get("/receipt").get_data(as_text=True)


def test_a_gifted_campaign_is_claimed(web, kiosk_store):
    seed(kiosk_store, "campaign", 7, {"code": "7", "name": "锡新保2026", "sponsor": "市总工会",
                                      "opens_on": "2026-01-01", "closes_on": "2099-12-31", "remaining": 100,
                                      "description": ""})
    assert "锡新保2026" in web.get("/cover/apply").get_data(as_text=True)
    post(web, "/cover/apply", {**MEMBER, "campaign": "7", "occupation": "快递员"})
    [envelope] = envelopes(kiosk_store)
    assert envelope.kind == "campaign.claim" and envelope.payload["campaign_code"] == "7"


def test_a_child_is_registered_for_a_class_and_a_student_applies(web, kiosk_store):
    seed(kiosk_store, "childcare_class", 3, {
        "id": 3, "name": "梁溪暑托一班", "union": "梁溪区总工会", "site_name": "职工服务中心", "address": "中山路1号",
        "district": "梁溪区", "starts_on": "2027-07-10", "ends_on": "2027-08-20", "weekdays": [1, 2, 3, 4, 5],
        "daily_start": "08:00", "daily_end": "17:30", "seats": 46, "seats_left": 5, "min_age": 6, "max_age": 12,
        "fee_fen": 0, "meals": "", "programme": "", "safety_rules": "家长须按时接送。", "contact_phone": "0510-1234567",
        "registration_opens_on": "2026-01-01", "registration_closes_on": "2099-01-01", "allocated": False})
    assert "梁溪暑托一班" in web.get("/childcare").get_data(as_text=True)
    child = {**PARENT, "child_name": "虞小明", "child_id_number": "32021320180501015X",
             "pickup1_name": "虞建国", "pickup1_mobile": "13861800001"}
    refused = post(web, "/childcare/3", child)
    assert "安全须知" in refused.get_data(as_text=True) and envelopes(kiosk_store) == []
    post(web, "/childcare/3", {**child, "accepted_rules": "yes"})
    seed(kiosk_store, "position", 5, {
        "id": 5, "title": "行政助理", "enterprise": "爱心企业", "description": "", "district": "惠山区", "address": "",
        "majors": "", "places": 2, "places_left": 2, "pay_fen": 15000, "pay_unit": "day", "starts_on": "2027-07-15",
        "ends_on": "2027-08-15", "apply_by": "2099-07-01", "hours": "9:00—17:00", "min_age": 16, "safety_notes": ""})
    form = web.get("/jobs/5").get_data(as_text=True)
    # A kiosk applies only for a student the parent registered on the web: it says so, and asks
    # nothing it would have needed to register one.
    assert "只能为已在门户网站登记的子女报名" in form and "登记子女" in form
    assert 'name="student_mobile"' not in form and 'name="school"' not in form
    post(web, "/jobs/5", {**PARENT, "student_name": "虞明", "student_id_number": "32020620050301013X"})
    kinds = [envelope.kind for envelope in envelopes(kiosk_store)]
    assert kinds == ["childcare.register", "job.apply"], kinds
    assert envelopes(kiosk_store)[-1].payload["student"] == {"name": "虞明", "id_number": "32020620050301013X"}


def test_the_cover_check_says_plainly_when_offline(web, kiosk_store, kiosk_app):
    from kiosk.keys import ensure_key

    ensure_key(kiosk_app.config["KEY_FILE"])
    kiosk_store.put("central_url", "http://127.0.0.1:9")  # nothing listens on the discard port
    kiosk_store.put("kiosk_id", "7b0ad0a5-6b7a-4ad1-9d8e-3f4f2c4a1111")
    page = post(web, "/cover/check", {"member_id_number": MEMBER["member_id_number"],
                                      "member_mobile": MEMBER["member_mobile"]})
    assert "连不上中心系统" in page.get_data(as_text=True) and "申请理赔" in page.get_data(as_text=True)


def test_the_staff_page_needs_the_pin(web):
    assert web.get("/staff/submissions").status_code == 302
    assert "PIN不正确" in post(web, "/staff", {"pin": "000000"}).get_data(as_text=True)
    post(web, "/staff", {"pin": PIN})
    assert "未能办理的提交" in web.get("/staff/submissions").get_data(as_text=True)

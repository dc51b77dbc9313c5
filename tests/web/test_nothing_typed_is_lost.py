"""Issue 15, findings 1–3 and 7: what a person types survives an upload, a refused submission and a
second code request, and every error is shown at once, at the top, tied to its field."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from portal import clock
from portal.extensions import db
from portal.models import SmsMessage
from portal.models.claims import Claim
from tests.conftest import csrf_token, post_form
from tests.factories import create_enrollment, create_member, create_plan, create_union, jpeg_bytes, png_bytes

CARD = "6222021234567890128"


def covered():
    member = create_member(union=create_union())
    create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=300), is_renewal=True)
    return member


def start(client, claim_type="accident"):
    answer = post_form(client, "/claims/new", {"claim_type": claim_type, "request_key": f"k-{claim_type}"})
    url = answer.headers["Location"]
    return int(url.rstrip("/").split("/")[-2]), url


def version_on(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)


def accident_fields(version):
    accident = clock.today() - timedelta(days=5)
    return {"claim_type": "accident", "accident_date": accident.isoformat(),
            "accident_description": "送餐途中电动车被撞，左腿骨折", "medical_costs": "3280.50",
            "bank_name": "工商银行", "bank_card": CARD, "version": version}


def test_uploading_photos_saves_what_was_typed_first(client, auth):
    """Finding 1: the 上传 button sends the whole claim form; nothing typed is wiped."""
    auth.member(covered())
    claim_id, url = start(client)
    page = client.get(url).get_data(as_text=True)
    fields = accident_fields(version_on(page))
    answer = client.post(f"/claims/{claim_id}/documents", data={
        "csrf_token": csrf_token(client, url), **fields, "action": "upload", "kind": "invoice",
        "file": [(io.BytesIO(jpeg_bytes()), "发票1.jpg"), (io.BytesIO(png_bytes()), "发票2.png")]},
        content_type="multipart/form-data")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#documents")
    claim = db.session.get(Claim, claim_id)
    assert claim.accident_description == "送餐途中电动车被撞，左腿骨折"
    assert claim.medical_costs_fen == 328050 and claim.bank_card_last4 == CARD[-4:]
    assert sorted(document.original_name for document in claim.documents) == ["发票1.jpg", "发票2.png"]
    page = client.get(url).get_data(as_text=True)
    assert "送餐途中电动车被撞" in page and "3280.50" in page and "已上传2个文件" in page


def test_a_refused_file_keeps_the_typed_form_on_the_page_and_the_next_save_works(client, auth):
    auth.member(covered())
    claim_id, url = start(client)
    fields = accident_fields(version_on(client.get(url).get_data(as_text=True)))
    answer = client.post(f"/claims/{claim_id}/documents", data={
        "csrf_token": csrf_token(client, url), **fields, "medical_costs": "abc", "action": "upload",
        "kind": "invoice", "file": (io.BytesIO(b"MZ\x90\x00 program"), "发票.jpg")},
        content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "送餐途中电动车被撞" in page and 'value="abc"' in page  # typed, not wiped
    assert "只能上传JPG、PNG图片或PDF文件" in page
    assert 'class="error-summary"' in page and 'href="#medical_costs"' in page and 'href="#file"' in page
    # The page goes on from the claim as it now is: correcting the amount saves, no false conflict.
    answer = post_form(client, url, {**fields, "version": version_on(page), "action": "save"}, form_page=url)
    assert answer.status_code == 302
    assert db.session.get(Claim, claim_id).medical_costs_fen == 328050


def test_a_refused_submission_then_a_save_is_not_taken_for_a_conflict(client, auth):
    """Finding 2: 保存并提交 with a field missing saves what was typed; 保存草稿 afterwards saves."""
    auth.member(covered())
    claim_id, url = start(client)
    fields = accident_fields(version_on(client.get(url).get_data(as_text=True)))
    del fields["accident_description"]
    refused = post_form(client, url, {**fields, "action": "submit"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "已被他人处理或修改" not in page
    answer = post_form(client, url, {**fields, "accident_description": "摔伤", "version": version_on(page),
                                     "action": "save"}, form_page=url)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    claim = db.session.get(Claim, claim_id)
    assert claim.status == "draft" and claim.accident_description == "摔伤"


def test_every_missing_field_is_told_under_its_own_field_and_in_the_summary(client, auth):
    """Finding 7: not the whole list under 入院日期; a summary on top links to each field."""
    auth.member(covered())
    _claim_id, url = start(client, "hospital")
    answer = post_form(client, url, {"claim_type": "hospital", "version": version_on(client.get(url).get_data(
        as_text=True)), "action": "submit"})
    page = answer.get_data(as_text=True)
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    for field in ("admission_date", "discharge_date", "hospital", "diagnosis", "bank_card"):
        assert f'href="#{field}"' in summary, field
        assert re.search(rf'id="{field}-error"', page), field
        assert re.search(rf'<input[^>]*aria-describedby="[^"]*{field}-error[^"]*"[^>]*id="{field}"'
                         rf'|<input[^>]*id="{field}"[^>]*aria-describedby="[^"]*{field}-error', page), field
    admission_errors = re.search(r'id="admission_date-error">(.*?)</div>', page).group(1)
    assert "出院日期" not in admission_errors and "医院名称" not in admission_errors


def test_sign_in_tells_every_mistake_at_once(client):
    answer = post_form(client, "/auth/member/login", {"id_number": "32021319880520001X", "mobile": "1386180"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'href="#id_number"' in page and 'href="#mobile"' in page
    assert "校验位" in page and "11位手机号码" in page


def test_asking_again_within_a_minute_says_no_new_code_was_sent_and_when_one_can(client):
    """Finding 3: a corrected mobile within 60 s sends nothing; the page says so with a countdown."""
    member = create_member()
    post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": "13900000000"})
    first = client.get("/auth/member/code").get_data(as_text=True)
    assert "这次没有重新发送" not in first and 'data-countdown="' in first
    answer = post_form(client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
    assert answer.status_code == 302
    page = client.get("/auth/member/code").get_data(as_text=True)
    assert "这次没有重新发送" in page
    seconds = int(re.search(r'data-countdown="(\d+)"', page).group(1))
    assert 1 <= seconds <= 60
    assert db.session.query(SmsMessage).filter_by(kind="login_code").count() == 0
    assert re.search(r'<input[^>]*autofocus[^>]*id="code"|<input[^>]*id="code"[^>]*autofocus', page)

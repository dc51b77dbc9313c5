"""Issue 15, finding 1 on a real phone: typing an accident claim, then choosing four photos at once
and tapping 上传 keeps every field, and the photos arrive made smaller on the phone."""

import io
import re
from datetime import timedelta

from PIL import Image
from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.models.claims import Claim
from portal.services.claims.documents import document_path
from tests.factories import create_enrollment, create_member, create_plan, create_union

CARD = "6222021234567890128"


def big_photo(folder, name, color):
    """A phone photo larger than the portal keeps (2400×1800)."""
    image = Image.linear_gradient("L").resize((2400, 1800)).convert("RGB")
    image.paste(color, (0, 0, 400, 300))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def test_choosing_photos_and_uploading_keeps_what_was_typed(phone, sign_in, tmp_path):
    member = create_member(union=create_union(), name="虞建国")
    create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=300), is_renewal=True)
    sign_in.member(phone, member)
    phone.goto("/claims/new")
    phone.get_by_label("意外").check()
    phone.get_by_role("button", name="开始填写").click()
    phone.wait_for_url(re.compile(r"/claims/\d+/edit$"))
    claim_id = int(phone.url.split("/")[-2])

    accident = clock.today() - timedelta(days=4)
    phone.get_by_label("事故日期").fill(accident.isoformat())
    phone.get_by_label("事故经过").fill("送餐途中电动车被撞，左腿骨折")
    phone.get_by_label("医疗费用（元）").fill("3280.50")
    phone.get_by_label("收款银行卡号").fill(CARD)
    photos = [big_photo(tmp_path, f"发票{number}.jpg", (200, 30 * number, 30)) for number in range(1, 5)]
    upload = phone.locator("#documents")
    upload.get_by_label("材料类型").select_option(label="医疗费用发票")
    upload.get_by_label("选择文件").set_input_files(photos)
    expect(upload.get_by_label("选择文件")).to_have_attribute("data-resized", "4", timeout=30_000)
    upload.get_by_role("button", name="上传").click()

    # Four photos over a loaded machine's loopback: wait for the answer, however long it takes.
    expect(phone.locator("#claim-documents")).to_contain_text("发票4.jpg", timeout=60_000)
    expect(phone.get_by_label("事故经过")).to_have_value("送餐途中电动车被撞，左腿骨折")
    expect(phone.get_by_label("医疗费用（元）")).to_have_value("3280.50")
    expect(phone.get_by_text("已上传4个文件。")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= phone.viewport_size["width"], f"the claim page scrolls sideways ({width}px)"

    db.session.expire_all()
    claim = db.session.get(Claim, claim_id)
    assert claim.accident_description == "送餐途中电动车被撞，左腿骨折" and claim.bank_card_last4 == CARD[-4:]
    assert len(claim.documents) == 4
    for document in claim.documents:
        with Image.open(document_path(document)) as stored:
            assert max(stored.size) <= 2000, f"{document.original_name} was sent at {stored.size}"
        assert document.size_bytes < 2_000_000

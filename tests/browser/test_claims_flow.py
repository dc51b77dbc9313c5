"""A member files a hospital claim from a phone, a reviewer approves it at a desk, the member sees it."""

import io
import re
import time
from datetime import timedelta

from PIL import Image
from playwright.sync_api import expect

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.claims import Claim, ClaimEvent
from portal.services.claims import filing
from tests.factories import create_enrollment, create_member, create_plan, create_staff, create_union

CARD = "6222021234567890128"


def image_file(folder, name, kind, color):
    """A small real image or PDF, as a phone camera or a scanner would give."""
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), color).save(buffer, format=kind)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def assert_no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} scrolls sideways on a phone ({width}px wide)"


def slow_down(monkeypatch, function, seconds):
    """A loaded server: ``function`` takes ``seconds`` longer, so a second request can overtake it."""
    real = getattr(filing, function)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(filing, function, slow)


def test_member_files_a_hospital_claim_on_a_phone_and_sees_it_approved(phone, new_page, sign_in, tmp_path,
                                                                        monkeypatch):
    union = create_union()
    member = create_member(union=union, name="虞建国")
    create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=300), is_renewal=True)
    create_staff("rev", Role.REVIEWER)
    admitted = clock.today() - timedelta(days=20)

    sign_in.member(phone, member)
    phone.goto("/claims/new")
    assert_no_sideways_scroll(phone)
    phone.get_by_label("住院（疾病）").check()
    phone.get_by_role("button", name="开始填写").click()
    phone.wait_for_url(re.compile(r"/claims/\d+/edit$"))
    claim_id = int(phone.url.split("/")[-2])
    reference = f"LP{claim_id:07d}"
    expect(phone.get_by_role("heading", level=1)).to_contain_text(reference)

    phone.get_by_label("入院日期").fill(admitted.isoformat())
    phone.get_by_label("出院日期").fill((admitted + timedelta(days=12)).isoformat())
    phone.get_by_label("医院名称").fill("无锡市人民医院")
    phone.get_by_label("诊断").fill("肺炎")
    phone.get_by_label("开户银行").fill("工商银行")
    phone.get_by_label("收款银行卡号").fill(CARD)
    phone.get_by_role("button", name="保存草稿").click()
    expect(phone.get_by_text("草稿已保存。")).to_be_visible()
    assert_no_sideways_scroll(phone)

    documents = {
        "身份证（正反面）": image_file(tmp_path, "身份证.jpg", "JPEG", (200, 30, 30)),
        "出院小结": image_file(tmp_path, "出院小结.pdf", "PDF", (30, 200, 30)),
        "医疗费用发票": image_file(tmp_path, "发票.png", "PNG", (30, 30, 200)),
        "收款银行卡": image_file(tmp_path, "银行卡.png", "PNG", (9, 9, 9)),
    }
    upload = phone.locator("#documents")
    for label, path in documents.items():
        upload.get_by_label("材料类型").select_option(label=label)
        upload.get_by_label("选择文件").set_input_files(path)
        upload.get_by_role("button", name="上传").click()
        expect(phone.locator("#claim-documents")).to_contain_text(f"{label}：{path.name}")
    expect(phone.locator("#claim-documents")).not_to_contain_text("还缺少")

    # A double click, then one more tap while the page is on its way over a slow mobile network to a
    # busy server. (Chrome folds two clicks in one task into one POST; the later tap is what reaches
    # the server twice when nothing stops it, and the two requests then race each other.)
    posts = []
    phone.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 400, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})
    slow_down(monkeypatch, "submit_claim", 0.4)
    submit = phone.get_by_role("button", name="保存并提交")
    # The late tap is armed before the double click (once the page starts navigating away, nothing
    # can be evaluated in it any more), and fires 100 ms after the form is first sent: on a busy
    # machine a tap timed from now could come before the double click and take its place.
    submit.evaluate("button => button.form.addEventListener("
                    "'submit', () => setTimeout(() => button.click(), 100), {once: true})")
    submit.dblclick(no_wait_after=True)
    expect(phone).to_have_url(re.compile(rf"/claims/{claim_id}(#.*)?$"))  # a redirect keeps #documents
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                   "uploadThroughput": -1})

    expect(phone.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(phone.locator("#claim-summary")).to_contain_text("已提交")
    expect(phone.locator("#claim-summary")).to_contain_text("（12天）")
    expect(phone.locator("#claim-breakdown")).to_contain_text("800.00元")
    timeline = phone.locator("#claim-timeline")
    expect(timeline).to_contain_text("申请已提交")
    expect(timeline).to_contain_text("自动检查通过")
    expect(phone.get_by_role("alert")).to_have_count(0)
    assert_no_sideways_scroll(phone)
    db.session.expire_all()
    claims = db.session.query(Claim).filter_by(member_id=member.id).all()
    assert [(claim.id, claim.status) for claim in claims] == [(claim_id, "submitted")]
    submitted = db.session.query(ClaimEvent).filter_by(claim_id=claim_id, kind="submitted").count()
    assert submitted == 1, f"{len(posts)} POSTs gave {submitted} submissions"
    assert len(posts) == 1, "the second tap sent the form again"

    desk = new_page()
    sign_in.staff(desk, "rev")
    desk.goto("/review/")
    desk.get_by_role("link", name=reference).click()
    expect(desk.locator("#claim-breakdown")).to_contain_text("800.00元")
    desk.locator("#decision").get_by_role("button", name="核准").click()
    expect(desk.get_by_text(f"已处理：{reference} 现为“已核准”。")).to_be_visible()

    phone.reload()
    expect(phone.locator("#claim-summary")).to_contain_text("已核准")
    expect(timeline).to_contain_text("审核通过，核准金额800.00元")
    assert_no_sideways_scroll(phone)

"""The kiosk in Chromium: the central portal is down, a worker files a claim with a photo and gets
a receipt that says 待确认; the portal comes back, the kiosk syncs, and the receipt on the screen
shows the claim number. Left alone, the screen goes home with nothing personal left on it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from kiosk import create_app
from kiosk.models import Receipt
from kiosk.sync import SyncError
from portal import clock
from tests.factories import create_enrollment, create_member, create_plan, create_union, jpeg_bytes
from tests.kiosk.conftest import CuttingProxy, bank_card, client_for, enrol
from tests.sync.conftest import central_server, federation, free_port  # noqa: F401 - fixtures

PORTRAIT = {"width": 1080, "height": 1920}


@pytest.fixture
def kiosk_screen(tmp_path):
    """The kiosk app served on loopback. Idle times are long while a test acts (a loaded machine
    must not reset the screen mid-journey); a test that waits for the reset shortens them itself."""
    app = create_app({"INSTANCE_PATH": str(tmp_path / "kiosk"), "IDLE_WARNING_SECONDS": 600,
                      "IDLE_RESET_SECONDS": 900, "STATUS_POLL_SECONDS": 1, "RECEIPT_POLL_SECONDS": 1})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    app.extensions["kiosk_store"].dispose()


def tap_keypad(page, field, digits: str):
    """Type on the kiosk's own keypad, as a finger would."""
    page.locator(f"#{field}").click()
    for digit in digits:
        page.locator(f'#keypad button[data-key="{digit}"]').click()


def test_a_claim_filed_offline_gets_its_number_after_sync_and_the_screen_forgets(
        browser, federation, central_server, kiosk_screen, tmp_path):  # noqa: F811
    kiosk_app, url = kiosk_screen
    member = create_member(union=create_union(), name="虞建国")
    create_enrollment(member, create_plan(), starts_on=clock.today() - timedelta(days=300), is_renewal=True)
    admitted = clock.today() - timedelta(days=20)
    # The kiosk reaches the central server through a port where nothing listens yet: it is down.
    port = free_port()
    enrol(kiosk_app, f"http://127.0.0.1:{port}")
    photo = tmp_path / "出院小结.jpg"
    photo.write_bytes(jpeg_bytes())

    context = browser.new_context(viewport=PORTRAIT, base_url=url, locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/")
        page.get_by_role("link", name=re.compile("申请理赔")).click()
        page.get_by_role("link", name="住院（疾病）").click()
        page.get_by_label("姓名", exact=True).fill(member.name)
        tap_keypad(page, "member_id_number", member.id_number)
        tap_keypad(page, "member_mobile", member.mobile)
        page.locator('#keypad button[data-key="done"]').click()
        page.get_by_label("入院日期").fill(admitted.isoformat())
        page.get_by_label("出院日期").fill((admitted + timedelta(days=5)).isoformat())
        page.get_by_label("医院名称").fill("无锡市人民医院")
        page.get_by_label("诊断（见出院小结）").fill("肺炎")
        page.get_by_label("银行卡号").fill(bank_card())
        page.get_by_label("出院小结", exact=True).set_input_files(str(photo))
        page.get_by_role("button", name="提交理赔申请").click()

        expect(page.get_by_test_id("receipt-state")).to_have_text("待确认")
        number = page.get_by_test_id("receipt-number").inner_text().replace(" ", "")
        expect(page.get_by_test_id("waiting")).to_have_text("1")
        assert member.id_number not in page.content()

        with pytest.raises(SyncError):
            client_for(kiosk_app).round()  # still down: nothing changes
        expect(page.get_by_test_id("receipt-state")).to_have_text("待确认")
        proxy = CuttingProxy(central_server.port, port=port)  # the network is back
        try:
            report = client_for(kiosk_app).round()
        finally:
            proxy.close()
        page.get_by_role("heading", name=re.compile("回执")).click()  # the person is still looking
        with kiosk_app.extensions["kiosk_store"].read() as session:
            envelope = session.get(Receipt, number).envelope
        assert report.pushed == 1 and report.answered == {"applied": 1}, (envelope.code, envelope.message)
        claim_number = envelope.central_receipt
        assert claim_number
        expect(page.get_by_test_id("central-receipt")).to_have_text(claim_number)  # the htmx poll shows it
        expect(page.get_by_test_id("receipt-state")).to_have_text("已办理")
        expect(page.get_by_test_id("waiting")).to_have_text("0")

        # Hands off: the warning, then home with nothing of this person left. The page reads its
        # idle times when it is drawn, so the short ones start counting from this reload.
        kiosk_app.config.update(IDLE_WARNING_SECONDS=2, IDLE_RESET_SECONDS=4)
        page.reload()
        expect(page.get_by_test_id("central-receipt")).to_have_text(claim_number)
        expect(page.locator("#idle-warning")).to_be_visible(timeout=15_000)
        page.wait_for_url(f"{url}/")
        expect(page.get_by_role("heading", name="您好，请选择要办理的事项")).to_be_visible()
        content = page.content()
        for personal in ("虞*国", "虞建国", number[:4], claim_number, member.mobile[-4:]):
            assert personal not in content
        page.go_back()  # history holds nothing that reopens the receipt
        page.wait_for_load_state()
        content = page.content()
        assert claim_number not in content and "虞*国" not in content and "无锡市人民医院" not in content
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PORTRAIT, {"width": 1920, "height": 1080}], ids=["portrait", "landscape"])
def test_every_touch_target_is_at_least_64_px_and_nothing_scrolls_sideways(browser, kiosk_screen, viewport):
    _, url = kiosk_screen
    context = browser.new_context(viewport=viewport, base_url=url, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        for path in ("/", "/claims/new", "/claims/new/accident", "/cover/apply", "/receipts/find"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
            if page.locator("input[data-keypad]").count():
                page.locator("input[data-keypad]").first.click()  # the keypad's keys count too
            small = page.evaluate("""() => [...document.querySelectorAll(
                    'main a, main button, main label.choice, #keypad button, ' +
                    'main input:not([type=hidden]):not([type=radio]):not([type=checkbox])')]
                .filter(el => el.offsetParent !== null)
                .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
                .filter(([, height]) => height < 64)""")
            assert not small, (path, small)
    finally:
        context.close()

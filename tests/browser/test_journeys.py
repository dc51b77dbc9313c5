"""Issue 15: journeys walked in Chromium at a phone's 360×800, a tablet's 768×1024 and a desk's
1280×900, on the demo federation. Every page of every journey is checked with axe-core (no serious
or critical WCAG 2.2 A/AA finding) and for sideways scrolling; a failing journey leaves a
screenshot under test-results/screenshots/. Each step waits for its result, never for a timer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Member
from tests.browser.accessibility import check_page, screenshot_on_failure
from tests.browser.conftest import DESKTOP, watch_for_csp_violations
from tests.browser.screenshots import key_screen
from tests.web.walk import load_world

PHONE_360 = {"width": 360, "height": 800}
TABLET = {"width": 768, "height": 1024}
DEMO_PASSWORD = "demo-portal-2026"


@pytest.fixture
def world():
    return load_world(members=12)


@pytest.fixture
def screen(browser, live_server):
    """Pages of a given size, each in its own context; CSP violations fail the test."""
    contexts, violations = [], []

    def open_screen(viewport, *, touch=False):
        context = browser.new_context(viewport=viewport, base_url=live_server, locale="zh-CN", has_touch=touch,
                                      is_mobile=touch)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch_for_csp_violations(page, violations)
        return page

    yield open_screen
    for context in contexts:
        context.close()
    assert not violations, violations


def demo_member():
    return db.session.scalar(select(Member).order_by(Member.id).limit(1))


@pytest.mark.parametrize("viewport", [PHONE_360, DESKTOP], ids=["phone", "desktop"])
def test_member_officer_and_admin_journeys(world, screen, sign_in, viewport):
    """One demo federation (loading it is the slow part) for the three people at one screen size."""
    member_journey(screen, sign_in, viewport)
    officer_journey(screen, sign_in, viewport)
    admin_journey(screen, sign_in, viewport)


def member_journey(screen, sign_in, viewport):
    page = screen(viewport, touch=viewport is PHONE_360)
    seen: list[str] = []
    with screenshot_on_failure(page, f"member-{viewport['width']}"):
        page.goto("/")
        check_page(page, seen)
        key_screen(page, "member-1-home")
        page.goto("/auth/member/login")
        page.get_by_role("button", name="获取验证码").click()  # nothing typed: every error at once
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link")).to_have_count(2)
        check_page(page, seen)
        key_screen(page, "member-2-sign-in-errors")
        sign_in.member(page, demo_member())
        check_page(page, seen)
        page.get_by_role("link", name="我的保障").first.click()
        expect(page.locator("#cover-now [data-cover-status]")).to_be_visible()
        check_page(page, seen)
        key_screen(page, "member-3-my-cover")
        page.get_by_role("link", name="电子参保凭证").first.click()
        expect(page.locator("#certificate")).to_be_visible()
        check_page(page, seen)
        key_screen(page, "member-4-certificate")
        page.goto("/claims/")
        check_page(page, seen)
        key_screen(page, "member-5-claims")
        page.get_by_role("link", name="帮助").click()
        expect(page.get_by_role("heading", name="帮助与咨询")).to_be_visible()
        check_page(page, seen)
        key_screen(page, "member-6-help")
    assert len(seen) == 7


def officer_journey(screen, sign_in, viewport):
    page = screen(viewport)
    with screenshot_on_failure(page, f"officer-{viewport['width']}"):
        sign_in.staff(page, "officer", DEMO_PASSWORD)
        check_page(page)
        page.goto("/enrollment/members")
        check_page(page)
        key_screen(page, "officer-3-members")
        page.goto("/enrollment/renewal")
        check_page(page)
        confirm = page.get_by_role("button", name=re.compile("确认续保"))
        if confirm.count():
            confirm.click()  # not ticked: told, nothing renewed
            expect(page.locator("[data-error-summary]")).to_contain_text("请先核对名单和金额")
            check_page(page)
            page.get_by_label("我已核对以上名单和金额").check()
            page.get_by_role("button", name=re.compile("确认续保")).click()
            expect(page.get_by_text(re.compile("续保完成"))).to_be_visible()
            check_page(page)
            key_screen(page, "officer-4-renewed")


def admin_journey(screen, sign_in, viewport):
    page = screen(viewport)
    member = demo_member()
    with screenshot_on_failure(page, f"admin-{viewport['width']}"):
        sign_in.staff(page, "admin", DEMO_PASSWORD)
        check_page(page)
        page.goto("/staff/texts")
        check_page(page)
        page.get_by_label("手机号").fill(member.mobile)
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("#texts-table tbody")).to_contain_text(member.masked_mobile)
        expect(page).to_have_url(re.compile(r"[?&]s="))  # the mobile travels sealed, never in the address
        assert member.mobile not in page.url
        check_page(page)
        key_screen(page, "admin-1-texts-by-mobile")
        page.goto("/staff/audit")
        check_page(page)


def test_organiser_on_a_tablet_sees_who_a_cancellation_affects(world, screen, sign_in):
    page = screen(TABLET, touch=True)
    with screenshot_on_failure(page, "organiser-768"):
        sign_in.staff(page, "organiser", DEMO_PASSWORD)
        check_page(page)
        page.goto("/childcare/manage/")
        check_page(page)
        page.locator("main a[href^='/childcare/manage/']").filter(has_not_text="导出").first.click()
        check_page(page)
        key_screen(page, "organiser-1-class-tablet", tablet=True)
        cancel = page.get_by_role("link", name="取消名额…").first
        if cancel.count():
            cancel.click()
            expect(page.locator("#cancel-effects")).to_contain_text("将给")
            check_page(page)
            key_screen(page, "organiser-2-cancel-effects-tablet", tablet=True)
            page.get_by_role("link", name="不取消，返回").click()
            check_page(page)

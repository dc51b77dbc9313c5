"""Browser tests: the real portal served on 127.0.0.1 in a thread, driven by Debian's chromium."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    # This hook sees the whole session's items, not only this folder's.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def watch_for_csp_violations(page, violations: list[str]) -> None:
    """Collect what the browser refused under the Content-Security-Policy (an inline script, an
    eval in htmx, an inline style): each browser test fails on any, so a page that only works
    without the policy is caught where it is used."""
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page whose relative URLs go to the live server."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="zh-CN", has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    watch_for_csp_violations(page, violations)
    yield page
    context.close()
    assert not violations, violations


DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def new_page(browser, live_server):
    """More people at once: each call opens a page in a context of its own (own cookies), a desktop
    screen unless ``viewport`` says otherwise."""
    contexts = []
    violations: list[str] = []

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=live_server, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch_for_csp_violations(page, violations)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not violations, violations


class SignIn:
    """Sign in through the real pages, as a person would (see test_sign_in.py for the checks)."""

    def member(self, page, member):
        import re

        from portal.extensions import db
        from tests.conftest import sent_code

        page.goto("/auth/member/login")
        page.get_by_label("身份证号码").fill(member.id_number)
        page.get_by_label("手机号码").fill(member.mobile)
        page.get_by_role("button", name="获取验证码").click()
        page.wait_for_url(re.compile(r"/auth/member/code$"))
        db.session.expire_all()
        page.get_by_label("短信验证码").fill(sent_code(member))
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/me/$"))

    def staff(self, page, username, password=None):
        from tests.factories import PASSWORD

        page.goto("/auth/staff/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password or PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        assert "/auth/staff/login" not in page.url, f"{username} could not sign in"
        if page.url.endswith("/auth/staff/two-factor"):  # administrators, reviewers: the app's code
            from tests.conftest import totp_code

            page.get_by_label("验证码").fill(totp_code(username))
            with page.expect_navigation():
                page.get_by_role("button", name="验证并登录").click()
            assert "/auth/staff/two-factor" not in page.url, f"{username}'s two-factor code was refused"


@pytest.fixture
def sign_in():
    return SignIn()

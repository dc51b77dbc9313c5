"""Every page carries the security headers; dynamic pages are never cached; sessions end on the
server (issue 12)."""

import re

import pytest
from sqlalchemy import select

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import StaffUser
from portal.security import CONTENT_SECURITY_POLICY
from tests.factories import create_member, create_staff
from tests.web.walk import IDENTITIES, load_world, rules, signed_in, url_for_rule

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\s(on[a-z]+|style)\s*=", re.I)


def _check(url, response):
    headers = response.headers
    assert response.status_code != 500, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "same-origin", url
    assert "no-store" in headers.get("Cache-Control", ""), url
    if response.mimetype == "text/html":
        csp = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert headers.get("X-Frame-Options") == "DENY", url
        page = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(page), f"inline <script> on {url}"
        handler = INLINE_HANDLER.search(page)
        assert handler is None, f"inline {handler and handler.group(1)}= on {url}"


def test_every_page_of_every_visitor_has_the_headers(app):
    load_world()
    seen = 0
    for identity in IDENTITIES:
        client = signed_in(app, identity)
        for rule in rules(app):
            url = url_for_rule(rule)
            with client.get(url) as response:
                _check(f"{identity} {url}", response)
            seen += 1
    assert seen > 500


def test_the_content_security_policy_refuses_inline_script_and_framing():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"


def test_static_files_may_be_cached_but_are_not_sniffed(client):
    with client.get("/static/js/portal.js") as answer:
        assert answer.status_code == 200 and answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers.get("Cache-Control") != "no-store"


def test_hsts_only_behind_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_htmx_is_told_not_to_eval(client):
    page = client.get("/").get_data(as_text=True)
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page


# ---------------------------------------------------------------- sessions end on the server

def _copy_cookie(source, target):
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, client, auth):
    create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/review/").status_code == 200
    auth.logout()
    assert thief.get("/review/").status_code == 302


def test_a_member_cookie_copied_on_a_kiosk_opens_nothing_after_sign_out(app, client, auth):
    member = create_member()
    auth.member(member)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/me/").status_code == 200
    auth.logout()
    assert thief.get("/me/").status_code == 302


def test_a_new_password_ends_every_session(client, auth):
    user = create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    assert client.get("/review/").status_code == 200
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "rev"))
    user.set_password("another-horse-43")
    db.session.commit()
    assert client.get("/review/").status_code == 302


def test_disabling_an_account_ends_every_session(client, auth):
    create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "rev"))
    user.is_active_account = False
    db.session.commit()
    assert client.get("/review/").status_code == 302


@pytest.mark.parametrize("forged", ["s:1", "s:1:x", "m:1:" + "9" * 40, "s:" + "9" * 40 + ":0", "q:1:0"])
def test_forged_user_ids_open_nothing(app, forged):
    from portal.blueprints.auth import load_user

    create_staff("rev", Role.REVIEWER)
    assert load_user(forged) is None

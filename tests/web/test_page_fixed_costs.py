"""What every page does before and around its own content, made cheaper (issue 14), still gives the
same answers: the signed-in account (and only a current session's), the layout's texts in the
reader's language, the layout's links where the portal is mounted, static files at their current
version, each member's own claims, the review queue's names."""

from __future__ import annotations

import pytest

from portal.blueprints.auth import load_user
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member
from portal.services.claims import queries as claim_queries
from portal.services.review import queries as review_queries
from tests.conftest import post_form
from tests.factories import covered_member, create_staff, create_union, file_claim


def test_the_loader_gives_the_account_of_a_current_session_only(app):
    member = covered_member()
    officer = create_staff("loader_officer", Role.UNION_OFFICER)
    gone = create_staff("loader_gone", Role.UNION_OFFICER)
    gone.is_active_account = False
    db.session.commit()

    assert load_user(member.get_id()) is member
    assert load_user(officer.get_id()) is officer
    assert load_user(f"m:{member.id}:{(member.session_generation or 0) + 1}") is None  # ended elsewhere
    assert load_user(gone.get_id()) is None  # disabled
    assert load_user(f"x:{member.id}:0") is None
    assert load_user(f"m:{member.id + 10_000}:0") is None


def test_the_loader_never_flushes_what_a_view_has_not_finished(app):
    member = covered_member()
    db.session.commit()
    session_id = member.get_id()
    db.session.expire_all()  # as at the start of a request: the account is read from the database
    unfinished = Member(name="未完成")  # no ID number yet: flushing it would fail
    db.session.add(unfinished)
    try:
        assert load_user(session_id) is member
        assert unfinished in db.session.new  # still pending, not flushed
    finally:
        db.session.rollback()


def test_the_layout_speaks_the_language_chosen_each_time(client, auth):
    member = covered_member()
    db.session.commit()
    auth.member(member)
    for _round in range(2):
        page = client.get("/claims/").get_data(as_text=True)
        assert "我的理赔" in page and "退出" in page and "Sign out" not in page
        post_form(client, "/lang/en", {"next": "/claims/"}, form_page="/claims/")
        page = client.get("/claims/").get_data(as_text=True)
        assert "My claims" in page and "Sign out" in page and "退出" not in page
        post_form(client, "/lang/zh_CN", {"next": "/claims/"}, form_page="/claims/")


def test_the_layout_links_follow_where_the_portal_is_mounted(client):
    for mount in ("/portal", "", "/other"):
        page = client.get("/help", environ_overrides={"SCRIPT_NAME": mount}).get_data(as_text=True)
        assert f'href="{mount}/auth/member/login"' in page
        assert f'href="{mount}/static/css/portal.css?v=' in page
        assert f'src="{mount}/static/js/portal.js?v=' in page
        for other in {"/portal", "/other"} - {mount}:
            assert f'href="{other}/' not in page


def test_a_static_file_edited_gets_its_new_address_at_once(client, monkeypatch):
    from portal import proxy

    monkeypatch.setattr(proxy, "static_version", lambda app, filename: f"{filename[:2]}aaa")
    assert 'href="/static/css/portal.css?v=csaaa"' in client.get("/help").get_data(as_text=True)
    monkeypatch.setattr(proxy, "static_version", lambda app, filename: f"{filename[:2]}bbb")
    page = client.get("/help").get_data(as_text=True)
    assert 'href="/static/css/portal.css?v=csbbb"' in page and "csaaa" not in page


def test_each_member_lists_their_own_claims_newest_first(app):
    first, second = covered_member(), covered_member()
    mine = [file_claim(first).id, file_claim(first, submit=False).id]
    theirs = [file_claim(second).id]
    db.session.commit()

    assert [claim.id for claim in claim_queries.member_claims(first)] == sorted(mine, reverse=True)
    assert [claim.id for claim in claim_queries.member_claims(second)] == theirs
    assert [claim.id for claim in claim_queries.member_claims(first)] == sorted(mine, reverse=True)


def test_the_review_queue_names_each_claims_member_and_union(app):
    reviewer = create_staff("queue_names", Role.REVIEWER)
    unions = [create_union(name="锡山区总工会"), create_union(name="惠山区总工会")]
    members = [covered_member(unions[0], name="王小红"), covered_member(unions[1], name="李大明")]
    filed = {file_claim(member).id: member for member in members}
    db.session.commit()

    claims, total = review_queries.review_queue(reviewer, review_queries.QueueFilters())
    assert total == 2 and {claim.id for claim in claims} == set(filed)
    for claim in claims:
        assert claim.member.name == filed[claim.id].name
        assert claim.union.name == filed[claim.id].union.name


def test_a_limited_endpoint_still_limits_when_pages_skip_the_limiter(client):
    """The pages without a limit skip Flask-Limiter's before-request pass; the sign-in form's own limit
    (20 a minute, from its decorator) still refuses the 21st attempt."""
    from tests.conftest import csrf_token

    assert all(client.get("/help").status_code == 200 for _ in range(25))
    token = csrf_token(client, "/auth/staff/login")
    answers = [client.post("/auth/staff/login", data={"csrf_token": token, "username": "nobody", "password": "x"})
               for _ in range(21)]
    assert answers[19].status_code != 429 and answers[20].status_code == 429


def test_a_limit_on_every_endpoint_still_reaches_the_pages_without_their_own(client, monkeypatch):
    """A default limit (``RATELIMIT_DEFAULT``) is one the skipped pass would have applied: with one
    configured, the pass runs again and an unlimited page is limited too."""
    from flask_limiter import Limit

    from portal.extensions import limiter

    every_page = Limit(limit_provider="3 per minute", key_function=limiter._key_func, per_method=False).bind(limiter)
    monkeypatch.setattr(limiter.limit_manager, "_default_limits", [every_page])
    answers = [client.get("/help").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_the_navigation_kept_per_role_carries_each_sessions_own_token(app, auth):
    """The navigation is rendered once per role and language; its sign-out form still holds the
    token of the session reading it, and that token signs the reader out."""
    import re

    first, second = covered_member(), covered_member()
    create_staff("nav_reviewer", Role.REVIEWER)
    db.session.commit()
    readers = {}
    for name, member in (("first", first), ("second", second)):
        client = app.test_client()
        type(auth)(client).member(member)
        readers[name] = client
    reviewer = app.test_client()
    type(auth)(reviewer).staff("nav_reviewer")

    tokens = {}
    for name, client in (*readers.items(), ("reviewer", reviewer)):
        page = client.get("/help").get_data(as_text=True)
        nav = page[page.index('<nav class="main-nav"'):page.index("</nav>")]
        header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        logout_token = re.search(r'action="/auth/logout"[^>]*>\s*<input[^>]*value="([^"]+)"', nav).group(1)
        assert logout_token == header_token
        tokens[name] = logout_token
        assert ("我的理赔" in nav) is (name != "reviewer") and ("理赔审核" in nav) is (name == "reviewer")
    assert len(set(tokens.values())) == 3

    assert readers["first"].post("/auth/logout", data={"csrf_token": tokens["first"]}).status_code == 302
    assert readers["first"].get("/claims/").status_code == 302  # signed out
    assert readers["second"].get("/claims/").status_code == 200


def test_the_review_queue_decrypts_only_the_checks_a_claim_has(app, client, auth):
    """Unflagged claims' checks are not read (an empty list each); a flagged claim's are, in full,
    and the page shows them."""
    create_staff("queue_flags", Role.REVIEWER)
    members = [covered_member(name="赵一"), covered_member(name="钱二")]
    flagged, clean = (file_claim(member) for member in members)
    flagged.flags = [{"code": "duplicate_hospital_stay", "message": "住院日期与另一件申请重叠"}]
    flagged.flag_codes, flagged.is_flagged = ",duplicate_hospital_stay,", True
    db.session.commit()
    db.session.expire_all()

    claims, _total = review_queries.review_queue(create_staff("queue_flags_reader", Role.REVIEWER),
                                                 review_queries.QueueFilters())
    by_id = {claim.id: claim for claim in claims}
    assert by_id[flagged.id].flags == [{"code": "duplicate_hospital_stay", "message": "住院日期与另一件申请重叠"}]
    assert by_id[clean.id].flags == []

    auth.staff("queue_flags")
    page = client.get("/review/").get_data(as_text=True)
    assert 'title="住院日期与另一件申请重叠"' in page and "通过" in page


def test_flask_still_asks_about_an_async_function_the_portal_remembers_plain_ones(app):
    """``ensure_sync`` remembers plain functions; a coroutine function is still handed to Flask's
    wrapping every time (which, without the ``async`` extra installed, refuses it)."""

    def plain():
        return "plain"

    async def coroutine():
        return "awaited"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _round in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(coroutine)

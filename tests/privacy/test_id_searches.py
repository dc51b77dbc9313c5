"""Searches by ID number never travel in an address, so never reach an access log, the browser's
history or a ``Referer``; and logs carry no SQL parameters.

The staff search boxes (members, enrolments, the union's claims) POST the typed words and are
answered with a redirect to an address carrying only a token sealed for the signed-in user.
"""

from __future__ import annotations

import http.cookiejar
import logging
import re
import threading
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from portal import create_app
from portal.domain.roles import Role
from portal.extensions import db
from tests.conftest import CSRF_RE, post_form
from tests.factories import PASSWORD, covered_member, create_staff, create_union, file_claim

SEARCH_PAGES = ("/enrollment/", "/enrollment/members", "/claims/")


def _officer_and_member(client, auth):
    union = create_union()
    member = covered_member(union, name="钱多多")
    create_staff("officer", Role.UNION_OFFICER, union=union)
    auth.staff("officer")
    return member


@pytest.mark.parametrize("page", SEARCH_PAGES)
def test_a_search_by_id_number_finds_the_member_and_no_address_carries_the_number(client, auth, page):
    member = _officer_and_member(client, auth)
    if page == "/claims/":
        file_claim(member)
    answer = post_form(client, page, {"q": member.id_number}, follow_redirects=True)
    assert answer.status_code == 200
    addresses = [step.headers["Location"] for step in answer.history] + [answer.request.url]
    assert answer.history and all(step.status_code == 303 for step in answer.history)
    body = answer.get_data(as_text=True)
    for address in addresses:
        assert member.id_number not in urllib.parse.unquote(address) and member.id_number[-6:] not in address
    assert "s=" in answer.request.url
    table = body.split('class="table-wrap"', 1)[1]
    assert "钱" in table and ("LP" in table if page == "/claims/" else "多" in table)
    # The words typed are shown back in the box, and paging / export links keep the search.
    assert f'value="{member.id_number}"' in body


def test_an_old_address_with_q_is_turned_into_a_sealed_one(client, auth):
    member = _officer_and_member(client, auth)
    answer = client.get("/enrollment/members", query_string={"q": member.id_number, "gig": "no"})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert member.id_number not in location and "gig=no" in location and "s=" in location


def test_a_sealed_search_opens_only_for_who_searched_and_ends_with_the_session(client, auth, app):
    member = _officer_and_member(client, auth)
    covered_member(member.union, name="赵四海")
    address = post_form(client, "/enrollment/members", {"q": member.id_number}).headers["Location"]
    table = client.get(address).get_data(as_text=True).split('class="table-wrap"', 1)[1]
    assert "钱" in table and "赵" not in table
    auth.logout()
    auth.staff("officer")
    table = client.get(address).get_data(as_text=True).split('class="table-wrap"', 1)[1]
    assert "钱" in table and "赵" in table  # a new session: the old search is no search
    create_staff("other", Role.UNION_OFFICER, union=member.union)
    auth.logout()
    auth.staff("other")
    page = client.get(address).get_data(as_text=True)
    assert "赵" in page.split('class="table-wrap"', 1)[1] and member.id_number not in page
    # A forged or damaged token is no search, never an error.
    assert client.get("/enrollment/members?s=not-a-token").status_code == 200


# ---------------------------------------------------------------- the access log of a real server

class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


GUNICORN_FORMAT = '{h} - - [-] "{r}" {s} - "{f}" "{a}"'  # gunicorn's default access_log_format, in short


def test_the_access_log_of_a_real_server_never_holds_the_id_number_searched(app):
    union = create_union()
    member = covered_member(union, name="孙悟空")
    file_claim(member)
    create_staff("officer", Role.UNION_OFFICER, union=union)
    db.session.commit()

    access_lines: list[str] = []

    def logged(environ, start_response):  # what gunicorn writes for each request: request line and Referer
        query = environ.get("QUERY_STRING")
        request_line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}{'?' + query if query else ''}"

        def start(status, headers, *rest):
            access_lines.append(GUNICORN_FORMAT.format(h=environ.get("REMOTE_ADDR"), r=request_line,
                                                       s=status.split()[0], f=environ.get("HTTP_REFERER", "-"),
                                                       a=environ.get("HTTP_USER_AGENT", "-")))
            return start_response(status, headers, *rest)
        return app.wsgi_app(environ, start)

    handler = _Lines()
    everything = logging.getLogger()
    old_level = everything.level
    everything.addHandler(handler)
    everything.setLevel(logging.DEBUG)
    # alembic's fileConfig (the migration tests) disables loggers that existed before it: the
    # access log must be written here whatever ran earlier in the session.
    access_log = logging.getLogger("werkzeug")
    was_disabled, access_log.disabled = access_log.disabled, False
    server = make_server("127.0.0.1", 0, logged, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    visited: list[str] = []

    def fetch(path, data=None):
        request = urllib.request.Request(base + path, data=urllib.parse.urlencode(data).encode() if data else None)
        with opener.open(request, timeout=30) as answer:
            visited.append(answer.url)
            return answer.read().decode()

    def token(page):
        return CSRF_RE.search(page).group(1)

    try:
        page = fetch("/auth/staff/login")
        fetch("/auth/staff/login", {"csrf_token": token(page), "username": "officer", "password": PASSWORD})
        for search_page in SEARCH_PAGES:
            page = fetch(search_page)
            found = fetch(search_page, {"csrf_token": token(page), "q": member.id_number})
            assert "孙" in found.split('class="table-wrap"', 1)[1], search_page
    finally:
        server.shutdown()
        thread.join(timeout=10)
        everything.removeHandler(handler)
        everything.setLevel(old_level)
        access_log.disabled = was_disabled

    werkzeug_lines = [line for line in handler.lines if '"GET ' in line or '"POST ' in line]
    assert werkzeug_lines and access_lines and len(visited) == 8
    for line in [*access_lines, *handler.lines, *visited]:
        assert member.id_number not in urllib.parse.unquote(line), line
        assert member.mobile not in line


# ---------------------------------------------------------------- SQL parameters kept out of logs

def test_sql_parameters_are_hidden_outside_development(app):
    assert db.engine.hide_parameters  # the suite's app, configured as production is
    development = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True,
                              "DATA_KEY": app.config["DATA_KEY"], "LOG_SQL_PARAMETERS": True})
    with development.app_context():
        assert db.engine.hide_parameters is False
        db.engine.dispose()


def test_an_error_in_a_view_logs_no_claim_fields(app, caplog, tmp_path, monkeypatch):
    """A view that fails in the database (here a query on a table that does not exist, with a claim's
    diagnosis as a parameter) logs the error and its SQL, never the values sent."""
    failing = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x",
                          "DATA_KEY": app.config["DATA_KEY"], "UPLOAD_FOLDER": str(tmp_path),
                          "SQLALCHEMY_ENGINE_OPTIONS": {}, "PROPAGATE_EXCEPTIONS": False})

    from portal import access_policy

    monkeypatch.setitem(access_policy.POLICY, "boom", access_policy.Access(access_policy.ANYONE,
                                                                           access_policy.Scope.PUBLIC))

    @failing.get("/boom")
    def boom():
        db.session.execute(text("SELECT * FROM no_such_claims WHERE diagnosis = :d AND id_number = :i"),
                           {"d": "左侧股骨颈骨折术后", "i": "320213199003150017"})
        return "unreachable"

    # An earlier test may have configured logging (alembic's fileConfig disabled existing loggers
    # before migrations/env.py kept them): this one reads the app's error log, so it is on.
    monkeypatch.setattr(failing.logger, "disabled", False)
    with caplog.at_level(logging.DEBUG):
        answer = failing.test_client().get("/boom")
    with failing.app_context():
        db.engine.dispose()
    assert answer.status_code == 500
    logged = "\n".join(record.getMessage() + (caplog.handler.formatter.formatException(record.exc_info)
                                              if record.exc_info else "") for record in caplog.records)
    assert "no_such_claims" in logged  # the error itself is logged, for whoever must fix it
    assert "左侧股骨颈骨折术后" not in logged and "320213199003150017" not in logged
    assert re.search(r"parameters hidden", logged)

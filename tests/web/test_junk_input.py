"""Junk never answers 500: every form and every page of every role, sent NUL bytes, 20-digit
numbers, over-long text and unknown codes (issue 12). Runs on SQLite and on PostgreSQL (which
refuses a NUL in text and overflows its integers where SQLite is lenient).

The walk is found, not listed: each identity crawls the links of the demo federation from its
home pages, collects every form it is shown, then sends each form back with junk in every field
and each page with junk in its query. A new page or form is walked the day it is added.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from tests.web.walk import IDENTITIES, load_world, rules_open_to, signed_in, url_for_rule

JUNK = {
    "nul": "12\x00<script>",
    "huge": "9" * 20,
    "negative": "-" + "9" * 20,
    "long": "长" * 5000,
    "code": "NOPE",
    "float": "1e400",
}
# In a query, 300 characters are as over-long as 5,000 for every filter and search, without making
# each page parse a 1 MB query string 25 times over (the walk was half of the suite's time).
QUERY_JUNK = {**JUNK, "long": "长" * 300}
QUERY_NAMES = ("q", "page", "plan_year", "year", "union_code", "union", "status", "age", "district",
               "disability_grade", "claim_id", "member_id", "class_id", "position_id", "kind", "day", "month",
               "category", "type", "action", "next", "back", "per_page", "sort", "min_pay")
START = ("/", "/me/", "/staff/", "/review/", "/claims/", "/enrollment/", "/jobs/", "/childcare/", "/stations/",
         "/jobs/enterprise/", "/jobs/union/", "/childcare/manage/", "/enrollment/members")
SKIP_ACTIONS = ("/auth/logout", "/lang/")
MAX_PAGES = 120


class Forms(HTMLParser):
    """The links and POST forms of a page: ``(action, {field: example value})``."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.links: set[str] = set()
        self.forms: list[tuple[str, str, dict[str, str], set[str]]] = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and (attrs.get("href") or "").startswith("/") and not attrs["href"].startswith("//"):
            self.links.add(attrs["href"].split("#")[0])
        elif tag == "form":
            action = attrs.get("action") or self.page_url
            self._form = ((attrs.get("method") or "get").lower(), action, {}, set())
        elif self._form is not None and tag in ("input", "select", "textarea") and attrs.get("name"):
            kind = (attrs.get("type") or tag).lower()
            if kind == "file":
                self._form[3].add(attrs["name"])
            elif kind not in ("submit", "button", "image", "reset"):
                self._form[2].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _shape(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


def _fails(client, method, url, **kwargs) -> str | None:
    """``None`` when the answer is anything but a server error; else what went wrong."""
    try:
        with client.open(url, method=method, **kwargs) as response:
            return f"{response.status_code}" if response.status_code >= 500 else None
    except Exception as exc:  # noqa: BLE001 - TESTING propagates the view's exception: that is the 500
        return f"{type(exc).__name__}: {str(exc)[:160]}"


def _crawl(client):
    """The pages this client can open (one per shape: ``/claims/N``), and their POST forms."""
    shapes, pages, queue, forms = set(), [], list(START), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        if _shape(url) in shapes:
            continue
        shapes.add(_shape(url))
        with client.get(url) as response:
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            parser = Forms(url)
            parser.feed(response.get_data(as_text=True))
        pages.append(url)
        queue.extend(sorted(link for link in parser.links if _shape(link) not in shapes
                            and not link.startswith("/static/")))
        for method, action, fields, files in parser.forms:
            if method == "post" and not action.startswith(SKIP_ACTIONS):
                forms.setdefault((_shape(action), tuple(sorted(fields))), (action, fields, files, url))
    return pages, forms


def test_no_page_or_form_answers_500_to_junk(app):
    load_world()
    failures: list[str] = []
    for identity in IDENTITIES:
        client = signed_in(app, identity)
        pages, forms = _crawl(client)
        # Pages: every route open to this visitor with junk ids and codes in the path, every crawled
        # page with junk in the query. Routes the policy refuses end before the view reads anything.
        open_rules = rules_open_to(app, identity)
        for rule in open_rules:
            for value in ("NOPE", "%00", "9" * 20):
                url = url_for_rule(rule, value)
                if (problem := _fails(client, "GET", url)) is not None:
                    failures.append(f"{identity} GET {url}: {problem}")
        plain = [rule.rule for rule in open_rules if not rule.arguments]
        for url in sorted(set(pages) | set(plain)):
            for name, junk in QUERY_JUNK.items():
                query = {key: junk for key in QUERY_NAMES}
                if (problem := _fails(client, "GET", urlsplit(url).path, query_string=query)) is not None:
                    failures.append(f"{identity} GET {urlsplit(url).path}?…={name}: {problem}")
        # Forms: every field of every form at once, each kind of junk in turn.
        for (action, fields, _files, page) in (forms[key] for key in sorted(forms)):
            for name, junk in JUNK.items():
                data = {field: (value if field == "csrf_token" else junk) for field, value in fields.items()}
                # Over-long text goes as multipart, as a browser may send it: the same form reaches the
                # view, without unquoting 45,000 %-escapes per field (a fifth of this walk's time).
                encoding = "multipart/form-data" if name == "long" else "application/x-www-form-urlencoded"
                if (problem := _fails(client, "POST", action, data=data, content_type=encoding)) is not None:
                    failures.append(f"{identity} POST {action} (form on {page}) {name}: {problem}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- the cases the audit found, by name

def _as(client, username):
    from tests.conftest import Auth

    Auth(client).staff(username, "demo-portal-2026")


def test_an_unknown_union_code_on_the_enrolment_exports_is_a_clear_400(app, client):
    load_world(members=4)
    _as(client, "admin")
    for url in ("/enrollment/export.xlsx", "/enrollment/members/export.xlsx"):
        answer = client.get(url, query_string={"union_code": "NOPE"})
        assert answer.status_code in (400, 404), url
        assert "NOPE" in answer.get_data(as_text=True)


def test_twenty_digit_numbers_in_searches_and_filters_are_not_found_not_500(app, client):
    load_world(members=4)
    for username, url, query in [("officer", "/claims/", {"q": "9" * 20}),
                                 ("admin", "/enrollment/", {"plan_year": "9" * 20, "q": "9" * 20}),
                                 ("reviewer", "/review/", {"age": "9" * 20, "claim_id": "9" * 20})]:
        _as(client, username)
        assert client.get(url, query_string=query, follow_redirects=True).status_code in (200, 400, 404), url


def test_a_nul_byte_in_any_form_is_refused_with_a_message(client):
    from tests.conftest import post_form

    answer = post_form(client, "/auth/staff/login", {"username": "admin\x00", "password": "x"})
    assert answer.status_code == 400 and "控制字符" in answer.get_data(as_text=True)
    assert client.get("/jobs/", query_string={"q": "a\x00"}).status_code == 400

"""Issue 15: axe on every page of every role. Every identity of ``tests/web/walk.py`` (the anonymous
visitor, a member, each staff role) opens, on the demo federation, every GET page the access policy
lets it open (a real record of the demo for each route with arguments: the samples of
``test_access_policy``), in headless Chromium at a phone's 360×800, and axe-core must report no
serious or critical WCAG 2.2 A/AA finding.

The standing test opens one page per template per identity (pages of one template share their
markup; the walk of every page takes minutes). ``AXE_WALK_ALL=1`` walks every page instead, and
prints the findings by rule and page:
``AXE_WALK_ALL=1 .venv/bin/pytest -q -s tests/browser/test_axe_walk.py``."""

from __future__ import annotations

import html
import json
import os
import re
from collections import defaultdict
from urllib.parse import urlsplit

from flask import template_rendered

from tests.browser.accessibility import axe_findings
from tests.browser.conftest import watch_for_csp_violations
from tests.web.walk import IDENTITIES, rules_open_to, signed_in, url_for_rule

PHONE_360 = {"width": 360, "height": 800}
NARROW_FIRST = (None, "member", "enterprise", "organiser", "reviewer", "officer_hs", "officer", "admin")


def _path(rule, arguments: dict | None) -> str:
    if not arguments:
        return url_for_rule(rule, 1)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: str(arguments[match.group(1)]), rule.rule)


def _get(app, client, url: str):
    """The answer to ``url`` and the template it rendered (``None``: none)."""
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        answer = client.get(url)
    return answer, (rendered[0] if rendered else None)


def _is_page(answer) -> bool:
    """A whole HTML document: not a file, a redirect or a fragment htmx puts into a page."""
    return (answer.status_code == 200 and answer.mimetype == "text/html"
            and answer.get_data(as_text=True).lstrip().lower().startswith("<!doctype html"))


def pages_of(app, world, identity, client, skipped: list[str] | None = None) -> dict[str, str]:
    """``{url: template}``: the HTML pages ``identity`` can open, one per GET route (the route's
    real sample where it has arguments), each with the template it renders. Files, redirects and
    fragments (the navigation's counts, which htmx puts into every staff page) are not pages."""
    pages: dict[str, str] = {}
    for rule in rules_open_to(app, identity):
        sample = world.sample(rule.endpoint) if rule.arguments else None
        url = _path(rule, sample[0] if sample else None)
        answer, template = _get(app, client, url)
        if template is not None and _is_page(answer):
            pages[url] = template
        elif skipped is not None:
            skipped.append(f"{identity} {url} {answer.status_code} {answer.mimetype}")
    return pages


HREF = re.compile(r'href="(/[^"#]*)"')
NOT_PAGES = ("/static/", "/lang/", "/auth/logout", "/api/")
MAX_CRAWLED = 80


def _shape(url: str) -> str:
    """Pages of one shape (``/claims/N?status=``) show one template in one state."""
    parts = urlsplit(url)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(app, identity, client, pages: dict[str, str], skipped: list[str] | None = None) -> dict[str, str]:
    """``pages`` and the pages of other shapes their links lead to (a filtered list, a record of
    the visitor's own union where the route's sample is another union's), up to ``MAX_CRAWLED``."""
    found = dict(pages)
    shapes = {_shape(url) for url in pages}
    queue = sorted(pages)
    while queue and len(found) < len(pages) + MAX_CRAWLED:
        url = queue.pop(0)
        if url not in found:
            if _shape(url) in shapes:
                continue
            shapes.add(_shape(url))
        answer, template = _get(app, client, url)
        if template is None or not _is_page(answer):
            continue
        found.setdefault(url, template)
        for link in HREF.findall(answer.get_data(as_text=True)):
            link = html.unescape(link)
            if not link.startswith(NOT_PAGES) and _shape(link) not in shapes and link not in queue:
                queue.append(link)
    return found


def _cookies(client, live_server) -> list[dict]:
    return [{"name": cookie.key, "value": cookie.value, "url": live_server}
            for cookie in client._cookies.values()]


def open_page(page, url: str) -> None:
    """Open ``url`` and wait for what htmx loads into it at once (the staff navigation's counts)."""
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, f"{url}: {answer and answer.status}"
    page.wait_for_load_state("load")
    if page.locator(".nav-queues").count():
        page.locator(".nav-queues .nav-queue-list").wait_for(state="attached")


def walk(app, browser, live_server, world, *, every_page: bool, skipped: list[str] | None = None):
    """``(pages walked, findings)``: findings as ``{rule: {url (identity): targets}}``."""
    walked = 0
    findings: dict[str, dict[str, list]] = defaultdict(dict)
    violations: list[str] = []
    walked_templates: set[str] = set()
    # The narrowest audiences first, so that each walks its own pages and the administrator, who
    # can open nearly everything, walks what no one else can.
    for identity in sorted(IDENTITIES, key=lambda identity: NARROW_FIRST.index(identity)):
        client = signed_in(app, identity)
        pages = pages_of(app, world, identity, client, skipped)
        if every_page:
            pages = crawl(app, identity, client, pages)
        else:
            # One page per template (pages of a template share their markup), and at least one
            # page for each identity (its navigation).
            first: dict[str, str] = {}
            for url, template in sorted(pages.items()):
                if template not in walked_templates:
                    first.setdefault(template, url)
            if not first and pages:  # nothing new: its navigation still is
                url = min(pages)
                first[pages[url]] = url
            pages = {url: template for template, url in first.items()}
            walked_templates |= set(first)
        assert pages, f"{identity or 'anonymous'} opened no page"
        context = browser.new_context(viewport=PHONE_360, base_url=live_server, locale="zh-CN",
                                      has_touch=True, is_mobile=True)
        context.add_cookies(_cookies(client, live_server))
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch_for_csp_violations(page, violations)
        try:
            for url in sorted(pages):
                open_page(page, url)
                walked += 1
                for finding in axe_findings(page):
                    findings[finding["id"]][f"{url} ({identity or 'anonymous'})"] = finding["nodes"]
        finally:
            context.close()
    assert not violations, violations
    return walked, findings


def test_axe_finds_nothing_serious_on_any_page_of_any_role(app, browser, live_server):
    from tests.web.test_access_policy import World

    world = World()
    every_page = os.environ.get("AXE_WALK_ALL") == "1"
    skipped: list[str] = []
    walked, findings = walk(app, browser, live_server, world, every_page=every_page, skipped=skipped)
    if every_page:
        print("\nnot pages:\n  " + "\n  ".join(skipped))
        print(f"{walked} pages walked (pages × identities)")
        for rule, where in sorted(findings.items()):
            print(f"{rule}: {len(where)} pages")
            for url, nodes in sorted(where.items()):
                print(f"  {url}: {json.dumps(nodes, ensure_ascii=False)}")
    # Every identity opened pages: a walk that reaches nothing proves nothing.
    assert walked >= 4 * len(IDENTITIES), walked
    assert not findings, json.dumps(findings, ensure_ascii=False, indent=1)

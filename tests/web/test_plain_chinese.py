"""Issue 15, finding 8: every page of every role, rendered in zh-CN on the demo federation, speaks
plain Chinese: no internal codes (missing_documents, claim.approve, SANHEYI), no English words, no
Python representations, no doubled punctuation; English pages show dates and money the English way."""

from __future__ import annotations

import re

from tests.conftest import post_form
from tests.web.plain_words import problems, visible_text
from tests.web.walk import IDENTITIES, load_world, rules_open_to, signed_in, url_for_rule

# Pages that are not for people to read in Chinese: machine answers and files.
NOT_PAGES = ("/healthz", "/kiosk/", "/openapi")


def test_every_page_of_every_role_is_plain_chinese(app):
    load_world()
    found: dict[str, list[str]] = {}
    read = 0
    for identity in IDENTITIES:
        client = signed_in(app, identity)
        for rule in rules_open_to(app, identity):
            url = url_for_rule(rule)
            if any(part in url for part in NOT_PAGES):
                continue
            with client.get(url) as response:
                if response.status_code != 200 or not response.mimetype == "text/html":
                    continue
                page = response.get_data(as_text=True)
            read += 1
            for problem in problems(page):
                found.setdefault(problem, []).append(f"{identity} {url}")
    assert read > 150
    assert not found, report(found)


CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日")
CHINESE_MONEY = re.compile(r"\d[\d,]*(?:\.\d+)?元")


def test_english_pages_show_dates_and_money_the_english_way(app):
    load_world()
    found: dict[str, list[str]] = {}
    read = 0
    for identity in ("member", "admin", "officer", "reviewer"):
        client = signed_in(app, identity)
        post_form(client, "/lang/en", {"next": "/"}, form_page="/")
        for rule in rules_open_to(app, identity):
            url = url_for_rule(rule)
            if any(part in url for part in NOT_PAGES):
                continue
            with client.get(url) as response:
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                page = response.get_data(as_text=True)
            read += 1
            text = visible_text(page)
            for pattern in (CHINESE_DATE, CHINESE_MONEY):
                for match in pattern.finditer(text):
                    line = next(line for line in text.splitlines() if match.group(0) in line)
                    found.setdefault(f"{match.group(0)!r} in {line.strip()[:80]!r}", []).append(f"{identity} {url}")
    assert read > 60
    assert not found, report(found)


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{problem}  ({len(where)}× e.g. {where[0]})" for problem, where in sorted(found.items()))

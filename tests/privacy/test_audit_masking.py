"""No ID number or mobile in full in the audit log (issue 12), whatever staff type.

The standing proof: on the demo federation, staff search every list that has a search box with a
real member's full ID number and mobile, export every staff list (every export route of
``app.url_map``, so a new one is included the day it is added) with those words in the sealed
search and in every filter a list reads, start a claim by the ID number, upload a roster named by
it; then every audit row, every column and the JSON details included, is read and must hold no
18-character ID number and no 11-digit mobile. The SMS log as an administrator sees it and the
application's logs captured meanwhile are read the same way.
"""

from __future__ import annotations

import io
import json
import logging
import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from portal.access_policy import POLICY
from portal.domain.claims import ClaimStatus
from portal.domain.identity import mask_id_number, mask_mobile, mask_personal_numbers
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, Claim, PayoutBatch
from tests.conftest import post_form
from tests.web.test_access_policy import World, _client

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")

# The staff lists with a search box (POSTed, then carried sealed in ``s``) and their exports.
SEARCHES = {
    "/enrollment/": ("officer", "/enrollment/export.xlsx"),
    "/enrollment/members": ("officer", "/enrollment/members/export.xlsx"),
    "/claims/": ("officer", None),
    "/review/": ("reviewer", "/review/export.xlsx"),
}
# Every filter name a staff list reads from its address (free text or a code).
FILTER_NAMES = ("q", "mobile", "actor", "entity_id", "ip", "kind", "status", "union_code", "union", "channel",
                "cover", "gig", "flag", "batch", "level", "since", "until", "day", "plan_year")
# Who exports, in this order of preference: the first whose role the route's policy allows.
EXPORTERS = ("admin", "officer", "reviewer", "organiser", "enterprise")


def _leaks(text: str, terms: tuple[str, ...]) -> list[str]:
    found = [term for term in terms if term in text]
    return found + ID_NUMBER.findall(text) + MOBILE.findall(text)


def _spaced(id_number: str) -> str:
    return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"


def test_the_masking_helper_catches_numbers_however_they_are_typed():
    assert mask_personal_numbers("320202199003150017") == "320***********0017"
    assert (mask_personal_numbers("找 320202 19900315 001x，电话 138-0013-8000")
            == "找 320***********001X，电话 138****8000")
    assert mask_personal_numbers("１３８００１３８０００ 320202199003150017") == "138****8000 320***********0017"
    assert mask_personal_numbers({"filters": {"q": "+8613800138000"}, "rows": [3]}) == {
        "filters": {"q": "+86138****8000"}, "rows": [3]}
    # Claim numbers, dates, ids and other long numbers are left alone.
    for kept in ("LP0000123", "2026-07-01", "member 12 王*", "12345678901234567890", "21", None, 7):
        assert mask_personal_numbers(kept) == kept


def test_no_audit_row_sms_page_or_log_holds_a_full_id_number_or_mobile(app, caplog):
    world = World()
    member = world.member
    id_number, mobile = member.id_number, member.mobile
    assert ID_NUMBER.fullmatch(id_number) and MOBILE.fullmatch(mobile)
    terms = (id_number, mobile)
    typed = (id_number, mobile, _spaced(id_number), f"{member.name} {id_number} {mobile}")
    union_code = world.home.code
    before = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    clients = {}

    def client_of(identity):
        if identity not in clients:
            clients[identity] = _client(app, world, identity)
        return clients[identity]

    def audited_since(mark: int) -> int:
        db.session.expire_all()
        return db.session.scalar(select(func.count()).where(AuditEvent.id > mark))

    def last_id() -> int:
        return db.session.scalar(select(func.max(AuditEvent.id))) or 0

    with caplog.at_level(logging.DEBUG):
        # Searches, and each list's export carrying the sealed search.
        for page, (identity, export) in SEARCHES.items():
            client = client_of(identity)
            for words in typed:
                answer = post_form(client, page, {"q": words})
                assert answer.status_code == 303, (page, answer.status_code)
                location = urlsplit(answer.headers["Location"])
                assert "s=" in location.query
                assert client.get(f"{location.path}?{location.query}").status_code == 200
                if export:
                    mark = last_id()
                    assert client.get(f"{export}?{location.query}").status_code == 200, export
                    assert audited_since(mark) == 1, export

        # Every export route, with the numbers in every filter name a list reads.
        exported, routes, served = set(), set(), set()
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            if "export" not in rule.rule or rule.rule.startswith("/api/"):
                continue
            exporter = next(name for name in EXPORTERS
                            if POLICY[rule.endpoint].allows(Role(world.staff[name].role)))
            values = {}
            if rule.endpoint == "review.export":  # a payout batch's bank file: the demo has no batch yet
                post_form(client_of("reviewer"), "/review/payouts", {})
                values = {"batch_id": db.session.scalar(select(func.max(PayoutBatch.id)))}
                assert values["batch_id"] is not None
            elif rule.arguments:
                sample = world.sample(rule.endpoint)
                assert sample is not None, f"no record to export for {rule.endpoint}"
                values = sample[0]
            path = rule.rule
            for argument, value in values.items():
                path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", str(value), path)
            client = client_of(exporter)
            routes.add(rule.endpoint)
            mark = last_id()
            for name in FILTER_NAMES:
                for words in terms:
                    if "GET" in rule.methods:
                        answer = client.get(path, query_string={name: words})
                    else:
                        answer = post_form(client, path, {name: words}, form_page="/review/payouts")
                    assert answer.status_code in (200, 302, 400), (path, name, answer.status_code)
                    if answer.status_code == 200:
                        served.add(rule.endpoint)
            if audited_since(mark):
                exported.add(rule.endpoint)
        # Every export that served a file audited it; only the demo's evaluation round, not yet
        # published, answers with a redirect ("结果发布后才能导出") and exports nothing.
        assert len(routes) >= 13 and served - exported == set() and routes - served == {"evaluation.export"}

        # An officer starts a claim by the member's ID number, typed in groups.
        officer = client_of("officer")
        answer = post_form(officer, "/claims/new", {"claim_type": "hospital", "id_number": _spaced(id_number),
                                                    "request_key": "auditmask-1"})
        assert answer.status_code == 302 and "/edit" in answer.headers["Location"], answer.status_code

        # A reviewer starts the review of a submitted claim and rejects it, the numbers in the note.
        reviewer = client_of("reviewer")
        claim = db.session.scalar(select(Claim).where(Claim.status == ClaimStatus.SUBMITTED).order_by(Claim.id))
        for decision, extra in (("start_review", {}),
                                ("reject", {"reason_code": "not_eligible",
                                            "reason": f"已电话核实（{mobile}），身份证 {_spaced(id_number)} 不符"})):
            db.session.expire_all()
            version = db.session.get(Claim, claim.id).version_id
            mark = last_id()
            answer = post_form(reviewer, f"/review/claims/{claim.id}",
                               {"decision": decision, "version": version, **extra})
            assert answer.status_code == 302 and audited_since(mark) == 1, (decision, answer.status_code)

        # A roster whose file is named by the member's ID number and mobile.
        body = f"参保名单\n\n手机号,姓名,身份证号\n{mobile},{member.name},{id_number}\n".encode()
        mark = last_id()
        answer = post_form(officer, "/enrollment/rosters", {
            "union_code": union_code, "roster": (io.BytesIO(body), f"{member.name}{id_number}-{mobile}.csv")},
            content_type="multipart/form-data")
        assert answer.status_code == 302, answer.status_code
        assert audited_since(mark) >= 1

        # The SMS log as an administrator reads it, every page of it.
        admin = client_of("admin")
        sms_pages = [admin.get("/staff/texts").get_data(as_text=True)]
        page_count = 1
        while f"page={page_count + 1}" in sms_pages[-1] and page_count < 50:
            page_count += 1
            sms_pages.append(admin.get(f"/staff/texts?page={page_count}").get_data(as_text=True))

    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)).all()
    assert len(events) > 60
    every_row = db.session.scalars(select(AuditEvent)).all()
    leaks = {}
    for event in every_row:
        text = " | ".join(str(value) for value in (
            event.actor_type, event.actor_id, event.actor_label, event.action, event.entity, event.entity_id,
            event.ip, event.user_agent, json.dumps(event.details, ensure_ascii=False)))
        if found := _leaks(text, terms):
            leaks[f"{event.id} {event.action}"] = found
    assert leaks == {}
    # The words did reach the log, masked: the test is not passing on an empty log.
    written = json.dumps([event.details for event in events], ensure_ascii=False)
    assert mask_id_number(id_number) in written and mask_mobile(mobile) in written

    for number, page in enumerate(sms_pages, start=1):
        rows = page.split('class="table-wrap"', 1)[-1]
        assert _leaks(rows, terms) == [], f"SMS log page {number}"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert _leaks(logged, terms) == []

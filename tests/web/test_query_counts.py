"""No N+1 queries: the key pages send as many SQL statements with three times the rows.

Each test renders a page with N rows, adds 2N more of the same kind, renders it again and compares
the statement counts (``count_queries``): a query per row (a lazy relationship in a loop, a count
per line) makes the second count larger and fails with both statement lists.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.demo.city import grow_city
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import StaffUser, Union
from portal.services.dashboards import summary as dashboard_summary
from tests.conftest import Auth, assert_same_count
from tests.factories import (
    HOSPITAL_FACTS,
    approved_claims,
    covered_member,
    create_enrollment,
    create_plan,
    create_staff,
    file_claim,
)
from tests.web.walk import STAFF, load_world, rules, signed_in


def _counted(client, count_queries, url: str, *, warm: bool = True):
    if warm:
        client.get(url)  # the first request may warm caches (translations, templates): not counted
    with count_queries() as log:
        response = client.get(url)
    return response, log


def _claim_for(member, number: int):
    admitted = date(2026, 3, 1) + timedelta(days=10 * number)
    facts = {**HOSPITAL_FACTS, "admission_date": admitted, "discharge_date": admitted + timedelta(days=5)}
    return file_claim(member, facts=facts, key=f"n1-{member.id}-{number}")


def test_the_member_s_cover_and_claims_pages_send_no_query_per_claim_or_cover(app, client, count_queries):
    member = covered_member(starts_on=date(2026, 1, 1))
    plan = create_plan(code="OLDER")
    pages = ("/enrollment/my", "/claims/", "/me/")

    def add(years: list[int], claims: range):
        for year in years:
            create_enrollment(member, plan, starts_on=date(year, 1, 1), is_renewal=True, status="expired")
        for number in claims:
            _claim_for(member, number)

    add([2025], range(0, 1))
    Auth(client).member(member)
    small = {url: _counted(client, count_queries, url) for url in pages}
    add([2022, 2023, 2024], range(1, 3))
    for url in pages:
        response, log = _counted(client, count_queries, url)
        assert response.status_code == small[url][0].status_code == 200
        assert_same_count(small[url][1], log, url)


def test_the_review_queue_and_payout_batch_send_no_query_per_claim(app, client, count_queries):
    reviewer = create_staff("n1_reviewer", Role.REVIEWER)
    for number in range(2):
        _claim_for(covered_member(), number)
    small_batch = _batch(reviewer, 2)
    Auth(client).staff("n1_reviewer")
    pages = ("/review/", "/review/?status=submitted", "/review/payouts")
    small = {url: _counted(client, count_queries, url) for url in pages}
    small[f"/review/payouts/{small_batch}"] = _counted(client, count_queries, f"/review/payouts/{small_batch}")

    for number in range(4):
        _claim_for(covered_member(), number)
    large_batch = _batch(reviewer, 6)
    for url in pages:
        response, log = _counted(client, count_queries, url)
        assert response.status_code == 200, url
        assert_same_count(small[url][1], log, url)
    response, log = _counted(client, count_queries, f"/review/payouts/{large_batch}")
    assert response.status_code == 200
    assert_same_count(small[f"/review/payouts/{small_batch}"][1], log, "a payout batch's page")


def _batch(reviewer, count: int) -> int:
    from portal.services.review import payouts
    from portal.services.unit_of_work import transaction

    approved_claims(reviewer, count)
    with transaction():
        return payouts.create_batch(reviewer).id


# Every list a member of staff opens (a GET route without arguments that answers them a page).
NOT_LISTS = (".xlsx", ".csv", "/healthz", "/auth/", "/lang")
SLICE = 0.0035  # of the city: 7 unions (one per district), 1,050 members, 210 claims


def test_no_staff_list_sends_a_query_per_row(app, count_queries):
    # The dashboard summary is rebuilt by the task queue, not by the page: the suite's age of 0 would
    # have every read rebuild it, and that rebuild's statements follow the months in the data.
    app.config["DASHBOARD_SUMMARY_MAX_AGE"] = 24 * 3600
    load_world()
    grow_city(SLICE, today=date(2026, 7, 1))
    # A district officer whose subtree the city's unions join, beside the demo's own accounts.
    district = db.session.scalar(select(Union).where(Union.code == "LX"))
    create_staff("officer_lx", Role.UNION_OFFICER, union=district, password="demo-portal-2026")
    db.session.commit()
    identities = (*STAFF, "officer_lx")
    clients = {identity: signed_in(app, identity) for identity in identities}
    assert db.session.scalar(select(StaffUser.id).where(StaffUser.username == "officer_lx"))
    urls = [rule.rule for rule in rules(app) if not rule.arguments and not rule.rule.endswith(NOT_LISTS)
            and not any(part in rule.rule for part in NOT_LISTS)]

    small, warmed = {}, set()
    for identity, client in clients.items():
        for url in urls:
            response, log = _counted(client, count_queries, url, warm=url not in warmed)
            warmed.add(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                small[identity, url] = log
    assert len(small) > 40, sorted(small)  # the walk really reached the lists

    grow_city(SLICE, today=date(2026, 7, 1))
    grow_city(SLICE, today=date(2026, 7, 1))
    db.session.commit()
    dashboard_summary.refresh()
    grown = []
    for (identity, url), log in small.items():
        response, larger = _counted(clients[identity], count_queries, url, warm=False)
        assert response.status_code == 200, (identity, url)
        if larger.count != log.count:
            grown.append((identity, url, log, larger))
    assert not grown, "\n\n".join(
        f"{identity} {url}: {log.count} → {larger.count}\n{larger}" for identity, url, log, larger in grown)


def test_the_payouts_page_counts_and_sums_the_backlog_in_sql_and_loads_only_its_page(app, client, monkeypatch):
    """A backlog of approved claims is counted and summed by the database; the page loads (and
    decrypts the bank cards of) only the claims it lists, whatever the backlog."""
    from sqlalchemy import event

    from portal.blueprints.review import staff as review_pages
    from portal.models.claims import Claim

    reviewer = create_staff("payout_pager", Role.REVIEWER)
    ids = [claim.id for claim in approved_claims(reviewer, 5)]  # 800元 each, oldest decision first
    monkeypatch.setattr(review_pages, "PER_PAGE", 2)
    Auth(client).staff("payout_pager")
    loaded: list[int] = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(Claim, "load", on_load)
    try:
        db.session.expunge_all()  # nothing already in the session: every claim the page reads is loaded
        first = client.get("/review/payouts").get_data(as_text=True)
        first_loaded, loaded[:] = list(loaded), []
        db.session.expunge_all()
        last = client.get("/review/payouts?page=3").get_data(as_text=True)
    finally:
        event.remove(Claim, "load", on_load)

    assert sorted(first_loaded) == sorted(ids[:2])
    assert loaded == [ids[4]]
    assert "已核准待发放（5）" in first and "4,000.00元" in first
    assert first.count("/review/claims/") == 2 and last.count("/review/claims/") == 1
    assert f"/review/claims/{ids[4]}" in last and "第 3 / 3 页" in last

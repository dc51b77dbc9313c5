"""The dashboard's figures: each scope sees exactly its subtree (compared with direct SQL over the
subtree, on SQLite and PostgreSQL), a grassroots union only itself, and the figures follow the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from portal.domain.dashboards import median
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Claim, Enrollment, UnionKind
from portal.services.dashboards import queries
from tests.factories import (
    create_childcare_class,
    create_enrollment,
    create_enterprise,
    create_kiosk,
    create_member,
    create_plan,
    create_position,
    create_staff,
    create_station,
    create_union,
)

NOW = datetime(2026, 7, 20, 4, 0, tzinfo=UTC)  # noon in China


def _claim(member, status: str, *, submitted: datetime, decided: datetime | None = None,
           paid: datetime | None = None, approved_fen: int | None = None) -> Claim:
    claim = Claim(member=member, union_id=member.union_id, claim_type="hospital", status=status,
                  filed_by_type="member", plan_year=2026, submitted_at=submitted, decided_at=decided,
                  paid_at=paid, approved_fen=approved_fen)
    db.session.add(claim)
    db.session.commit()
    return claim


@pytest.fixture
def city():
    """A federation with two districts; the first has two grassroots unions. Each union gets members,
    covers, claims in several states, a position, a childcare class and a kiosk, in different numbers."""
    federation = create_union("FED", "市总工会", kind=UnionKind.FEDERATION)
    district = create_union("DA", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    other = create_union("DB", "新吴区总工会", parent=federation, kind=UnionKind.DISTRICT)
    grassroots = create_union("GA1", "快递工会", parent=district)
    sibling = create_union("GA2", "环卫工会", parent=district)
    far = create_union("GB1", "软件园工会", parent=other)
    plan = create_plan()
    base = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    for index, union in enumerate([grassroots, sibling, far, grassroots, far, far, district]):
        for person in range(index + 1):
            member = create_member(union=union, name=f"会员{index}{person}")
            create_enrollment(member, plan, starts_on=date(2026, 1 + person % 6, 1))
            if person % 2:
                create_enrollment(member, plan, starts_on=date(2025, 3, 1))
            submitted = base + timedelta(days=index, hours=person)
            if person == 0:
                _claim(member, "submitted", submitted=submitted)
            elif person == 1:
                _claim(member, "paid", submitted=submitted, decided=submitted + timedelta(days=2 + index),
                       paid=submitted + timedelta(days=9 + index), approved_fen=120_000 + index * 100)
            elif person == 2:
                _claim(member, "rejected", submitted=submitted, decided=submitted + timedelta(days=1))
            else:
                _claim(member, "approved", submitted=submitted, decided=submitted + timedelta(hours=30 + person),
                       approved_fen=50_000)
        enterprise = create_enterprise(union=union)
        create_position(enterprise, places=index + 2)
        create_childcare_class(union, seats=10 + index)
        create_kiosk(create_station(union))
    return {"federation": federation, "district": district, "other": other, "grassroots": grassroots,
            "sibling": sibling, "far": far}


def _direct(union) -> dict:
    """The figures of ``union``'s subtree, straight from SQL over the tables (no service code)."""
    sub = "JOIN unions u ON u.id = t.union_id WHERE u.path LIKE :path"
    params = {"path": union.path + "%"}

    def one(sql):
        return db.session.execute(text(sql), params).one()

    enrolments, people = one(f"SELECT count(*), count(DISTINCT t.member_id) FROM enrollments t {sub} "
                             "AND t.status IN ('active', 'expired')")
    filed = one(f"SELECT count(*) FROM claims t {sub} AND t.status <> 'draft'")[0]
    paid, paid_fen = one(f"SELECT count(*), coalesce(sum(t.approved_fen), 0) FROM claims t {sub} AND t.status = 'paid'")
    waiting = one(f"SELECT count(*) FROM claims t {sub} "
                  "AND t.status IN ('submitted', 'in_review', 'awaiting_second')")[0]
    positions, places = one(f"SELECT count(*), coalesce(sum(t.places), 0) FROM positions t {sub}")
    enterprises = one(f"SELECT count(*) FROM enterprises t {sub} AND t.status = 'approved'")[0]
    classes, seats = one(f"SELECT count(*), coalesce(sum(t.seats), 0) FROM childcare_classes t {sub} "
                         "AND t.status = 'published'")
    kiosks = one("SELECT count(*) FROM kiosks k JOIN stations t ON t.id = k.station_id "
                 f"{sub} AND k.status = 'active'")[0]
    decided = db.session.execute(text(
        f"SELECT t.submitted_at, t.decided_at FROM claims t {sub} "
        "AND t.status IN ('approved', 'rejected', 'payout_pending', 'paid')"), params).all()
    return {"enrolments": enrolments, "people": people, "filed": filed, "paid": paid, "paid_fen": int(paid_fen),
            "waiting": waiting, "positions": positions, "places": int(places), "enterprises": enterprises,
            "classes": classes, "seats": int(seats), "kiosks": kiosks,
            "decision_days": [_days(submitted, decided) for submitted, decided in decided]}


def _days(earlier, later) -> float:
    if isinstance(earlier, str):  # SQLite hands back text through text()
        earlier, later = (datetime.fromisoformat(value) for value in (earlier, later))
    return (later - earlier).total_seconds() / 86400


def _service(board) -> dict:
    return {"enrolments": board.enrolment["enrolments"], "people": board.enrolment["people"],
            "filed": board.claims["filed"], "paid": board.claims["paid"], "paid_fen": board.claims["paid_fen"],
            "waiting": board.claims["open"], "positions": board.jobs["positions"], "places": board.jobs["places"],
            "enterprises": board.jobs["enterprises"], "classes": board.childcare["classes"],
            "seats": board.childcare["seats"], "kiosks": board.kiosks["active"]}


def test_a_district_officer_s_figures_equal_a_direct_query_over_its_subtree(city):
    officer = create_staff("district", Role.UNION_OFFICER, union=city["district"])
    board = queries.dashboard(officer, now=NOW)
    expected = _direct(city["district"])
    assert _service(board) == {key: value for key, value in expected.items() if key != "decision_days"}
    assert board.claims["median_days_to_decision"] == round(median(expected["decision_days"]), 1)
    # The district's own figures are not the city's: the other district has more of everything.
    assert board.enrolment["enrolments"] < _direct(city["federation"])["enrolments"]
    assert board.scope.union.code == "DA"


def test_the_federation_sees_everything_and_may_narrow_to_a_district(city):
    admin = create_staff("admin", Role.ADMIN)
    whole = queries.dashboard(admin, now=NOW)
    expected = _direct(city["federation"])
    assert _service(whole) == {key: value for key, value in expected.items() if key != "decision_days"}
    narrowed = queries.dashboard(admin, union_code="DB", now=NOW)
    assert _service(narrowed) == {key: value for key, value in _direct(city["other"]).items()
                                  if key != "decision_days"}


def test_a_grassroots_officer_sees_only_its_own_union(city):
    officer = create_staff("grassroots", Role.UNION_OFFICER, union=city["grassroots"])
    board = queries.dashboard(officer, now=NOW)
    expected = _direct(city["grassroots"])
    assert _service(board) == {key: value for key, value in expected.items() if key != "decision_days"}
    # Members of the grassroots union at index 0 and 3: 1 + 4 people.
    assert board.enrolment["people"] == 5
    # Neither its sibling nor its district can be asked for, and both answer as an unknown union does.
    for code in ("GA2", "DA", "NOPE"):
        with pytest.raises(InvalidInput) as refused:
            queries.dashboard(officer, union_code=code, now=NOW)
        assert refused.value.code == "dashboard_union"
    assert [union.code for union in queries.unions_to_choose(officer)] == ["GA1"]


def test_figures_follow_the_data(city):
    officer = create_staff("grassroots", Role.UNION_OFFICER, union=city["grassroots"])
    before = queries.dashboard(officer, now=NOW)
    member = create_member(union=city["grassroots"], name="新会员")
    create_enrollment(member, create_plan(code="NEW"), starts_on=date(2026, 7, 1))
    _claim(member, "paid", submitted=NOW - timedelta(days=20), decided=NOW - timedelta(days=18),
           paid=NOW - timedelta(days=10), approved_fen=99_900)
    after = queries.dashboard(officer, now=NOW)
    assert after.enrolment["enrolments"] == before.enrolment["enrolments"] + 1
    assert after.enrolment["people"] == before.enrolment["people"] + 1
    assert after.claims["paid"] == before.claims["paid"] + 1
    assert after.claims["paid_fen"] == before.claims["paid_fen"] + 99_900
    # Someone else's union changes nothing here.
    _claim(create_member(union=city["sibling"]), "paid", submitted=NOW - timedelta(days=3),
           decided=NOW - timedelta(days=2), paid=NOW - timedelta(days=1), approved_fen=1)
    assert queries.dashboard(officer, now=NOW).claims["paid"] == after.claims["paid"]


def test_the_year_filter_counts_plan_years_and_moments_in_china_s_time(city):
    admin = create_staff("admin", Role.ADMIN)
    all_years = queries.dashboard(admin, now=NOW).enrolment
    in_2025 = queries.dashboard(admin, year=2025, now=NOW).enrolment
    in_2026 = queries.dashboard(admin, year=2026, now=NOW).enrolment
    assert in_2025["enrolments"] + in_2026["enrolments"] == all_years["enrolments"]
    assert in_2025["enrolments"] == db.session.query(Enrollment).filter_by(plan_year=2025).count()
    # A claim submitted at 23:30 on 31 December in China is 2025's, though it is 15:30 UTC.
    member = create_member(union=city["far"])
    late = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
    _claim(member, "submitted", submitted=late)
    assert queries.dashboard(admin, year=2025, now=NOW).claims["filed"] == 1
    early = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January in China
    _claim(member, "submitted", submitted=early)
    assert queries.dashboard(admin, year=2025, now=NOW).claims["filed"] == 1


def test_the_median_in_sql_is_the_median(city):
    admin = create_staff("admin", Role.ADMIN)
    board = queries.dashboard(admin, now=NOW)
    expected = _direct(city["federation"])["decision_days"]
    assert len(expected) % 2 == 0 or len(expected) > 2
    assert board.claims["median_days_to_decision"] == round(median(expected), 1)
    member = create_member(union=city["far"])
    _claim(member, "approved", submitted=NOW - timedelta(days=400), decided=NOW, approved_fen=1)  # odd → even
    expected.append(400)
    assert queries.dashboard(admin, now=NOW).claims["median_days_to_decision"] == round(median(expected), 1)


def test_the_queue_ageing_counts_days_since_submission(city):
    reviewer = create_staff("reviewer", Role.REVIEWER)
    before = {row["label"]: row["count"] for row in queries.dashboard(reviewer, now=NOW).ageing}
    member = create_member(union=city["far"])
    for days in (1, 5, 7, 10, 20, 40, 40):
        _claim(member, "in_review", submitted=NOW - timedelta(days=days, minutes=1))
    _claim(member, "needs_documents", submitted=NOW - timedelta(days=2))  # waiting for the member, not a reviewer
    ageing = {row["label"]: row["count"] for row in queries.dashboard(reviewer, now=NOW).ageing}
    assert sum(ageing.values()) == queries.dashboard(reviewer, now=NOW).claims["open"]
    added = {label: ageing[label] - before[label] for label in ageing}
    assert added == {"3天内": 1, "3–7天": 2, "8–14天": 1, "15–30天": 1, "30天以上": 2}


def test_the_monthly_trend_puts_each_figure_in_its_month(city):
    admin = create_staff("admin", Role.ADMIN)
    months = {row["key"]: row for row in queries.dashboard(admin, year=2026, now=NOW).trends["months"]}
    assert list(months)[0] == "2026-01" and list(months)[-1] == "2026-12"
    paid = db.session.query(Claim).filter_by(status="paid").all()
    assert sum(row["claims_paid"] for row in months.values()) == len(paid)
    assert sum(row["paid_fen"] for row in months.values()) == sum(claim.approved_fen for claim in paid)
    assert sum(row["enrolments"] for row in months.values()) == db.session.query(Enrollment).filter_by(
        plan_year=2026).count()


def test_gifted_campaign_uptake_is_counted_against_its_quota(city):
    from portal.models import Campaign

    admin = create_staff("admin", Role.ADMIN)
    plan = create_plan(code="GIFT")
    campaign = Campaign(name="锡新保", sponsor="市总工会", plan=plan, union=city["federation"],
                        opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31), quota=4)
    db.session.add(campaign)
    db.session.commit()
    for union in (city["grassroots"], city["far"], city["far"]):
        enrolment = create_enrollment(create_member(union=union, is_gig_worker=True), plan)
        enrolment.campaign_id, enrolment.channel = campaign.id, "campaign"
    db.session.commit()
    (row,) = queries.dashboard(admin, now=NOW).campaigns
    assert (row["claimed"], row["quota"], row["percent"]) == (3, 4, 75)
    officer = create_staff("grassroots", Role.UNION_OFFICER, union=city["grassroots"])
    (mine,) = queries.dashboard(officer, now=NOW).campaigns
    assert mine["claimed"] == 1


def test_roles_see_the_sections_of_their_work(city):
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=city["grassroots"])
    board = queries.dashboard(organiser, now=NOW)
    assert board.childcare["classes"] == 2 and board.claims is None and board.enrolment is None
    enterprise = create_enterprise(union=city["far"], contact_username="contact")
    create_position(enterprise, places=7)
    from portal.models import StaffUser

    contact = db.session.query(StaffUser).filter_by(username="contact").one()
    jobs = queries.dashboard(contact, now=NOW)
    assert (jobs.jobs["positions"], jobs.jobs["places"]) == (1, 7) and jobs.claims is None
    reviewer = create_staff("reviewer", Role.REVIEWER)
    assert queries.dashboard(reviewer, now=NOW).childcare is None


def test_a_member_or_an_account_without_a_union_gets_no_figures(city):
    with pytest.raises(PermissionDenied):
        queries.dashboard(create_member(union=city["far"]), now=NOW)
    with pytest.raises(PermissionDenied):
        queries.dashboard(create_staff("lost", Role.UNION_OFFICER), now=NOW)


# --------------------------------------------------------------------------- the enrolment summary


@pytest.fixture
def varied(city):
    """``city`` and more: covers of three plan years through every channel and status, gifted covers
    of a campaign with claims granted and refused on them, members covered through two unions (one
    inside a district, one across districts) and a cover kept without a union."""
    from portal.models import Campaign

    plan = create_plan(code="VARIED")
    campaign = Campaign(name="锡新保", sponsor="市总工会", plan=plan, union=city["federation"],
                        opens_on=date(2025, 1, 1), closes_on=date(2026, 12, 31), quota=40)
    db.session.add(campaign)
    db.session.commit()
    channels = ["roster", "renewal", "self_service", "kiosk", "campaign"]
    statuses = ["active", "expired", "pending", "cancelled", "active", "expired"]
    unions = [city["grassroots"], city["sibling"], city["far"], city["district"], city["other"]]
    for number in range(30):
        union = unions[number % len(unions)]
        member = create_member(union=union, name=f"多样{number}")
        year = 2024 + number % 3
        enrolment = create_enrollment(member, plan, starts_on=date(year, 1 + number % 12, 1),
                                      status=statuses[number % len(statuses)])
        enrolment.channel = channels[number % len(channels)]
        if enrolment.channel == "campaign":
            enrolment.campaign_id = campaign.id
            for status in ("approved", "rejected", "paid"):
                db.session.add(Claim(member=member, union_id=union.id, claim_type="hospital", status=status,
                                     filed_by_type="member", plan_year=year, enrollment_id=enrolment.id,
                                     submitted_at=NOW - timedelta(days=30), decided_at=NOW - timedelta(days=20)))
    db.session.commit()
    # Claims across a year's end in China's time, decided and paid in the next year.
    for number, submitted in enumerate((datetime(2024, 12, 31, 15, 30, tzinfo=UTC),
                                        datetime(2024, 12, 31, 16, 30, tzinfo=UTC),
                                        datetime(2025, 11, 20, 2, 0, tzinfo=UTC))):
        _claim(create_member(union=unions[number], name=f"跨年{number}"), "paid", submitted=submitted,
               decided=submitted + timedelta(days=20 + number), paid=submitted + timedelta(days=45 + number),
               approved_fen=70_000 + number)
    inside = create_member(union=city["grassroots"], name="区内调动")
    create_enrollment(inside, plan, starts_on=date(2025, 2, 1), status="expired")
    create_enrollment(inside, plan, starts_on=date(2026, 2, 1), union=city["sibling"])
    across = create_member(union=city["grassroots"], name="跨区调动")
    create_enrollment(across, plan, starts_on=date(2024, 5, 1), status="expired")
    create_enrollment(across, plan, starts_on=date(2026, 5, 1), union=city["far"])
    create_enrollment(create_member(union=None, name="无工会"), plan, starts_on=date(2026, 3, 1))
    return {**city, "campaign": campaign, "inside": inside, "across": across}


def _scopes(admin):
    return [queries.resolve_scope(admin, code) for code in (None, "FED", "DA", "DB", "GA1", "GA2", "GB1")]


def test_the_summary_s_figures_equal_the_live_queries_in_every_scope_and_year(varied):
    from portal.domain.dashboards import Period
    from portal.services.dashboards import summary

    admin = create_staff("admin", Role.ADMIN)
    summary.refresh()
    for scope in _scopes(admin):
        counts = summary.read(scope)
        for year in (None, 2024, 2025, 2026, 2027):
            period = Period(year)
            where = (scope.union.code if scope.union else "all", year)
            assert counts.enrolment_figures(period) == queries.enrolment_figures(scope, period), where
            assert (queries.campaign_uptake(scope, period, counts)
                    == queries.campaign_uptake(scope, period)), where
            assert queries.claim_figures(scope, period, counts) == queries.claim_figures(scope, period), where
            for today in (date(2026, 7, 20), date(2025, 3, 1)):
                assert (queries.monthly_trends(scope, period, today=today, counts=counts)
                        == queries.monthly_trends(scope, period, today=today)), where
    # The data set reaches what it is meant to: gifted covers with granted claims, and people
    # counted once across their unions (the federation's people equal a direct count).
    everyone = summary.read(queries.resolve_scope(admin))
    (row,) = queries.campaign_uptake(queries.resolve_scope(admin), Period(None), everyone)
    assert row["claimed"] > 0 and row["claims_granted"] > 0
    people = db.session.scalar(text("SELECT count(DISTINCT member_id) FROM enrollments "
                                    "WHERE status IN ('active', 'expired')"))
    assert everyone.enrolment_figures(Period(None))["people"] == people
    district = summary.read(queries.resolve_scope(admin, "DA")).enrolment_figures(Period(None))
    assert district["people"] == _direct(varied["district"])["people"]
    assert everyone.claims_by_status(Period(2025)) and everyone.medians(Period(2025))[1] is not None


def test_the_summary_is_a_snapshot_until_it_is_refreshed(varied, app, monkeypatch):
    from portal.services.dashboards import summary

    monkeypatch.setitem(app.config, "DASHBOARD_SUMMARY_MAX_AGE", 3600)
    admin = create_staff("admin", Role.ADMIN)
    first = queries.dashboard(admin, now=NOW)  # no snapshot yet: computed in the request
    assert first.summary_taken_at is not None
    create_enrollment(create_member(union=varied["far"], name="新来的"), create_plan(code="LATE"),
                      starts_on=date(2026, 8, 1))
    _claim(create_member(union=varied["far"], name="新赔付"), "paid", submitted=NOW - timedelta(days=9),
           decided=NOW - timedelta(days=8), paid=NOW - timedelta(days=1), approved_fen=33_300)
    stale = queries.dashboard(admin, now=NOW)
    assert stale.enrolment == first.enrolment and stale.summary_taken_at == first.summary_taken_at
    assert stale.claims == first.claims and stale.trends == first.trends
    summary.refresh()
    fresh = queries.dashboard(admin, now=NOW)
    assert fresh.enrolment["enrolments"] == first.enrolment["enrolments"] + 1
    assert fresh.enrolment["people"] == first.enrolment["people"] + 1
    assert (fresh.claims["paid"], fresh.claims["paid_fen"]) == (first.claims["paid"] + 1,
                                                                first.claims["paid_fen"] + 33_300)
    assert fresh.summary_taken_at >= first.summary_taken_at
    # Refreshing twice adds nothing up twice.
    summary.refresh()
    assert queries.dashboard(admin, now=NOW).enrolment == fresh.enrolment
    # A snapshot older than the setting is refreshed by the request that finds it.
    create_enrollment(create_member(union=varied["far"], name="又一个"), create_plan(code="LATER"),
                      starts_on=date(2026, 9, 1))
    db.session.execute(text("UPDATE dashboard_snapshots SET taken_at = :old"),
                       {"old": (datetime.now(UTC) - timedelta(hours=2)).replace(tzinfo=None)
                        if db.engine.dialect.name == "sqlite" else datetime.now(UTC) - timedelta(hours=2)})
    db.session.commit()
    assert queries.dashboard(admin, now=NOW).enrolment["enrolments"] == fresh.enrolment["enrolments"] + 1


def test_a_change_to_covers_or_claims_schedules_one_refresh_and_a_rollback_none(varied, app):
    from portal.services.dashboards import summary

    queue = app.extensions["task_queue"]
    queue.take(summary.DUE_KEY)
    scheduled = len(queue.huey.scheduled())
    member = create_member(union=varied["far"], name="排队")  # no cover, no claim: nothing to refresh
    assert queue.peek(summary.DUE_KEY) is None
    enrolment = create_enrollment(member, create_plan(code="QUEUED"))
    requested = queue.peek(summary.DUE_KEY)
    assert requested is not None and len(queue.huey.scheduled()) == scheduled + 1
    enrolment.status = "expired"
    db.session.commit()
    assert len(queue.huey.scheduled()) == scheduled + 1  # debounced: the waiting refresh covers it
    summary.refresh_requested(requested)  # what the queued task runs
    assert queue.peek(summary.DUE_KEY) is None
    enrolment.status = "cancelled"
    db.session.flush()
    db.session.rollback()
    assert queue.peek(summary.DUE_KEY) is None
    _claim(member, "submitted", submitted=NOW)
    assert queue.peek(summary.DUE_KEY) is not None
    queue.take(summary.DUE_KEY)


def test_a_roster_import_written_through_the_driver_schedules_a_refresh_too(app):
    """The import writes its covers unseen by the session; its roster row stands for them."""
    from portal.domain.dashboards import Period
    from portal.services.dashboards import summary
    from portal.services.enrollment import rosters
    from tests.services.test_enrollment_rosters import _plan, person, xlsx

    union = create_union("LX09")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    _plan()
    before = summary.read(queries.resolve_scope(officer))
    queue = app.extensions["task_queue"]
    queue.take(summary.DUE_KEY)
    roster, _ = rosters.upload_roster(officer, union, xlsx([["姓名", "身份证号", "手机号"],
                                                           ["张三", person(41), "13900000041"],
                                                           ["李四", person(42), "13900000042"]]), "名单.xlsx")
    queue.take(summary.DUE_KEY)  # checking it wrote no cover; only the import matters here
    rosters.confirm_roster(officer, roster.id)
    requested = queue.peek(summary.DUE_KEY)
    assert requested is not None
    summary.refresh_requested(requested)
    after = summary.read(queries.resolve_scope(officer), max_age=timedelta(hours=1))
    every_year = Period(None)
    assert (after.enrolment_figures(every_year)["enrolments"]
            == before.enrolment_figures(every_year)["enrolments"] + 2)

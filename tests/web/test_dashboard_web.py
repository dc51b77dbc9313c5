"""The staff dashboard page: charts with their tables, filters in the address and in place with htmx,
refusals in words, the page's language, and the counts of work waiting in the navigation."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Claim, UnionKind
from tests.conftest import post_form
from tests.factories import (
    create_enrollment,
    create_member,
    create_plan,
    create_staff,
    create_union,
)


def _city():
    federation = create_union("FED", "市总工会", kind=UnionKind.FEDERATION)
    district = create_union("DA", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    other = create_union("DB", "新吴区总工会", parent=federation, kind=UnionKind.DISTRICT)
    grassroots = create_union("GA1", "快递工会", parent=district)
    plan = create_plan()
    now = clock.now()
    for union, people in ((grassroots, 3), (other, 5)):
        for number in range(people):
            member = create_member(union=union, name=f"会员{number}")
            create_enrollment(member, plan, starts_on=date(now.year, 1, 1))
            submitted = now - timedelta(days=number + 1)
            db.session.add(Claim(member=member, union_id=union.id, claim_type="hospital", filed_by_type="member",
                                 status="paid", submitted_at=submitted, decided_at=submitted + timedelta(days=1),
                                 paid_at=now - timedelta(hours=1), approved_fen=121_000))
            db.session.add(Claim(member=member, union_id=union.id, claim_type="hospital", filed_by_type="member",
                                 status="submitted", submitted_at=submitted))
    db.session.commit()
    return {"district": district, "other": other, "grassroots": grassroots}


def _figure(page: str, figure_id: str) -> str:
    match = re.search(rf'id="{figure_id}"><span class="figure-value">([^<]*)</span>', page)
    assert match, figure_id
    return match.group(1)


def test_the_federation_dashboard_shows_figures_and_accessible_charts(client, auth):
    _city()
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    page = client.get("/staff/").get_data(as_text=True)
    assert _figure(page, "figure-enrolments") == "8"
    assert _figure(page, "figure-paid") == "8"
    assert _figure(page, "figure-paid-amount") == "9,680.00元"
    # The enrolment figures come from the summary, and say when it was taken (today: the time only).
    assert re.search(r'id="summary-taken-at">参保和理赔数据截至 \d\d:\d\d<', page)
    charts = re.findall(r'<svg class="chart[^"]*" role="img"[^>]*aria-labelledby="([^"]+)"', page)
    assert len(charts) >= 5
    for labelled_by in charts:  # each chart names a <title> and a <desc> that exist
        title_id, desc_id = labelled_by.split()
        assert f'<title id="{title_id}">' in page and f'<desc id="{desc_id}">' in page
    # Each chart has its table: a caption, header cells and the same figures.
    assert page.count('<div class="chart-data"><table>') == len(charts)
    assert re.search(r"<th scope=\"row\">已发放</th><td class=\"num\">8</td>", page)
    assert " style=" not in page and "<script>" not in page


def test_filters_live_in_the_address_and_htmx_swaps_only_the_figures(client, auth):
    _city()
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    full = client.get("/staff/?union=DB").get_data(as_text=True)
    assert 'hx-push-url="true"' in full and 'hx-target="#dashboard-figures"' in full
    assert _figure(full, "figure-enrolments") == "5"
    assert '<option value="DB" selected>' in full
    fragment = client.get("/staff/?union=GA1", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    assert body.lstrip().startswith('<div id="dashboard-figures"') and "<html" not in body
    assert _figure(body, "figure-enrolments") == "3"
    next_year = clock.today().year + 1
    assert _figure(client.get(f"/staff/?year={next_year}").get_data(as_text=True), "figure-enrolments") == "0"


def test_a_union_outside_the_scope_or_junk_is_refused_in_words(client, auth):
    city = _city()
    create_staff("officer", Role.UNION_OFFICER, union=city["district"])
    auth.staff("officer")
    for query in ("union=DB", "union=NOPE", "year=abcd", "year=99999", "union=%00"):
        answer = client.get(f"/staff/?{query}")
        page = answer.get_data(as_text=True)
        assert answer.status_code in (200, 400), query
        if answer.status_code == 200:
            assert "role=\"alert\"" in page, query
            assert _figure(page, "figure-enrolments") == "3", query  # its own scope, never the other district's
    page = client.get("/staff/").get_data(as_text=True)
    assert _figure(page, "figure-enrolments") == "3"
    assert 'value="DB"' not in page  # the other district is not offered


def test_english_pages_show_english_months_and_money(client, auth):
    _city()
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    post_form(client, "/lang/en", {"next": "/"}, form_page="/")
    page = client.get("/staff/").get_data(as_text=True)
    assert _figure(page, "figure-paid-amount") == "¥9,680.00"
    month = clock.today().replace(day=1)
    assert f'<th scope="row">{month:%b %Y}</th>' in page
    assert "年" not in re.sub(r"<option[^>]*>[^<]*</option>", "", page.split('id="dashboard-figures"')[1]
                             .split("</div>\n<h2>")[0]).replace("锡新保", "")


def test_the_navigation_loads_the_counts_of_work_waiting(client, auth):
    city = _city()
    create_staff("reviewer", Role.REVIEWER)
    auth.staff("reviewer")
    page = client.get("/staff/").get_data(as_text=True)
    assert 'hx-get="/staff/queue-counts"' in page and 'hx-trigger="load, every 60s"' in page
    assert 'hx-select=".nav-queue-list"' in page  # a sign-in page (session ended) swaps in nothing
    counts = client.get("/staff/queue-counts", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'href="/review/">待审理赔<span class="nav-count">8</span>', counts)
    db.session.add(Claim(member=create_member(union=city["other"]), union_id=city["other"].id,
                         claim_type="hospital", filed_by_type="member", status="in_review",
                         submitted_at=datetime.now(UTC)))
    db.session.commit()
    counts = client.get("/staff/queue-counts").get_data(as_text=True)
    assert '待审理赔<span class="nav-count">9</span>' in counts


def test_an_officer_counts_only_its_own_queues(client, auth):
    from portal.models import Enrollment

    city = _city()
    for union in (city["grassroots"], city["other"]):
        member = create_member(union=union)
        db.session.add(Enrollment(member=member, plan_id=create_plan(code=f"P{union.id}").id, union_id=union.id,
                                  plan_year=clock.today().year, status="pending", channel="self_service",
                                  payer="member", contribution_fen=5000))
    db.session.commit()
    create_staff("officer", Role.UNION_OFFICER, union=city["district"])
    auth.staff("officer")
    counts = client.get("/staff/queue-counts").get_data(as_text=True)
    assert '自助参保待确认<span class="nav-count">1</span>' in counts
    assert "待审理赔" not in counts
    page = client.get("/staff/").get_data(as_text=True)
    assert re.search(r'id="queue-applications" href="/enrollment/applications"><span class="figure-value">1<', page)


def _sheets(content: bytes) -> dict[str, list[list]]:
    import io

    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def test_the_monthly_report_has_each_district_and_is_audited(client, auth):
    from portal.models import AuditEvent

    _city()
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    month = clock.today().replace(day=1)
    answer = client.get(f"/staff/report.xlsx?month={month:%Y-%m}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert "attachment" in answer.headers["Content-Disposition"]
    sheets = _sheets(answer.data)
    assert list(sheets) == ["概览", "职工互助保障", "理赔", "锡新保", "勤工俭学", "暑托班", "自助终端"]
    overview = {row[0]: row for row in sheets["概览"][3:]}
    headers = sheets["概览"][2]
    paid, amount = headers.index("累计发放人次"), headers.index("累计支付互助金（元）")
    assert overview["梁溪区总工会"][paid] == 3 and overview["新吴区总工会"][paid] == 5
    assert overview["合计"][paid] == 8 and overview["合计"][amount] == 9680
    assert "市总工会（本级）" in overview
    (event,) = db.session.query(AuditEvent).filter_by(action="dashboard.monthly_report").all()
    assert event.details["month"] == f"{month:%Y-%m}"


def test_a_district_s_report_lists_only_its_own_unions(client, auth):
    city = _city()
    create_staff("officer", Role.UNION_OFFICER, union=city["district"])
    auth.staff("officer")
    sheets = _sheets(client.get(f"/staff/report.xlsx?month={clock.today():%Y-%m}").data)
    names = [row[0] for row in sheets["概览"][3:]]
    assert names == ["快递工会", "梁溪区总工会（本级）", "合计"]
    assert client.get("/staff/report.xlsx?union=DB").status_code == 302  # refused, back to the dashboard
    assert "不在您的工作范围内" in client.get("/staff/").get_data(as_text=True)
    assert client.get("/staff/report.xlsx?month=2026-13").status_code == 302


def test_enterprise_contacts_and_organisers_get_no_monthly_report(client, auth):
    city = _city()
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=city["grassroots"])
    auth.staff("organiser")
    assert client.get("/staff/report.xlsx").status_code == 403
    assert 'id="monthly-report"' not in client.get("/staff/").get_data(as_text=True)


def test_an_account_without_its_union_or_enterprise_still_opens_its_start_page(client, auth):
    for username, role in (("lost_officer", Role.UNION_OFFICER), ("lost_contact", Role.ENTERPRISE)):
        create_staff(username, role)
        auth.staff(username)
        answer = client.get("/staff/")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, username
        assert 'role="alert"' in page and 'id="dashboard-figures"' not in page
        assert client.get("/staff/queue-counts").status_code == 200
        auth.logout()

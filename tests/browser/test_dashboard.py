"""A district officer opens the dashboard: the figures of its subtree, narrowed to one union in place
(the address keeps the filter, so the link can be shared), the counts of work waiting in the navigation."""

import re
from datetime import date

from playwright.sync_api import expect

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, UnionKind
from tests.factories import create_enrollment, create_member, create_plan, create_staff, create_union


def test_a_district_officer_narrows_the_figures_in_place(new_page, sign_in):
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    district = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    street = create_union("LXS", "崇安寺街道总工会", parent=district, kind=UnionKind.STREET)
    other = create_union("LXT", "南禅寺街道总工会", parent=district, kind=UnionKind.STREET)
    plan = create_plan()
    year = clock.today().year
    for union, people in ((street, 2), (other, 3)):
        for number in range(people):
            create_enrollment(create_member(union=union, name=f"会员{number}"), plan, starts_on=date(year, 1, 1))
    waiting = create_member(union=street)
    db.session.add(Enrollment(member=waiting, plan_id=plan.id, union_id=street.id, plan_year=year + 1,
                              status="pending", channel="self_service", payer="member", contribution_fen=5000))
    db.session.commit()
    create_staff("district", Role.UNION_OFFICER, union=district)

    page = new_page()
    sign_in.staff(page, "district")
    page.goto("/staff/")
    enrolments = page.locator("#figure-enrolments .figure-value")
    expect(enrolments).to_have_text("5")
    expect(page.locator(".nav-queues")).to_contain_text("自助参保待确认1")  # loaded by htmx
    page.evaluate("window.stillTheSamePage = true")

    page.locator("select[name=union]").select_option("LXS")
    expect(enrolments).to_have_text("2")
    expect(page.locator("#dashboard-scope")).to_contain_text("崇安寺街道总工会")
    expect(page).to_have_url(re.compile(r"union=LXS"))
    assert page.evaluate("window.stillTheSamePage") is True, "the filter reloaded the whole page"
    expect(page.locator("svg.chart[role=img] title").first).to_have_text(re.compile(".+"))

    page.goto(page.url)  # the shared address shows the same figures
    expect(enrolments).to_have_text("2")
    expect(page.locator("select[name=union]")).to_have_value("LXS")

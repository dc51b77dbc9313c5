"""Issue 15, finding 6: one cover, one status. A cover written today by a roster or a gift starts
tomorrow; the member's page, their history, the officer's enrolment list and the members list all
call it 即将生效 (and a current cover 保障中) from one function and one label table."""

from __future__ import annotations

import re
from datetime import date, timedelta

from portal import clock
from portal.domain.enrollment import CoverStatus, cover_status, person_cover_status
from portal.domain.roles import Role
from tests.factories import create_enrollment, create_member, create_staff, create_union

TODAY = date(2026, 7, 1)


class Cover:
    def __init__(self, status, starts_on, ends_on):
        self.status, self.starts_on, self.ends_on = status, starts_on, ends_on


def test_one_function_words_every_cover():
    year = (TODAY + timedelta(days=1), TODAY + timedelta(days=365))
    assert cover_status("active", *year, TODAY) is CoverStatus.UPCOMING
    assert cover_status("active", TODAY, TODAY + timedelta(days=364), TODAY) is CoverStatus.ACTIVE
    assert cover_status("expired", TODAY - timedelta(days=365), TODAY, TODAY) is CoverStatus.ACTIVE
    assert cover_status("active", TODAY - timedelta(days=400), TODAY - timedelta(days=1), TODAY) is CoverStatus.ENDED
    assert cover_status("pending", None, None, TODAY) is CoverStatus.PENDING
    assert cover_status("cancelled", *year, TODAY) is CoverStatus.CANCELLED
    renewed = [Cover("active", TODAY - timedelta(days=300), TODAY + timedelta(days=64)), Cover("active", *year)]
    assert person_cover_status(renewed, TODAY)[0] is CoverStatus.ACTIVE
    assert person_cover_status([Cover("pending", None, None), Cover("active", *year)], TODAY)[0] is CoverStatus.UPCOMING
    assert person_cover_status([], TODAY) == (CoverStatus.NONE, None)


def statuses(page: str) -> list[str]:
    return re.findall(r'data-cover-status="(\w+)"', page)


def test_a_cover_starting_tomorrow_is_about_to_start_on_every_page(app, client, auth):
    union = create_union()
    member = create_member(union=union, name="王小明")
    create_enrollment(member, starts_on=clock.today() + timedelta(days=1), union=union)
    create_staff("off", Role.UNION_OFFICER, union=union)

    auth.member(member)
    mine = client.get("/enrollment/my").get_data(as_text=True)
    assert set(statuses(mine)) == {"upcoming"} and len(statuses(mine)) == 2  # header and history
    assert "即将生效" in mine and "保障中" not in mine
    auth.logout()

    auth.staff("off", "correct-horse-42")
    for url in ("/enrollment/", "/enrollment/members"):
        page = client.get(url).get_data(as_text=True)
        assert statuses(page) == ["upcoming"], (url, statuses(page))
        assert "即将生效" in page and "未参保</span>" not in page


def test_a_current_cover_is_covered_on_every_page(app, client, auth):
    union = create_union()
    member = create_member(union=union)
    create_enrollment(member, starts_on=clock.today() - timedelta(days=10), union=union)
    create_staff("off", Role.UNION_OFFICER, union=union)
    auth.member(member)
    assert set(statuses(client.get("/enrollment/my").get_data(as_text=True))) == {"active"}
    auth.logout()
    auth.staff("off", "correct-horse-42")
    assert statuses(client.get("/enrollment/").get_data(as_text=True)) == ["active"]
    assert statuses(client.get("/enrollment/members").get_data(as_text=True)) == ["active"]

"""Issue 15, finding 10: a work-study placement showed 实践中 a month before it started. Its status
comes from one function (``portal.domain.jobs.placement_shown``) with one set of words, the same for
the student (their own link), the parent, the enterprise and the union officer: 待上岗 until its first
day, 实践中 from then on."""

import re
from datetime import date, datetime, timedelta

from portal import clock
from portal.domain.jobs import PlacementShown, placement_shown
from portal.domain.roles import Role
from portal.extensions import db
from portal.services.jobs.placements import link_token_hash
from tests.conftest import Auth
from tests.factories import (
    create_application,
    create_enterprise,
    create_member,
    create_placement,
    create_position,
    create_staff,
    create_student,
    create_union,
)

STATUS = re.compile(r'data-placement-status="(\w+)">([^<]+)<')


def test_the_words_come_from_one_function():
    first_day = date(2026, 8, 1)
    assert placement_shown("confirmed", first_day, date(2026, 7, 1)) is PlacementShown.AWAITING_AGREEMENT
    assert placement_shown("under_way", first_day, date(2026, 7, 1)) is PlacementShown.NOT_STARTED
    assert placement_shown("under_way", first_day, first_day) is PlacementShown.UNDER_WAY
    assert placement_shown("finished", first_day, date(2026, 9, 1)) is PlacementShown.FINISHED


def shown(page: str) -> set[tuple[str, str]]:
    return set(STATUS.findall(page))


def test_every_role_sees_a_placement_that_has_not_started_as_not_started(app, monkeypatch):
    today = clock.today()
    street = create_union("HS0101", "长安街道总工会")
    create_staff("officer", Role.UNION_OFFICER, union=street)
    enterprise = create_enterprise(union=street, contact_username="firm")
    parent = create_member(union=street, name="李建国")
    position = create_position(enterprise, starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=60),
                               apply_by=today + timedelta(days=20))
    student = create_student(parent, name="李明")
    placement = create_placement(create_application(position, student), status="under_way")  # agreed and insured
    placement.access_token_hash = link_token_hash("student-link-token")
    db.session.commit()

    officer, firm, family, student_phone = (app.test_client() for _ in range(4))
    Auth(officer).staff("officer")
    Auth(firm).staff("firm")
    Auth(family).member(parent)

    def pages() -> dict[str, str]:
        return {
            "student": student_phone.get("/jobs/s/student-link-token").get_data(as_text=True),
            "parent list": family.get("/jobs/me").get_data(as_text=True),
            "parent": family.get(f"/jobs/me/placements/{placement.id}").get_data(as_text=True),
            "enterprise list": firm.get("/jobs/enterprise/").get_data(as_text=True),
            "enterprise": firm.get(f"/jobs/enterprise/placements/{placement.id}").get_data(as_text=True),
            "union list": officer.get("/jobs/union/placements").get_data(as_text=True),
            "union": officer.get(f"/jobs/union/placements/{placement.id}").get_data(as_text=True),
        }

    for who, page in pages().items():
        assert shown(page) == {("not_started", "待上岗")}, who
        assert "实践中" not in page, who

    first_day = datetime.combine(position.starts_on, datetime.min.time().replace(hour=9), tzinfo=clock.CHINA)
    monkeypatch.setattr(clock, "now", lambda: first_day)
    for who, page in pages().items():
        assert shown(page) == {("under_way", "实践中")}, who


def test_the_union_counts_under_way_only_placements_that_started(app, client, auth, monkeypatch):
    today = clock.today()
    street = create_union("HS0101", "长安街道总工会")
    create_staff("officer", Role.UNION_OFFICER, union=street)
    enterprise = create_enterprise(union=street)
    position = create_position(enterprise, starts_on=today + timedelta(days=30), ends_on=today + timedelta(days=60),
                               apply_by=today + timedelta(days=20))
    create_placement(create_application(position), status="under_way")
    auth.staff("officer")
    figure = re.compile(r'figure-value">(\d+)</span><span>实践中')
    assert figure.search(client.get("/jobs/union/").get_data(as_text=True)).group(1) == "0"
    monkeypatch.setattr(clock, "now", lambda: datetime.combine(position.starts_on, datetime.min.time(),
                                                               tzinfo=clock.CHINA))
    assert figure.search(client.get("/jobs/union/").get_data(as_text=True)).group(1) == "1"

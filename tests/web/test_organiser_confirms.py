"""Issue 15, finding 4: on the organiser's tablet, 取消 first shows whose seat it is, who moves up
and that two families are texted; a mistaken 到 or pick-up is taken back with 撤销."""

from datetime import datetime, timedelta

from sqlalchemy import select

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Attendance, ChildcareClass, Registration
from tests.conftest import post_form
from tests.factories import create_member, create_staff, create_union
from tests.web.test_childcare import (  # noqa: F401 - travel is a fixture
    MONDAY,
    PHONE,
    _token,
    class_form,
    registration_form,
    signed_in_member,
    travel,
)


def allocated_class(app, client, auth, travel):  # noqa: F811
    park = create_union("XW01", "新吴区软件园工会")
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    auth.staff("organiser")
    post_form(client, "/childcare/manage/new", class_form(seats="1"))
    cls = db.session.scalar(select(ChildcareClass))
    post_form(client, f"/childcare/manage/{cls.id}/publish", {}, form_page=f"/childcare/manage/{cls.id}")
    for index, name in enumerate(("甲", "乙")):
        phone = signed_in_member(app, create_member(union=park, name=name))
        post_form(phone, f"/childcare/classes/{cls.id}/register",
                  registration_form(101 + 2 * index, child_name=f"{name}小孩"), headers=PHONE)
    travel(MONDAY + timedelta(days=5))
    post_form(client, f"/childcare/manage/{cls.id}/allocate", {}, form_page=f"/childcare/manage/{cls.id}")
    regs = {r.status: r for r in db.session.scalars(select(Registration))}
    return cls, regs["confirmed"], regs["waitlisted"]


def test_cancelling_a_seat_shows_who_moves_up_before_anything_happens(app, client, auth, travel):  # noqa: F811
    cls, seated, waiting = allocated_class(app, client, auth, travel)
    roster = client.get(f"/childcare/manage/{cls.id}").get_data(as_text=True)
    assert f'href="/childcare/manage/registrations/{seated.id}/cancel"' in roster  # a link, not a one-tap POST
    page = client.get(f"/childcare/manage/registrations/{seated.id}/cancel").get_data(as_text=True)
    assert seated.child.masked_name in page and waiting.child.masked_name in page
    assert "将递补录取" in page and "将给2个家庭发送短信通知" in page
    db.session.expire_all()
    assert db.session.get(Registration, seated.id).status == "confirmed"  # looking changed nothing
    answer = post_form(client, f"/childcare/manage/registrations/{seated.id}/cancel", {"class_id": cls.id},
                       form_page=f"/childcare/manage/registrations/{seated.id}/cancel")
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, seated.id).status == "cancelled"
    assert db.session.get(Registration, waiting.id).status == "confirmed"


def test_a_mistaken_tap_is_taken_back(app, client, auth, travel):  # noqa: F811
    cls, seated, _waiting = allocated_class(app, client, auth, travel)
    travel(datetime(2026, 6, 29, 8, 5, tzinfo=clock.CHINA))
    htmx = {"HX-Request": "true", "X-CSRFToken": _token(client, f"/childcare/manage/{cls.id}/attendance")}
    day = "?day=2026-06-29"
    row = client.post(f"/childcare/manage/{cls.id}/attendance/{seated.id}{day}", data={"status": "present"},
                      headers=htmx).get_data(as_text=True)
    assert "撤销：到" in row
    row = client.post(f"/childcare/manage/{cls.id}/undo/{seated.id}{day}", headers=htmx).get_data(as_text=True)
    assert ">到</button>" in row and "撤销" not in row
    assert db.session.scalar(select(Attendance).where(Attendance.registration_id == seated.id)) is None

    client.post(f"/childcare/manage/{cls.id}/attendance/{seated.id}{day}", data={"status": "present"}, headers=htmx)
    adult = db.session.get(Registration, seated.id).child.authorised_adults[0]
    row = client.post(f"/childcare/manage/{cls.id}/pickup/{seated.id}{day}", data={"pickup_adult_id": adult.id},
                      headers=htmx).get_data(as_text=True)
    assert "撤销：接走" in row
    row = client.post(f"/childcare/manage/{cls.id}/undo/{seated.id}{day}", headers=htmx).get_data(as_text=True)
    assert "已到 08:05" in row and "撤销：到" in row
    db.session.expire_all()
    mark = db.session.scalar(select(Attendance).where(Attendance.registration_id == seated.id))
    assert mark.status == "present" and mark.picked_up_at is None

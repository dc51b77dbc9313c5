"""Issue 15, finding 4 (the ballot): 抽签 is one tap with irreversible effects that texts every family.
It first shows what the draw will do (requests, seats, by tier, the texts); only the confirmation
draws, and a second submit of the confirmation draws nothing."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import ChildcareBallot, ChildcareClass, Registration, SmsMessage
from tests.conftest import csrf_token, post_form
from tests.factories import create_member, create_staff, create_union
from tests.web.test_childcare import (  # noqa: F401 - travel is a fixture
    MONDAY,
    PHONE,
    class_form,
    registration_form,
    signed_in_member,
    travel,
)


def class_with_requests(app, client, auth, travel):  # noqa: F811
    """Two seats, three requests: a courier (first priority) and two other families."""
    park = create_union("XW01", "新吴区软件园工会")
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    auth.staff("organiser")
    post_form(client, "/childcare/manage/new", class_form(seats="2"))
    cls = db.session.scalar(select(ChildcareClass))
    post_form(client, f"/childcare/manage/{cls.id}/publish", {}, form_page=f"/childcare/manage/{cls.id}")
    parents = [create_member(union=park, name="快递员", occupation="快递员", is_gig_worker=True),
               create_member(union=park, name="甲"), create_member(union=park, name="乙")]
    for index, parent in enumerate(parents):
        phone = signed_in_member(app, parent)
        answer = post_form(phone, f"/childcare/classes/{cls.id}/register", registration_form(101 + 2 * index),
                           headers=PHONE)
        assert answer.status_code == 302
    travel(MONDAY + timedelta(days=5))  # the window closed on Friday
    return cls


def texts_sent() -> int:
    return db.session.scalar(select(func.count(SmsMessage.id)).where(SmsMessage.kind.like("childcare%")))


def test_the_draw_shows_what_it_will_do_and_a_second_submit_draws_nothing(app, client, auth, travel):  # noqa: F811
    cls = class_with_requests(app, client, auth, travel)
    url = f"/childcare/manage/{cls.id}/allocate"
    page = client.get(f"/childcare/manage/{cls.id}").get_data(as_text=True)
    assert f'href="{url}"' in page and f'action="{url}"' not in page  # a link to the preview, not a one-tap POST

    texts_before = texts_sent()
    preview = client.get(url).get_data(as_text=True)
    assert "3份报名将分配2个名额：2人录取，1人进入候补" in preview
    assert "第一优先（新就业形态劳动者、环卫工人）" in preview and "全部录取" in preview
    assert "抽签决定1个名额，其余1人候补" in preview
    assert "将给3个家庭发送短信" in preview and "不能撤销" in preview
    assert "data-disable-once" in preview
    db.session.expire_all()
    assert db.session.get(ChildcareClass, cls.id).ballot is None  # looking drew nothing, texted nobody
    assert {r.status for r in db.session.scalars(select(Registration))} == {"requested"}
    assert texts_sent() == texts_before

    token = csrf_token(client, url)
    first = client.post(url, data={"csrf_token": token})
    assert first.status_code == 302
    landed = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "结果已短信通知3个家庭" in landed
    db.session.expire_all()
    ballot = db.session.scalar(select(ChildcareBallot))
    texts_after_draw = texts_sent()
    assert texts_after_draw == texts_before + 3

    second = client.post(url, data={"csrf_token": token})  # the same form sent again (a double tap, a reload)
    assert second.status_code == 302
    assert "没有重复抽签" in client.get(second.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ChildcareBallot.id))) == 1
    assert db.session.scalar(select(ChildcareBallot)).seed == ballot.seed
    assert texts_sent() == texts_after_draw

    again = client.get(url)  # the preview of a drawn class sends back to the class with the reason
    assert again.status_code == 302
    assert "没有重复抽签" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_no_preview_while_the_window_is_open(app, client, auth, travel):  # noqa: F811
    park = create_union("XW01", "新吴区软件园工会")
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    auth.staff("organiser")
    post_form(client, "/childcare/manage/new", class_form())
    cls = db.session.scalar(select(ChildcareClass))
    post_form(client, f"/childcare/manage/{cls.id}/publish", {}, form_page=f"/childcare/manage/{cls.id}")
    answer = client.get(f"/childcare/manage/{cls.id}/allocate")
    assert answer.status_code == 302
    assert "之后才能分配名额" in client.get(answer.headers["Location"]).get_data(as_text=True)

"""The events pages per role: a member registers from a phone, the union confirms, the door checks
in by number (htmx), the member chooses a number; other unions and members see nothing of it."""

from datetime import datetime, time

import pytest

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, SinglesParticipant
from tests.conftest import Auth, csrf_token, post_form
from tests.factories import (
    EVENT_DAY,
    TODAY,
    create_single,
    create_singles_event,
    create_staff,
    create_union,
    create_wedding,
)


@pytest.fixture
def travel(monkeypatch):
    def to(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)
    to(datetime.combine(TODAY, time(10), tzinfo=clock.CHINA))
    return to


def _client(app, who):
    client = app.test_client()
    if isinstance(who, str):
        Auth(client).staff(who)
    else:
        Auth(client).member(who)
    return client


def test_an_event_from_registration_to_a_match(app, travel):
    federation = create_union("WX", "无锡市总工会")
    union = create_union("A01", "甲公司工会", federation)
    create_staff("wx", Role.UNION_OFFICER, federation)
    event = create_singles_event(federation, title="缘起工会第30场")
    he, she = create_single(union, name="王建华", gender="M"), create_single(union, name="刘晓梅", gender="F")

    public = app.test_client().get("/events/").get_data(as_text=True)
    assert "缘起工会第30场" in public
    numbers = {}
    clients = {he.id: _client(app, he), she.id: _client(app, she)}
    for member in (he, she):
        client = clients[member.id]
        page = post_form(client, f"/events/{event.id}/register", {"declared_single": "y", "accepted_privacy": "y"},
                         follow_redirects=True)
        assert "待工会确认" in page.get_data(as_text=True)
        numbers[member.id] = db.session.query(SinglesParticipant).filter_by(member_id=member.id).one()

    officer = _client(app, "wx")
    board = officer.get("/events/manage/").get_data(as_text=True)
    assert "王*华" in board and "王建华" not in board  # masked even for the union
    for participant in numbers.values():
        post_form(officer, f"/events/manage/participants/{participant.id}/decide", {"decision": "confirm"},
                  form_page="/events/manage/")

    travel(datetime.combine(EVENT_DAY, time(14), tzinfo=clock.CHINA))
    token = csrf_token(officer, f"/events/manage/{event.id}/door")
    for participant in numbers.values():
        answer = officer.post(f"/events/manage/{event.id}/door", headers={"HX-Request": "true"},
                              data={"csrf_token": token, "number": participant.number})
        assert answer.status_code == 200 and f"{participant.number}号嘉宾已签到" in answer.get_data(as_text=True)
        assert "<html" not in answer.get_data(as_text=True)  # the fragment only

    him = clients[he.id]
    post_form(him, f"/events/mine/{numbers[he.id].id}/choose", {"number": numbers[she.id].number},
              form_page=f"/events/mine/{numbers[he.id].id}")
    her = clients[she.id]
    page = her.get(f"/events/mine/{numbers[she.id].id}").get_data(as_text=True)
    assert "互选成功" not in page and "王" not in page.split("<main", 1)[-1]  # nothing of who chose her
    page = post_form(her, f"/events/mine/{numbers[she.id].id}/choose", {"number": numbers[he.id].number},
                     form_page=f"/events/mine/{numbers[she.id].id}", follow_redirects=True).get_data(as_text=True)
    assert "互选成功" in page and "王建华" not in page and "王*华" not in page
    figures = officer.get("/events/manage/").get_data(as_text=True)
    assert "1对" in figures


def test_each_role_sees_only_its_own(app, travel):
    federation = create_union("WX", "无锡市总工会")
    a = create_union("A01", "甲公司工会", federation)
    b = create_union("B01", "乙公司工会", federation)
    create_staff("officer_a", Role.UNION_OFFICER, a)
    create_staff("officer_b", Role.UNION_OFFICER, b)
    create_staff("rev", Role.REVIEWER)
    event = create_singles_event(a)
    member = create_single(a)

    member_client = _client(app, member)
    assert member_client.get("/events/manage/").status_code == 403
    assert _client(app, "rev").get("/events/manage/").status_code == 403
    assert _client(app, "officer_b").get(f"/events/manage/{event.id}").status_code == 403
    assert _client(app, "officer_a").get(f"/events/manage/{event.id}").status_code == 200
    outsider = create_single(b)
    page = post_form(_client(app, outsider), f"/events/{event.id}/register",
                     {"declared_single": "y", "accepted_privacy": "y"})
    assert "您所在工会不在范围内" in page.get_data(as_text=True)
    assert db.session.query(SinglesParticipant).filter_by(member_id=outsider.id).count() == 0
    someone = create_single(a)
    client = _client(app, someone)
    post_form(client, f"/events/{event.id}/register", {"declared_single": "y", "accepted_privacy": "y"})
    participant = db.session.query(SinglesParticipant).filter_by(member_id=someone.id).one()
    assert member_client.get(f"/events/mine/{participant.id}").status_code == 404


def test_the_wedding_programme_prints_and_is_audited(app, travel):
    federation = create_union("WX", "无锡市总工会")
    create_staff("wx", Role.UNION_OFFICER, federation)
    wedding = create_wedding(federation, title="百对新人集体婚礼")
    client = _client(app, "wx")
    page = client.get(f"/events/manage/weddings/{wedding.id}/programme")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'class="programme"' in body and "14:00 新人入场" in body and "no-print" in body
    assert db.session.query(AuditEvent).filter_by(action="events.wedding_programme").count() == 1

"""The childcare pages end to end: an organiser publishes, parents register from a phone, the
window closes and seats are drawn, a cancellation promotes, attendance and pick-up by htmx."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, ChildcareClass, Registration, SmsMessage
from portal.services.childcare import registrations
from tests.conftest import Auth, post_form
from tests.factories import TODAY, child_input, create_childcare_class, create_member, create_staff, create_union

PHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}
MONDAY = datetime(2026, 6, 15, 10, 0, tzinfo=clock.CHINA)


@pytest.fixture
def travel(monkeypatch):
    """Set the portal's clock (services and views read it through ``portal.clock``)."""
    def to(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)
    to(MONDAY)
    return to


def signed_in_member(app, member):
    client = app.test_client()
    Auth(client).member(member)
    return client


def class_form(**overrides):
    values = {
        "name": "工娃小家·软件园班", "union_code": "", "site_name": "软件园职工服务中心", "address": "菱湖大道",
        "contact_phone": "0510-85200000", "starts_on": "2026-06-29", "ends_on": "2026-07-31",
        "weekdays": ["1", "2", "3", "4", "5"], "daily_start": "08:00", "daily_end": "17:30", "seats": "2",
        "min_age": "6", "max_age": "12", "fee": "0", "meals": "午餐", "programme": "参观无锡博物院",
        "staff_and_volunteers": "志愿者8名", "safety_rules": "只交给授权接送人。",
        "registration_opens_on": "2026-06-15", "registration_closes_on": "2026-06-19",
    }
    values.update(overrides)
    return values


def registration_form(sequence, **overrides):
    values = {
        "child_name": "王小明", "child_id_number": compose_id_number("320214", datetime(2018, 5, 1).date(), sequence),
        "health_notes": "轻度哮喘", "allergies": "花生", "declared_category": "", "accept_rules": "y",
        "pickup_adults-0-name": "王芳", "pickup_adults-0-relation": "母亲", "pickup_adults-0-mobile": "13912345678",
        "pickup_adults-1-name": "", "pickup_adults-1-relation": "", "pickup_adults-1-mobile": "",
        "pickup_adults-2-name": "", "pickup_adults-2-relation": "", "pickup_adults-2-mobile": "",
    }
    values.update(overrides)
    return values


def test_publish_register_draw_promote_and_take_attendance(app, client, auth, travel):
    park = create_union("XW01", "新吴区软件园工会")
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    auth.staff("organiser")
    answer = post_form(client, "/childcare/manage/new", class_form())
    assert answer.status_code == 302
    cls = db.session.scalar(select(ChildcareClass))
    assert cls.status == "draft" and cls.union_id == park.id
    post_form(client, f"/childcare/manage/{cls.id}/publish", {}, form_page=f"/childcare/manage/{cls.id}")
    listing = client.get("/childcare/", headers=PHONE).get_data(as_text=True)
    assert "工娃小家·软件园班" in listing and "余2个" in listing

    courier = create_member(union=park, name="快递员", occupation="快递员", is_gig_worker=True)
    parents = [courier, create_member(union=park, name="甲"), create_member(union=park, name="乙")]
    phones = {}
    for index, parent in enumerate(parents):
        phones[parent.id] = phone = signed_in_member(app, parent)
        url = f"/childcare/classes/{cls.id}/register"
        assert phone.get(url, headers=PHONE).status_code == 200
        answer = post_form(phone, url, registration_form(101 + 2 * index), headers=PHONE)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert "已报名，待分配" in phone.get(answer.headers["Location"]).get_data(as_text=True)

    travel(MONDAY + timedelta(days=5))  # the window closed on Friday
    answer = post_form(client, f"/childcare/manage/{cls.id}/allocate", {}, form_page=f"/childcare/manage/{cls.id}")
    assert answer.status_code == 302
    statuses = {r.parent_id: r for r in db.session.scalars(select(Registration))}
    assert statuses[courier.id].status == "confirmed"
    waiting = next(r for r in statuses.values() if r.status == "waitlisted")
    seated = next(r for r in statuses.values() if r.status == "confirmed" and r.parent_id != courier.id)
    assert "候补第1位" in phones[waiting.parent_id].get("/childcare/mine").get_data(as_text=True)

    page = client.get(f"/childcare/classes/{cls.id}").get_data(as_text=True)
    seed = db.session.get(ChildcareClass, cls.id).ballot.seed
    assert seed in page and "重新运行并比对" in page
    check = client.get(f"/childcare/classes/{cls.id}/ballot-check", headers={"HX-Request": "true"})
    assert "一致" in check.get_data(as_text=True) and "<html" not in check.get_data(as_text=True)

    phone = phones[seated.parent_id]
    answer = post_form(phone, f"/childcare/registrations/{seated.id}/cancel", {"reason": "孩子回老家"},
                       form_page=f"/childcare/registrations/{seated.id}")
    assert answer.status_code == 302
    db.session.expire_all()  # the pages changed the rows in their own sessions
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    promoted = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "childcare_promoted"))
    assert promoted.member_id == waiting.parent_id
    assert "已录取" in phones[waiting.parent_id].get("/childcare/mine").get_data(as_text=True)

    travel(datetime(2026, 6, 29, 8, 5, tzinfo=clock.CHINA))  # first class day
    sheet = client.get(f"/childcare/manage/{cls.id}/attendance").get_data(as_text=True)
    assert f'id="attendance-{waiting.id}"' in sheet
    htmx = {"HX-Request": "true", "X-CSRFToken": _token(client, f"/childcare/manage/{cls.id}/attendance")}
    url = f"/childcare/manage/{cls.id}/attendance/{waiting.id}?day=2026-06-29"
    row = client.post(url, data={"status": "present"}, headers=htmx).get_data(as_text=True)
    assert "已到 08:05" in row and "<html" not in row and row.count(f'id="attendance-{waiting.id}"') == 1

    travel(datetime(2026, 6, 29, 17, 20, tzinfo=clock.CHINA))
    pickup = f"/childcare/manage/{cls.id}/pickup/{waiting.id}?day=2026-06-29"
    refused = client.post(pickup, data={"mobile": "13700000000"}, headers=htmx).get_data(as_text=True)
    assert "不在家长授权的接送名单" in refused
    adult = db.session.get(Registration, waiting.id).child.authorised_adults[0]
    done = client.post(pickup, data={"pickup_adult_id": adult.id}, headers=htmx).get_data(as_text=True)
    assert "17:20" in done and "接走" in done

    roster = client.get(f"/childcare/manage/{cls.id}").get_data(as_text=True)
    assert "王*明" in roster and "王小明" not in roster and "轻度哮喘" not in roster  # masked, notes hidden
    notes = client.get(f"/childcare/manage/registrations/{waiting.id}/health").get_data(as_text=True)
    assert "轻度哮喘" in notes and "花生" in notes
    parent = db.session.get(Registration, waiting.id).parent
    assert f'href="tel:{parent.mobile}"' in notes and 'href="tel:13912345678"' in notes  # reach the family
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "childcare.health_notes_view"))
    overview = client.get("/childcare/manage/")
    assert overview.status_code == 200 and "新就业形态劳动者" in overview.get_data(as_text=True)
    export = client.get("/childcare/manage/export.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def _token(client, url):
    import re

    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_refusals_keep_what_the_parent_typed(app, travel):
    union = create_union()
    cls = create_childcare_class(union, today=MONDAY.date())
    phone = signed_in_member(app, create_member(union=union))
    too_old = registration_form(201, child_id_number=compose_id_number("320214", datetime(2012, 1, 1).date(), 201))
    page = post_form(phone, f"/childcare/classes/{cls.id}/register", too_old).get_data(as_text=True)
    assert "只招收6—12岁" in page and 'value="王小明"' in page and 'value="13912345678"' in page

    running = create_childcare_class(union, today=MONDAY.date(), phase="running")
    page = post_form(phone, f"/childcare/classes/{running.id}/register", registration_form(203)).get_data(as_text=True)
    assert "不再接受报名" in page
    assert db.session.scalar(select(Registration)) is None


def test_access_is_limited_to_the_class_organisation_and_the_family(app, client, auth, travel):
    district = create_union("XW", "新吴区总工会")
    park = create_union("XW01", "软件园工会", parent=district)
    cls = create_childcare_class(park, today=MONDAY.date())
    owner = create_member(union=park)
    registration = registrations.register_child(owner, cls.id, child_input(), accepted_rules=True)
    other = create_union("LX", "梁溪区总工会")
    create_staff("lx_organiser", Role.CHILDCARE_ORGANISER, union=other)
    create_staff("lx_officer", Role.UNION_OFFICER, union=other)
    create_staff("xw_officer", Role.UNION_OFFICER, union=district)

    for username in ("lx_organiser", "lx_officer"):
        auth.staff(username)
        assert client.get(f"/childcare/manage/{cls.id}").status_code == 403
        assert cls.name not in client.get("/childcare/manage/").get_data(as_text=True)
        auth.logout()
    auth.staff("lx_organiser")
    assert client.get(f"/childcare/manage/registrations/{registration.id}/health").status_code == 403
    assert client.get(f"/childcare/manage/{cls.id}/attendance").status_code == 403
    auth.logout()
    auth.staff("xw_officer")
    assert client.get(f"/childcare/manage/{cls.id}").status_code == 200
    assert client.get(f"/childcare/manage/registrations/{registration.id}/health").status_code == 403
    auth.logout()

    stranger = signed_in_member(app, create_member(union=park))
    assert stranger.get(f"/childcare/registrations/{registration.id}").status_code == 404
    assert signed_in_member(app, owner).get(f"/childcare/registrations/{registration.id}").status_code == 200
    assert app.test_client().get(f"/childcare/classes/{cls.id}/register").status_code == 302
    assert TODAY  # the factories' date is not used by these pages: they read the clock


def test_an_organiser_checks_a_declared_priority_from_the_class_page(client, auth, travel):
    now = datetime(2026, 7, 1, 10, 0, tzinfo=clock.CHINA)
    travel(now)
    park = create_union("XW01", "新吴区软件园工会")
    cls = create_childcare_class(park)
    create_staff("park_organiser", Role.CHILDCARE_ORGANISER, union=park)
    registration = registrations.register_child(create_member(union=park, occupation="企业职工"), cls.id, child_input(),
                                          accepted_rules=True, declared_category="gig_worker", now=now)
    auth.staff("park_organiser")
    page = client.get(f"/childcare/manage/{cls.id}").get_data(as_text=True)
    assert "自报待核" in page and "退回自报" in page
    answer = post_form(client, f"/childcare/manage/registrations/{registration.id}/declared", {"decision": "refuse"},
                       form_page=f"/childcare/manage/{cls.id}")
    assert answer.status_code == 302
    assert "按会员档案中的类别" in client.get(answer.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).tier == 4


def test_an_english_page_shows_a_refusal_in_english(app, travel):
    union = create_union()
    cls = create_childcare_class(union, today=MONDAY.date())
    phone = signed_in_member(app, create_member(union=union))
    post_form(phone, "/lang/en", {"next": "/"}, form_page="/")
    too_old = registration_form(205, child_id_number=compose_id_number("320214", datetime(2012, 1, 1).date(), 205))
    page = post_form(phone, f"/childcare/classes/{cls.id}/register", too_old).get_data(as_text=True)
    assert "this class takes children aged 6–12" in page and "只招收" not in page


def test_two_families_registering_one_child_look_alike_to_them_and_show_on_the_class_page(app, client, auth, travel):
    """The parent's pages are the same whether another parent registered the child or not; the
    class's organiser sees the clash on the class page and resolves it."""
    now = datetime(2026, 7, 1, 10, 0, tzinfo=clock.CHINA)
    travel(now)
    park = create_union("XW01", "新吴区软件园工会")
    create_staff("park_organiser", Role.CHILDCARE_ORGANISER, union=park)
    pages = {}
    # The two children differ only in their ID numbers (both boys); those are masked out below.
    for world, sequence in (("another parent registered", 41), ("nobody registered", 43)):
        cls = create_childcare_class(park, name="七月班")
        registrations.register_child(create_member(union=park), cls.id,
                                     child_input(sequence=sequence if world.startswith("another") else 90),
                                     accepted_rules=True, now=now)
        asker = signed_in_member(app, create_member(union=park, name="李娜"))
        answer = post_form(asker, f"/childcare/classes/{cls.id}/register", registration_form(sequence))
        assert answer.status_code == 302, answer.get_data(as_text=True)[-2000:]
        shown = asker.get(answer.headers["Location"]).get_data(as_text=True)
        volatile = r'name="csrf_token"[^>]*value="[^"]+"|"X-CSRFToken": "[^"]+"|\d{3}\*+\d{3}[\dX]|/\d+(?=[/"?#])|\d{6}'
        pages[world] = re.sub(volatile, "", shown)
    assert pages["another parent registered"] == pages["nobody registered"]
    assert "另一位家长" not in pages["nobody registered"]
    auth.staff("park_organiser")
    flagged = [cls for cls in db.session.scalars(select(ChildcareClass).order_by(ChildcareClass.id))
               if "另有家长同时报名" in client.get(f"/childcare/manage/{cls.id}").get_data(as_text=True)]
    assert [cls.id for cls in flagged] == [db.session.scalars(select(ChildcareClass).order_by(ChildcareClass.id))
                                           .first().id]

"""Joining online from a phone (issue 11): a courier on no roster joins from the home page, the
union's officer confirms, the courier signs in and claims "锡新保"."""

import io
from datetime import date, timedelta

from portal import clock
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, JoinRequest, Member
from portal.services.enrollment import campaigns
from tests.conftest import post_form, sent_code
from tests.factories import create_member, create_plan, create_staff, create_union, jpeg_bytes

PHONE = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Redmi Note 13) AppleWebKit/537.36 Mobile Safari/537.36"}
COURIER_ID = compose_id_number("320213", date(1995, 5, 20), 661)
COURIER_MOBILE = "13961234567"


def setting():
    create_plan()
    area = create_union("WX", "无锡市总工会")
    union = create_union("XJY", "无锡市新就业形态劳动者工会联合会", parent=area)
    union.takes_join_requests = True
    db.session.commit()
    admin = create_staff("admin", Role.ADMIN)
    gift = campaigns.open_campaign(admin, campaigns.CampaignDraft(
        name="“锡新保”新就业形态劳动者专项互助保障", sponsor="无锡市总工会", union_code="WX",
        opens_on=clock.today() - timedelta(days=5), closes_on=clock.today() + timedelta(days=60), quota=10))
    return union, gift


def test_a_courier_joins_from_a_phone_is_confirmed_and_claims_the_gift(client, auth):
    union, gift = setting()
    client.environ_base.update({"HTTP_USER_AGENT": PHONE["User-Agent"]})
    home = client.get("/").get_data(as_text=True)
    assert "/join/" in home and "网上入会" in home
    step_one = post_form(client, "/join/", {"id_number": COURIER_ID, "mobile": COURIER_MOBILE})
    assert step_one.status_code == 302 and step_one.headers["Location"].endswith("/join/details")
    form = client.get("/join/details").get_data(as_text=True)
    assert "无锡市新就业形态劳动者工会联合会" in form and 'type="file"' in form
    wrong = post_form(client, "/join/details", {
        "code": "000000", "name": "钱小骑", "occupation": "外卖配送员", "employer": "饿了么",
        "union_id": str(union.id)})
    assert wrong.status_code == 200 and "验证码不正确或已过期" in wrong.get_data(as_text=True)
    sent = post_form(client, "/join/details", {
        "code": sent_code(None, "join_code", mobile=COURIER_MOBILE), "name": "钱小骑", "occupation": "外卖配送员",
        "employer": "饿了么", "union_id": str(union.id), "proof": (io.BytesIO(jpeg_bytes()), "badge.jpg")},
        content_type="multipart/form-data")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/join/received")
    assert "入会申请已提交" in client.get("/join/received").get_data(as_text=True)
    request = db.session.query(JoinRequest).one()

    officer_client = client.application.test_client()
    create_staff("gig", Role.UNION_OFFICER, union=union)
    post_form(officer_client, "/auth/staff/login", {"username": "gig", "password": "correct-horse-42"})
    queue = officer_client.get("/join/requests").get_data(as_text=True)
    assert request.masked_name in queue and "钱小骑" not in queue
    assert COURIER_ID not in queue  # masked
    detail = officer_client.get(f"/join/requests/{request.id}").get_data(as_text=True)
    assert "饿了么" in detail and "查看工作证明照片" in detail
    photo = officer_client.get(f"/join/requests/{request.id}/proof")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and "no-store" in photo.headers["Cache-Control"]
    photo.close()
    confirmed = post_form(officer_client, f"/join/requests/{request.id}/confirm", {},
                          form_page=f"/join/requests/{request.id}")
    assert confirmed.status_code == 302
    member = Member.by_id_number(COURIER_ID)
    assert member is not None and member.union_id == union.id

    post_form(client, "/auth/member/login", {"id_number": COURIER_ID, "mobile": COURIER_MOBILE})
    signed_in = post_form(client, "/auth/member/code", {"code": sent_code(member)})
    assert signed_in.status_code == 302
    cover_page = client.get("/enrollment/my").get_data(as_text=True)
    assert "锡新保" in cover_page
    claimed = post_form(client, f"/enrollment/my/campaigns/{gift.id}/claim", {}, form_page="/enrollment/my")
    assert claimed.status_code == 302
    cover = db.session.query(Enrollment).filter_by(member_id=member.id).one()
    assert (cover.payer, cover.campaign_id, cover.status) == ("campaign", gift.id, "active")


def test_a_member_who_joins_gets_the_same_pages_as_a_stranger(client):
    setting()
    member = create_member(union=create_union(), mobile="13800002222")
    pages = []
    for id_number, mobile in ((member.id_number, "13961230001"), (compose_id_number("320213", date(1992, 2, 2), 551),
                                                                   "13961230002")):
        fresh = client.application.test_client()
        answer = post_form(fresh, "/join/", {"id_number": id_number, "mobile": mobile})
        page = fresh.get("/join/details").get_data(as_text=True)
        pages.append((answer.status_code, answer.headers.get("Location"), _without_tokens(page, id_number)))
    assert pages[0] == pages[1]


def _without_tokens(page: str, id_number: str) -> str:
    import re

    from portal.domain.identity import mask_id_number

    page = page.replace(mask_id_number(id_number), "MASKED")
    page = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', page)
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', page)


def test_officers_of_another_union_cannot_open_a_request(client, auth):
    union, _ = setting()
    fresh = client.application.test_client()
    post_form(fresh, "/join/", {"id_number": COURIER_ID, "mobile": COURIER_MOBILE})
    post_form(fresh, "/join/details", {"code": sent_code(None, "join_code", mobile=COURIER_MOBILE), "name": "钱小骑",
                                      "occupation": "快递员", "employer": "顺丰", "union_id": str(union.id)})
    request = db.session.query(JoinRequest).one()
    create_staff("other", Role.UNION_OFFICER, union=create_union())
    auth.staff("other")
    assert request.name not in client.get("/join/requests").get_data(as_text=True)
    assert client.get(f"/join/requests/{request.id}").status_code in (403, 404)
    assert client.get(f"/join/requests/{request.id}/proof").status_code in (403, 404)

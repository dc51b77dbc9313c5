"""Joining online (网上入会), issue 11: a worker on no roster proves their mobile, asks a union, is
confirmed (a member of that union) or declined with a reason; nobody learns who is a member."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select

from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, JoinRequest, Member, SmsMessage
from portal.services import auth, joining
from portal.services.enrollment import campaigns
from tests.conftest import sent_code
from tests.factories import TODAY, create_member, create_plan, create_staff, create_union, jpeg_bytes

NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 11:00 in Wuxi: texts go at once
COURIER_ID = compose_id_number("320213", date(1994, 8, 8), 771)
COURIER_MOBILE = "13951234567"


def gig_union(parent=None):
    union = create_union("XJY", "无锡市新就业形态劳动者工会联合会", parent=parent)
    union.takes_join_requests = True
    db.session.commit()
    return union


def details(union, **changes):
    values = {"name": "周快递", "occupation": "快递员", "employer": "顺丰速运", "union_id": union.id}
    return joining.JoinDetails(**{**values, **changes})


def texts(kind):
    return list(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == kind)))


def join(union, *, id_number=COURIER_ID, mobile=COURIER_MOBILE, now=NOW, proof=None):
    id_hash = joining.request_join_code(id_number, mobile, now=now)
    code = sent_code(None, "join_code", mobile=mobile)
    return joining.submit_join_request(id_hash, code, details(union), proof=proof, now=now + timedelta(seconds=30))


def test_a_courier_on_no_roster_joins_is_confirmed_signs_in_and_claims_the_gift():
    create_plan()
    area = create_union("WX", "无锡市总工会")
    union = gig_union(area)
    admin = create_staff("admin", Role.ADMIN)
    gift = campaigns.open_campaign(admin, campaigns.CampaignDraft(
        name="锡新保", sponsor="市总工会", union_code="WX", opens_on=TODAY - timedelta(days=5),
        closes_on=TODAY + timedelta(days=60), quota=10))
    request = join(union)
    assert (request.status, request.union_id, request.masked_mobile) == ("submitted", union.id, "139****4567")
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0  # not a member until confirmed
    officer = create_staff("gig", Role.UNION_OFFICER, union=union)
    assert [r.id for r in joining.list_requests(officer)] == [request.id]
    confirmed = joining.confirm_request(officer, request.id, now=NOW)
    member = Member.by_id_number(COURIER_ID)
    assert (confirmed.status, confirmed.member_id) == ("confirmed", member.id)
    assert (member.union_id, member.mobile, member.is_gig_worker, member.occupation) == \
        (union.id, COURIER_MOBILE, True, "快递员")
    assert "已由无锡市新就业形态劳动者工会联合会确认" in texts("join_confirmed")[0].body
    # The courier now signs in like any member, and the gift is theirs to claim.
    id_hash = auth.request_login_code(COURIER_ID, COURIER_MOBILE, now=NOW + timedelta(minutes=5)).id_hash
    assert auth.verify_login_code(id_hash, sent_code(member), now=NOW + timedelta(minutes=6)).id == member.id
    cover = campaigns.claim_gift(member, gift.id, today=TODAY)
    assert (cover.payer, cover.status) == ("campaign", "active")
    with pytest.raises(Conflict, match="已处理"):
        joining.confirm_request(officer, request.id)


def test_a_member_who_joins_sees_the_same_and_is_told_on_the_mobile_their_union_holds():
    union = gig_union()
    member = create_member(union=create_union(name="梁溪区快递行业工会"), mobile="13800001111")
    stranger_hash = joining.request_join_code(COURIER_ID, COURIER_MOBILE, now=NOW)
    member_hash = joining.request_join_code(member.id_number, "13951230000", now=NOW)
    assert isinstance(member_hash, str) and len(member_hash) == len(stranger_hash)
    # No code to the mobile typed for a member's ID number; a text to the one on file instead.
    assert [m.mobile for m in texts("join_code")] == [COURIER_MOBILE]
    told = texts("join_already_member")
    assert [m.mobile for m in told] == ["13800001111"] and "梁溪区快递行业工会会员" in told[0].body
    # Whatever they type next, the answer is the one a stranger gets for a wrong code.
    with pytest.raises(InvalidInput) as for_member:
        joining.submit_join_request(member_hash, "123456", details(union), now=NOW + timedelta(seconds=20))
    with pytest.raises(InvalidInput) as for_stranger:
        joining.submit_join_request(stranger_hash, "000000", details(union), now=NOW + timedelta(seconds=20))
    assert for_member.value.message == for_stranger.value.message
    assert for_member.value.code == for_stranger.value.code == "code_failed"
    assert db.session.scalar(select(func.count()).select_from(JoinRequest)) == 0


def test_codes_keep_the_sign_in_guards():
    gig_union()
    joining.request_join_code(COURIER_ID, COURIER_MOBILE, now=NOW)
    joining.request_join_code(COURIER_ID, COURIER_MOBILE, now=NOW + timedelta(seconds=10))  # a second tap
    assert len(texts("join_code")) == 1
    with pytest.raises(InvalidInput) as other_mobile:  # another phone within the resend guard: told to wait
        joining.request_join_code(COURIER_ID, "13951239999", now=NOW + timedelta(seconds=20))
    assert other_mobile.value.code == "code_wait"
    current_app.config["SMS_RECIPIENT_PER_HOUR"], limit = 2, current_app.config["SMS_RECIPIENT_PER_HOUR"]
    try:
        for n in range(2):
            joining.request_join_code(compose_id_number("320213", date(1990, 1, 1), 300 + n), "13951238888",
                                      now=NOW + timedelta(minutes=2 + n))
        with pytest.raises(InvalidInput) as capped:
            joining.request_join_code(compose_id_number("320213", date(1990, 1, 1), 310), "13951238888",
                                      now=NOW + timedelta(minutes=5))
        assert capped.value.code == "too_many_texts"
    finally:
        current_app.config["SMS_RECIPIENT_PER_HOUR"] = limit


def test_bad_details_or_photo_cost_no_attempt_and_the_photo_is_stripped():
    union = gig_union()
    id_hash = joining.request_join_code(COURIER_ID, COURIER_MOBILE, now=NOW)
    code = sent_code(None, "join_code", mobile=COURIER_MOBILE)
    later = NOW + timedelta(seconds=30)
    with pytest.raises(InvalidInput) as no_union:
        joining.submit_join_request(id_hash, code, details(union, union_id=None), now=later)
    assert no_union.value.field == "union_id"
    with pytest.raises(InvalidInput) as not_offered:
        joining.submit_join_request(id_hash, code, details(union, union_id=create_union().id), now=later)
    assert not_offered.value.field == "union_id"
    with pytest.raises(InvalidInput) as junk:
        joining.submit_join_request(id_hash, code, details(union), proof=("badge.jpg", b"MZ\x90\x00 not a photo"),
                                    now=later)
    assert junk.value.code == "upload_type"
    request = joining.submit_join_request(id_hash, code, details(union), proof=("badge.jpg", jpeg_bytes()),
                                          now=later)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / request.proof_stored_name
    with Image.open(path) as photo:
        assert not photo.getexif()  # EXIF (with GPS) stripped
    officer = create_staff("gig", Role.UNION_OFFICER, union=union)
    joining.open_proof(officer, request.id)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "joining.proof_view")) == 1


def test_officers_see_and_decide_only_their_subtree_and_a_decline_says_why_in_our_words():
    union = gig_union()
    request = join(union)
    outsider = create_staff("other", Role.UNION_OFFICER, union=create_union())
    assert joining.list_requests(outsider) == []
    with pytest.raises(PermissionDenied):
        joining.confirm_request(outsider, request.id)
    officer = create_staff("gig", Role.UNION_OFFICER, union=union)
    with pytest.raises(InvalidInput) as no_reason:
        joining.decline_request(officer, request.id, reason="")
    assert no_reason.value.field == "reason"
    declined = joining.decline_request(officer, request.id, reason="outside_area", note="电话核实在苏州接单")
    assert (declined.status, declined.decline_reason, declined.decline_note) == \
        ("declined", "outside_area", "电话核实在苏州接单")
    body = texts("join_declined")[0].body
    assert "工作地点不在本工会服务范围内" in body and "苏州" not in body  # the officer's note stays inside
    assert Member.by_id_number(COURIER_ID) is None
    with pytest.raises(Conflict):
        joining.confirm_request(officer, request.id)

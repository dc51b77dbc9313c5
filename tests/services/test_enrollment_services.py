"""Plans, self-service, renewal and gifted campaigns through the services, on the real database."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Campaign, Enrollment, EnrollmentChannel, EnrollmentStatus, Plan
from portal.services.enrollment import campaigns, enrolments, plans, queries
from tests.factories import TODAY, create_enrollment, create_member, create_plan, create_staff, create_union


def open_gift(admin, area, *, quota=10, **changes):
    draft = campaigns.CampaignDraft(name="锡新保", sponsor="市总工会", union_code=area.code,
                                    opens_on=TODAY - timedelta(days=10), closes_on=TODAY + timedelta(days=90),
                                    quota=quota, **changes)
    return campaigns.open_campaign(admin, draft)


# --- plans ------------------------------------------------------------------------------------

def test_editing_a_plan_makes_a_new_version_and_enrolments_keep_theirs():
    admin = create_staff("admin", Role.ADMIN)
    first = create_plan()
    member = create_member(union=create_union())
    kept = create_enrollment(member, first)
    schedule = plans.schedule_with(first.schedule(), contribution_fen=8000, hospital_daily_fen=6000)
    second = plans.edit_plan(admin, "SANHEYI", name=first.name, schedule=schedule, based_on_version=1)
    assert (second.version, second.contribution_fen, second.is_current) == (2, 8000, True)
    assert db.session.get(Plan, first.id).is_current is False
    assert plans.current_plan().id == second.id
    assert db.session.get(Enrollment, kept.id).plan.contribution_fen == 6000


def test_a_stale_or_empty_plan_edit_is_refused():
    admin = create_staff("admin", Role.ADMIN)
    plan = create_plan()
    schedule = plans.schedule_with(plan.schedule(), condolence_fen=30000)
    plans.edit_plan(admin, "SANHEYI", name=plan.name, schedule=schedule, based_on_version=1)
    with pytest.raises(Conflict, match="第2版"):
        plans.edit_plan(admin, "SANHEYI", name=plan.name, schedule=schedule, based_on_version=1)
    with pytest.raises(InvalidInput, match="没有任何修改"):
        plans.edit_plan(admin, "SANHEYI", name=plan.name, schedule=schedule, based_on_version=2)
    officer = create_staff("officer", Role.UNION_OFFICER, union=create_union())
    with pytest.raises(PermissionDenied):
        plans.edit_plan(officer, "SANHEYI", name="x", schedule=schedule, based_on_version=2)
    assert db.session.scalar(select(func.count(Plan.id))) == 2


# --- self-service -----------------------------------------------------------------------------

def test_a_member_applies_once_and_the_union_confirms_from_tomorrow():
    create_plan()
    union = create_union()
    member = create_member(union=union)
    first = enrolments.apply_for_cover(member, today=TODAY)
    again = enrolments.apply_for_cover(member, today=TODAY)
    assert first.id == again.id and first.status == EnrollmentStatus.PENDING
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    confirmed = enrolments.confirm_application(officer, first.id, today=TODAY)
    assert (confirmed.status, confirmed.starts_on, confirmed.ends_on) == ("active", date(2026, 7, 2), date(2027, 7, 1))
    with pytest.raises(Conflict, match="已处理"):
        enrolments.confirm_application(officer, first.id, today=TODAY)
    with pytest.raises(Conflict, match="已参保"):
        enrolments.apply_for_cover(member, today=TODAY)


def test_an_application_at_a_kiosk_and_again_in_the_browser_is_one_application():
    create_plan()
    member = create_member(union=create_union())
    at_kiosk = enrolments.apply_for_cover(member, channel=EnrollmentChannel.KIOSK, today=TODAY)
    in_browser = enrolments.apply_for_cover(member, today=TODAY)
    assert (in_browser.id, in_browser.channel) == (at_kiosk.id, "kiosk")
    with pytest.raises(ValueError):
        enrolments.apply_for_cover(member, channel=EnrollmentChannel.ROSTER, today=TODAY)
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def test_self_service_asks_the_plans_eligibility_rules():
    """Issue 11: the 三合一 plan is for insured employees of working age, whichever door they use."""
    create_plan()
    union = create_union()
    uninsured = create_member(union=union, has_social_insurance=False)
    with pytest.raises(InvalidInput, match="未参加社保") as refused:
        enrolments.apply_for_cover(uninsured, today=TODAY)
    assert refused.value.code == "not_eligible" and refused.value.params["reason"] == "no_social_insurance"
    retired = create_member(union=union, name="老李", birth=date(1958, 1, 1))
    with pytest.raises(InvalidInput, match="65周岁及以下"):
        enrolments.apply_for_cover(retired, today=TODAY)
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0
    young = create_member(union=union, name="小王", birth=date(2010, 7, 3))  # 16 the day after cover starts
    with pytest.raises(InvalidInput, match="年满16周岁"):
        enrolments.apply_for_cover(young, today=TODAY)


def test_the_answer_to_an_application_is_texted_even_without_reminder_consent():
    from portal.models import SmsMessage

    create_plan()
    union = create_union()
    member = create_member(union=union, sms_consent=False)
    application = enrolments.apply_for_cover(member, today=TODAY)
    enrolments.confirm_application(create_staff("officer", Role.UNION_OFFICER, union=union), application.id,
                                   today=TODAY)
    assert db.session.scalars(select(SmsMessage.kind).where(SmsMessage.member_id == member.id)).all() == [
        "enrollment_confirmed"]


def test_an_officer_cannot_confirm_or_reject_outside_its_subtree():
    create_plan()
    district = create_union("LX")
    mine, theirs = create_union(parent=district), create_union(parent=district)
    application = enrolments.apply_for_cover(create_member(union=theirs), today=TODAY)
    officer = create_staff("officer", Role.UNION_OFFICER, union=mine)
    with pytest.raises(PermissionDenied):
        enrolments.confirm_application(officer, application.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        enrolments.reject_application(officer, application.id, reason="不是本单位职工")
    assert queries.list_applications(officer)[1] == 0
    district_officer = create_staff("district", Role.UNION_OFFICER, union=district)
    rejected = enrolments.reject_application(district_officer, application.id, reason="不是本单位职工")
    assert rejected.status == "cancelled" and rejected.cancelled_reason == "不是本单位职工"


def test_renewal_carries_covers_into_the_next_year_once():
    plan = create_plan()
    union = create_union()
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    due = create_enrollment(create_member(union=union), plan, starts_on=date(2025, 9, 1))  # ends 2026-08-31
    create_enrollment(create_member(union=union), plan, starts_on=date(2026, 3, 1))  # not due yet
    elsewhere = create_member(union=union)
    create_enrollment(elsewhere, plan, starts_on=date(2025, 8, 15))
    create_enrollment(elsewhere, plan, starts_on=date(2026, 8, 15), union=create_union())  # renewed elsewhere
    assert queries.renewal_preview(officer, union, today=TODAY) == 1
    report = enrolments.renew_union(officer, union, today=TODAY)
    assert report.as_dict() == {"created": 1, "already_covered": 1, "errors": []}
    renewed = db.session.scalar(select(Enrollment).where(Enrollment.renews_id == due.id))
    assert (renewed.starts_on, renewed.ends_on, renewed.is_renewal, renewed.plan_year) == \
        (date(2026, 9, 1), date(2027, 8, 31), True, due.plan_year + 1)
    assert enrolments.renew_union(officer, union, today=TODAY).created == 0
    with pytest.raises(PermissionDenied):
        enrolments.renew_union(create_staff("other", Role.UNION_OFFICER, union=create_union()), union, today=TODAY)


def test_lapsed_covers_are_marked_expired():
    member = create_member(union=create_union())
    old = create_enrollment(member, starts_on=date(2025, 1, 1))
    assert enrolments.expire_lapsed(today=TODAY) == 1
    assert db.session.get(Enrollment, old.id).status == "expired"


# --- campaigns --------------------------------------------------------------------------------

def test_a_gig_worker_claims_a_gift_once_and_the_campaign_pays():
    create_plan()
    area = create_union("WX")
    admin = create_staff("admin", Role.ADMIN)
    gift = open_gift(admin, area)
    rider = create_member(union=create_union(parent=area), occupation="外卖配送员", is_gig_worker=True)
    cover = campaigns.claim_gift(rider, gift.id, today=TODAY)
    assert (cover.payer, cover.channel, cover.contribution_fen, cover.status) == ("campaign", "campaign", 0, "active")
    assert campaigns.claim_gift(rider, gift.id, today=TODAY).id == cover.id  # a double tap
    assert db.session.get(Campaign, gift.id).claimed_count == 1


def test_refusals_say_why_and_leave_the_quota_alone():
    create_plan()
    area = create_union("WX")
    admin = create_staff("admin", Role.ADMIN)
    gift = open_gift(admin, area, quota=1)
    clerk = create_member(union=create_union(parent=area), occupation="企业职工")
    with pytest.raises(InvalidInput, match="新就业形态"):
        campaigns.claim_gift(clerk, gift.id, today=TODAY)
    covered_union = create_union("HS01", "惠山区长安街道总工会", parent=area)
    courier = create_member(union=covered_union, occupation="快递员", is_gig_worker=True)
    create_enrollment(courier, starts_on=date(2026, 5, 1), union=covered_union)
    with pytest.raises(Conflict, match="惠山区长安街道总工会"):
        campaigns.claim_gift(courier, gift.id, today=TODAY)
    driver = create_member(union=create_union(parent=area), occupation="货车司机", is_gig_worker=True)
    campaigns.claim_gift(driver, gift.id, today=TODAY)
    late = create_member(union=create_union(parent=area), occupation="快递员", is_gig_worker=True)
    with pytest.raises(Conflict, match="名额已全部领完"):
        campaigns.claim_gift(late, gift.id, today=TODAY)
    assert db.session.get(Campaign, gift.id).claimed_count == 1


def test_a_gift_asks_the_plans_age_rule_and_leaves_social_insurance_to_the_campaign():
    create_plan()
    area = create_union("WX")
    admin = create_staff("admin", Role.ADMIN)
    gift = open_gift(admin, area)
    rider = create_member(union=create_union(parent=area), occupation="外卖配送员", is_gig_worker=True,
                          has_social_insurance=False)
    assert campaigns.claim_gift(rider, gift.id, today=TODAY).payer == "campaign"  # the gift needs no insurance
    officer = create_staff("officer", Role.UNION_OFFICER, union=area)
    old = create_member(union=create_union(parent=area), name="老赵", occupation="货车司机", is_gig_worker=True,
                        birth=date(1956, 5, 1))
    with pytest.raises(InvalidInput, match="65周岁及以下"):
        campaigns.nominate(officer, gift.id, old.id, today=TODAY)
    assert db.session.get(Campaign, gift.id).claimed_count == 1


def test_officers_nominate_only_their_own_members():
    create_plan()
    area = create_union("WX")
    gift = open_gift(create_staff("admin", Role.ADMIN), area)
    mine, theirs = create_union(parent=area), create_union(parent=area)
    officer = create_staff("officer", Role.UNION_OFFICER, union=mine)
    ours = create_member(union=mine, occupation="快递员", is_gig_worker=True)
    other = create_member(union=theirs, occupation="快递员", is_gig_worker=True)
    assert [m.id for m in queries.eligible_unclaimed(officer, gift.id, today=TODAY)] == [ours.id]
    with pytest.raises(PermissionDenied):
        campaigns.nominate(officer, gift.id, other.id, today=TODAY)
    assert campaigns.nominate(officer, gift.id, ours.id, today=TODAY).confirmed_by_id == officer.id
    assert [u.claimed_in_scope for u in queries.list_campaigns(officer)] == [1]


@pytest.mark.postgres_only
def test_the_quota_holds_under_concurrent_claims(app):
    create_plan()
    area = create_union("WX")
    gift = open_gift(create_staff("admin", Role.ADMIN), area, quota=5)
    union = create_union(parent=area)
    riders = [create_member(union=union, occupation="外卖配送员", is_gig_worker=True).id for _ in range(10)]
    # Two requests for some riders: double taps racing the others. Fewer threads than pooled
    # connections, so every thread reaches the barrier.
    attempts = riders + riders[:2]
    barrier = threading.Barrier(len(attempts))
    outcomes = []

    def claim(member_id):
        with app.app_context():
            from portal.models import Member

            barrier.wait()
            member = db.session.get(Member, member_id)
            try:
                campaigns.claim_gift(member, gift.id, today=TODAY)
                outcomes.append("ok")
            except Conflict as error:
                outcomes.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim, args=(member_id,)) for member_id in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert db.session.get(Campaign, gift.id).claimed_count == 5
    assert db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.campaign_id == gift.id)) == 5
    assert outcomes.count("quota_full") + outcomes.count("already_covered") + outcomes.count("ok") == len(attempts)

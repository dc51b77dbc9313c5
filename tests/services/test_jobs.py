"""Work-study services: every refusal of "Bad input and safety", scope, capacity under concurrency."""

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal.clock import CHINA
from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, AuditEvent, Placement, Position, SmsMessage, StaffUser, Student
from portal.models.unions import UnionKind
from portal.services.jobs import applications, concerns, enterprises, placements, positions, queries, students
from portal.services.jobs import exports as jobs_exports
from tests.conftest import sent_code
from tests.factories import (
    TODAY,
    create_enterprise,
    create_member,
    create_position,
    create_staff,
    create_student,
    create_union,
)


def _details(union, **changes):
    values = dict(name="无锡长安爱心科技有限公司", uscc=_uscc(999), district="惠山区",
                  address="长安街道惠山大道1号", union_id=union.id, contact_name="周经理", contact_mobile="13912340001")
    values.update(changes)
    return enterprises.EnterpriseDetails(**values)


@pytest.fixture
def area():
    """A district union with a street union below it, a sibling district, and their officers."""
    district = create_union("HS", "惠山区总工会", kind=UnionKind.DISTRICT)
    street = create_union("HS01", "长安街道总工会", parent=district, kind=UnionKind.STREET)
    other = create_union("LX", "梁溪区总工会", kind=UnionKind.DISTRICT)
    return {
        "district": district, "street": street, "other": other,
        "officer": create_staff("officer_hs", Role.UNION_OFFICER, union=district),
        "outsider": create_staff("officer_lx", Role.UNION_OFFICER, union=other),
    }


def _uscc(n):
    from portal.domain.jobs import compose_uscc

    return compose_uscc("320206", n)


# ---------------------------------------------------------------- enterprises

def test_self_registered_enterprise_waits_for_the_union_with_an_inactive_account(area):
    enterprise = enterprises.register_enterprise(None, _details(area["street"], uscc=_uscc(1)), username="changan",
                                             password="long-enough-1")
    account = db.session.scalar(select(StaffUser).where(StaffUser.username == "changan"))
    assert enterprise.status == "pending"
    assert account.enterprise_id == enterprise.id and account.role == Role.ENTERPRISE
    assert not account.is_active_account
    assert enterprise.contact_mobile == "13912340001"
    stored = db.session.execute(db.text("SELECT contact_mobile FROM enterprises")).scalar()
    assert "13912340001" not in stored


@pytest.mark.parametrize("changes, field", [
    ({"uscc": "91320206000000017Z"}, "uscc"),
    ({"uscc": "9132"}, "uscc"),
    ({"contact_mobile": "12345"}, "contact_mobile"),
])
def test_bad_enterprise_input_is_refused_on_its_field(area, changes, field):
    with pytest.raises(InvalidInput) as refused:
        enterprises.register_enterprise(None, _details(area["street"], **changes), username="x1",
                                        password="long-enough-1")
    assert refused.value.field == field


def test_the_same_credit_code_cannot_register_twice(area):
    enterprises.register_enterprise(None, _details(area["street"], uscc=_uscc(2)), username="a1",
                                    password="long-enough-1")
    with pytest.raises(Conflict) as refused:
        enterprises.register_enterprise(None, _details(area["street"], uscc=_uscc(2)), username="a2",
                                    password="long-enough-1")
    assert refused.value.code == "uscc_taken"


def test_officer_approves_in_its_subtree_and_the_contact_is_told(area):
    enterprise = enterprises.register_enterprise(None, _details(area["street"], uscc=_uscc(3)), username="c3",
                                             password="long-enough-1")
    with pytest.raises(PermissionDenied):
        enterprises.review_enterprise(area["outsider"], enterprise.id, approve=True)
    enterprises.review_enterprise(area["officer"], enterprise.id, approve=True)
    assert enterprise.status == "approved"
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "c3")).is_active_account
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_enterprise_reviewed"))
    assert text.mobile == "13912340001" and "通过" in text.body
    with pytest.raises(Conflict):
        enterprises.review_enterprise(area["officer"], enterprise.id, approve=False, note="重复")


def test_rejection_needs_a_reason(area):
    enterprise = enterprises.register_enterprise(None, _details(area["street"], uscc=_uscc(4)), username="c4",
                                             password="long-enough-1")
    with pytest.raises(InvalidInput):
        enterprises.review_enterprise(area["officer"], enterprise.id, approve=False, note=" ")


def test_officer_registering_an_enterprise_approves_it_but_only_in_its_area(area):
    enterprise = enterprises.register_enterprise(area["officer"], _details(area["street"], uscc=_uscc(5)),
                                             username="c5", password="long-enough-1")
    assert enterprise.status == "approved"
    with pytest.raises(PermissionDenied):
        enterprises.register_enterprise(area["outsider"], _details(area["street"], uscc=_uscc(6)), username="c6",
                                    password="long-enough-1")


# ---------------------------------------------------------------- positions

def _position_details(**changes):
    values = dict(title="财务助理", description="协助录入凭证", district="惠山区", address="长安街道1号",
                  majors="会计", places=2, pay_yuan="150", pay_unit="day", starts_on=date(2026, 7, 15),
                  ends_on=date(2026, 8, 15), apply_by=date(2026, 7, 10), hours="9:00—17:00", min_age=16,
                  safety_notes="不安排夜班", agreement_confirmed=True)
    values.update(changes)
    return positions.PositionDetails(**values)


def test_a_pending_enterprise_cannot_post(area):
    create_enterprise(union=area["street"], status="pending", contact_username="pending1")
    contact = db.session.scalar(select(StaffUser).where(StaffUser.username == "pending1"))
    with pytest.raises(PermissionDenied):  # the account cannot even sign in yet
        positions.post_position(contact, _position_details(), today=TODAY)
    contact.is_active_account = True  # and were it active, the enterprise's state still decides
    db.session.commit()
    with pytest.raises(PermissionDenied, match="审核"):
        positions.post_position(contact, _position_details(), today=TODAY)


def test_an_approved_enterprise_posts_with_pay_in_fen(area):
    enterprise = create_enterprise(union=area["street"], contact_username="ent1")
    contact = db.session.scalar(select(StaffUser).where(StaffUser.username == "ent1"))
    position = positions.post_position(contact, _position_details(pay_yuan="150.50"), today=TODAY)
    assert position.pay_fen == 15_050 and position.union_id == enterprise.union_id
    with pytest.raises(InvalidInput) as refused:
        positions.post_position(contact, _position_details(agreement_confirmed=False), today=TODAY)
    assert refused.value.field == "agreement_confirmed"
    with pytest.raises(InvalidInput) as refused:
        positions.post_position(contact, _position_details(pay_yuan="150.555"), today=TODAY)
    assert refused.value.field == "pay"


def test_posting_the_same_position_twice_publishes_it_once(area):
    create_enterprise(union=area["street"], contact_username="ent_twice")
    contact = db.session.scalar(select(StaffUser).where(StaffUser.username == "ent_twice"))
    first = positions.post_position(contact, _position_details(), today=TODAY)
    again = positions.post_position(contact, _position_details(), today=TODAY)  # a double tap on "发布"
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Position.id))) == 1
    other = positions.post_position(contact, _position_details(title="仓储助理"), today=TODAY)
    assert other.id != first.id


def test_listing_shows_only_open_positions_and_filters(area):
    enterprise = create_enterprise(union=area["street"])
    pending = create_enterprise(union=area["street"], status="pending")
    daily = create_position(enterprise, title="会计助理", majors="会计", pay_fen=20_000)
    create_position(enterprise, title="月薪岗位", majors="计算机", pay_unit="month", pay_fen=300_000)  # 142.86/day
    create_position(enterprise, title="满员", places=1).filled = 1
    create_position(enterprise, title="截止", apply_by=date(2026, 6, 30))
    create_position(pending, title="待审企业的岗位")
    db.session.commit()
    titles = {p.title for p in queries.search_positions(queries.PositionFilters(), today=TODAY)[0]}
    assert titles == {"会计助理", "月薪岗位"}
    found, total = queries.search_positions(queries.PositionFilters(major="会计"), today=TODAY)
    assert [p.id for p in found] == [daily.id] and total == 1
    found, _ = queries.search_positions(queries.PositionFilters(min_pay_yuan="150"), today=TODAY)
    assert [p.title for p in found] == ["会计助理"]
    with pytest.raises(InvalidInput):
        queries.search_positions(queries.PositionFilters(min_pay_yuan="abc"), today=TODAY)


def test_positions_past_their_deadline_are_closed(area):
    enterprise = create_enterprise(union=area["street"])
    old = create_position(enterprise, apply_by=date(2026, 6, 30))
    fresh = create_position(enterprise)
    assert positions.close_expired_positions(today=TODAY) == 1
    db.session.expire_all()
    assert (old.status, old.closed_reason) == ("closed", "deadline") and fresh.status == "open"


# ---------------------------------------------------------------- students and applications

def _student_details(birth=date(2005, 3, 1), seq=301, **changes):
    from portal.domain.identity import compose_id_number

    values = dict(name="王小明", id_number=compose_id_number("320206", birth, seq), mobile="13700000001",
                  school="江南大学", major="会计学", year_of_study="大二")
    values.update(changes)
    return students.StudentDetails(**values)


NOW = datetime(2026, 7, 1, 10, tzinfo=CHINA)


def _link(parent, details=None, *, now=NOW):
    """A member registers a child and brings back the code texted to the student's mobile."""
    details = details or _student_details()
    public_id = students.request_student_link(parent, details, now=now)
    return students.confirm_student_link(parent, public_id, sent_code(None, "jobs_student_link", mobile=details.mobile),
                                         now=now)


def test_member_registers_a_child_with_encrypted_id_and_mobile(area):
    parent = create_member(union=area["street"])
    student = _link(parent)
    raw = db.session.execute(db.text("SELECT id_number, mobile FROM students")).one()
    assert student.id_number not in raw[0] and "13700000001" not in raw[1]
    assert student.masked_mobile == "137****0001" and student.parent_member_id == parent.id
    with pytest.raises(Conflict, match="已登记"):
        students.request_student_link(parent, _student_details(), now=NOW)


def test_the_student_s_code_is_needed_and_only_the_member_who_asked_can_use_it(area):
    parent, other = create_member(union=area["street"]), create_member(union=area["street"])
    public_id = students.request_student_link(parent, _student_details(), now=NOW)
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_student_link"))
    assert text.mobile == "13700000001" and "******" in text.body and text.member_id is None
    code = sent_code(None, "jobs_student_link", mobile="13700000001")
    assert code not in text.body  # stored masked: the code is only on the student's phone
    with pytest.raises(InvalidInput):
        students.confirm_student_link(other, public_id, code, now=NOW)  # another member's link: not found
    with pytest.raises(InvalidInput):
        students.confirm_student_link(parent, public_id, "000000" if code != "000000" else "111111", now=NOW)
    assert db.session.scalar(select(func.count(Student.id))) == 0
    assert students.confirm_student_link(parent, public_id, code, now=NOW).parent_member_id == parent.id
    with pytest.raises(InvalidInput):  # used once
        students.confirm_student_link(parent, public_id, code, now=NOW)


def test_a_member_cannot_give_their_own_mobile_as_the_student_s(area):
    parent = create_member(union=area["street"], mobile="13800007777")
    with pytest.raises(InvalidInput, match="学生本人的手机号码") as refused:
        students.request_student_link(parent, _student_details(mobile="13800007777"), now=NOW)
    assert refused.value.field == "mobile"


def _asker_sees(parent, details, *, now=NOW):
    """Everything the member sees before the student's code: the answer, and what reached the
    mobiles they typed (one text, masked in store)."""
    public_id = students.request_student_link(parent, details, now=now)
    texts = [(m.kind, m.mobile, m.body) for m in db.session.scalars(
        select(SmsMessage).where(SmsMessage.mobile == details.mobile).order_by(SmsMessage.id))]
    wrong = "000000" if sent_code(None, "jobs_student_link", mobile=details.mobile) != "000000" else "111111"
    with pytest.raises(InvalidInput) as refused:
        students.confirm_student_link(parent, public_id, wrong, now=now)
    return bool(public_id), texts, (refused.value.code, refused.value.field, refused.value.message)


def test_whether_another_parent_registered_a_student_is_told_only_after_the_student_s_code(area):
    """Anyone who knows a young person's ID number used to learn at once whether another member had
    registered them ("已由另一位家长登记"). Now a member gets the same answer either way until they
    bring back the code texted to the student's mobile."""
    registered = _student_details(seq=311, mobile="13700000311")
    nobody = _student_details(seq=312, mobile="13700000312")
    _link(create_member(union=area["street"]), _student_details(seq=311, mobile="13700000999"))
    asker = create_member(union=area["street"])
    seen_registered = _asker_sees(asker, registered)
    seen_nobody = _asker_sees(asker, nobody)
    # The same answer, the same text (to the mobile the asker typed), the same refusal of a wrong code.
    assert seen_registered[0] == seen_nobody[0] is True
    assert [(kind, body) for kind, _mobile, body in seen_registered[1]] == \
        [(kind, body) for kind, _mobile, body in seen_nobody[1]]
    assert seen_registered[2] == seen_nobody[2]
    # With the student's code, the asker proved they reach the student's phone: now they are told.
    public_id = students.request_student_link(asker, registered, now=NOW)
    with pytest.raises(Conflict, match="另一位家长") as refused:
        students.confirm_student_link(asker, public_id, sent_code(None, "jobs_student_link", mobile="13700000311"),
                                      now=NOW)
    assert refused.value.code == "student_other_parent"
    public_id = students.request_student_link(asker, nobody, now=NOW)
    code = sent_code(None, "jobs_student_link", mobile="13700000312")
    assert students.confirm_student_link(asker, public_id, code, now=NOW).parent_member_id == asker.id


def test_texts_for_a_student_s_code_are_capped_per_mobile(area):
    parent = create_member(union=area["street"])
    for attempt in range(5):
        students.request_student_link(parent, _student_details(seq=321 + attempt, mobile="13700000321"), now=NOW)
    with pytest.raises(InvalidInput, match="分钟后再试") as refused:
        students.request_student_link(parent, _student_details(seq=330, mobile="13700000321"), now=NOW)
    assert refused.value.field == "mobile"


def test_under_age_student_is_refused_on_the_start_date(area):
    enterprise = create_enterprise(union=area["street"])
    position = create_position(enterprise, starts_on=date(2026, 7, 15))
    parent = create_member()
    student = create_student(parent, birth=date(2010, 7, 16))  # 15 on 15 July 2026
    with pytest.raises(InvalidInput) as refused:
        applications.apply_for_child(parent, student.id, position.id, today=TODAY)
    assert refused.value.code == "student_too_young"
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_duplicate_applications_are_refused(area):
    position = create_position(create_enterprise(union=area["street"]))
    parent = create_member()
    student = create_student(parent)
    applications.apply_for_child(parent, student.id, position.id, today=TODAY)
    with pytest.raises(Conflict) as refused:
        applications.apply_for_child(parent, student.id, position.id, today=TODAY)
    assert refused.value.code == "duplicate_application"


def test_applying_to_a_closed_position_is_refused(area):
    enterprise = create_enterprise(union=area["street"])
    past = create_position(enterprise, apply_by=date(2026, 6, 30))
    full = create_position(enterprise, places=1)
    full.filled = 1
    db.session.commit()
    parent = create_member()
    student = create_student(parent)
    for position, label in ((past, "报名已截止"), (full, "名额已满")):
        with pytest.raises(Conflict, match=label):
            applications.apply_for_child(parent, student.id, position.id, today=TODAY)


def test_a_member_cannot_apply_for_someone_elses_child(area):
    position = create_position(create_enterprise(union=area["street"]))
    student = create_student(create_member())
    with pytest.raises(PermissionDenied):
        applications.apply_for_child(create_member(), student.id, position.id, today=TODAY)


def test_hardship_family_is_marked_for_priority_and_listed_first(area):
    enterprise = create_enterprise(union=area["street"], contact_username="ent2")
    contact = db.session.scalar(select(StaffUser).where(StaffUser.username == "ent2"))
    position = create_position(enterprise)
    ordinary, hardship = create_member(), create_member(is_hardship_family=True)
    first = applications.apply_for_child(ordinary, create_student(ordinary).id, position.id, today=TODAY)
    second = applications.apply_for_child(hardship, create_student(hardship).id, position.id, today=TODAY)
    assert second.is_priority and not first.is_priority
    _, listed = queries.position_applications(contact, position.id)
    assert [a.id for a in listed] == [second.id, first.id]


def test_student_applies_alone_after_the_parent_confirms_by_code(area):
    position = create_position(create_enterprise(union=area["street"]))
    parent = create_member(mobile="13800009999")
    now = datetime(2026, 7, 1, 10, tzinfo=CHINA)
    public_id = students.start_student_application(position.id, _student_details(), parent_id_number=parent.id_number,
                                                  parent_mobile="13800009999", now=now)
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_parent_verification"))
    assert text.member_id == parent.id
    code = sent_code(parent, "jobs_parent_verification")
    own = sent_code(None, "jobs_student_verification", mobile="13700000001")
    with pytest.raises(InvalidInput):
        students.confirm_student_application(public_id, "000000" if code != "000000" else "111111", own, now=now)
    with pytest.raises(InvalidInput):  # the parent's code alone is not enough
        students.confirm_student_application(public_id, code, "000000" if own != "000000" else "111111", now=now)
    application = students.confirm_student_application(public_id, code, own, now=now)
    assert application.student.parent_member_id == parent.id and application.channel == "student"


def test_a_student_applying_alone_learns_of_another_parent_only_with_both_codes(area):
    position = create_position(create_enterprise(union=area["street"]))
    parent = create_member(mobile="13800009996")
    _link(create_member(), _student_details(seq=341, mobile="13700000999"))
    now = datetime(2026, 7, 1, 10, tzinfo=CHINA)
    public_id = students.start_student_application(position.id, _student_details(seq=341), now=now,
                                                   parent_id_number=parent.id_number, parent_mobile="13800009996")
    code = sent_code(parent, "jobs_parent_verification")
    own = sent_code(None, "jobs_student_verification", mobile="13700000001")
    with pytest.raises(InvalidInput) as refused:  # the parent's code alone: as any wrong code
        students.confirm_student_application(public_id, code, "000000" if own != "000000" else "111111", now=now)
    assert refused.value.code == "code_failed"
    with pytest.raises(Conflict, match="另一位家长"):
        students.confirm_student_application(public_id, code, own, now=now)


def test_a_student_applying_alone_gives_their_own_mobile(area):
    position = create_position(create_enterprise(union=area["street"]))
    parent = create_member(mobile="13800009995")
    with pytest.raises(InvalidInput, match="学生本人的手机号码") as refused:
        students.start_student_application(position.id, _student_details(mobile="13800009995"), now=NOW,
                                           parent_id_number=parent.id_number, parent_mobile="13800009995")
    assert refused.value.field == "mobile"


def test_a_stranger_posing_as_parent_gets_the_same_answer_and_never_a_working_code(area):
    position = create_position(create_enterprise(union=area["street"]))
    parent = create_member(mobile="13800009998")
    now = datetime(2026, 7, 1, 10, tzinfo=CHINA)
    public_id = students.start_student_application(position.id, _student_details(), parent_id_number=parent.id_number,
                                                  parent_mobile="13800001111", now=now)
    assert public_id
    # Only the student's own code went out (to the mobile the student typed); none to anyone else.
    assert [m.kind for m in db.session.scalars(select(SmsMessage))] == ["jobs_student_verification"]
    own = sent_code(None, "jobs_student_verification", mobile="13700000001")
    with pytest.raises(InvalidInput):
        students.confirm_student_application(public_id, "123456", own, now=now)


def test_wrong_codes_stay_counted_though_each_refusal_rolls_the_action_back(area):
    position = create_position(create_enterprise(union=area["street"]))
    parent = create_member(mobile="13800009997")
    now = datetime(2026, 7, 1, 10, tzinfo=CHINA)
    public_id = students.start_student_application(position.id, _student_details(), parent_id_number=parent.id_number,
                                                   parent_mobile="13800009997", now=now)
    code = sent_code(parent, "jobs_parent_verification")
    own = sent_code(None, "jobs_student_verification", mobile="13700000001")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(students.VERIFICATION_MAX_ATTEMPTS):
        with pytest.raises(InvalidInput):
            students.confirm_student_application(public_id, wrong, own, now=now)
    with pytest.raises(InvalidInput):  # the right codes, after too many wrong ones
        students.confirm_student_application(public_id, code, own, now=now)
    assert db.session.scalar(select(func.count(Application.id))) == 0


# ---------------------------------------------------------------- decisions, capacity and access

@pytest.fixture
def hiring(area):
    enterprise = create_enterprise(union=area["street"], contact_username="ent_a")
    rival = create_enterprise(union=area["street"], contact_username="ent_b")
    position = create_position(enterprise, places=1)
    parent = create_member()
    submitted = []
    for n in range(3):
        student = create_student(parent if n == 0 else create_member(), name=f"学生{n}")
        submitted.append(applications.apply_for_child(student.parent, student.id, position.id, today=TODAY))
    users = {u.username: u for u in db.session.scalars(select(StaffUser))}
    return dict(area, enterprise=enterprise, rival=rival, position=position, applications=submitted,
                contact=users["ent_a"], rival_contact=users["ent_b"], parent=parent)


def test_an_enterprise_cannot_decide_on_another_enterprises_position(hiring):
    with pytest.raises(PermissionDenied, match="不属于您的企业"):
        applications.decide_application(hiring["rival_contact"], hiring["applications"][0].id, accept=True, today=TODAY)
    with pytest.raises(PermissionDenied):
        queries.position_applications(hiring["rival_contact"], hiring["position"].id)
    assert hiring["applications"][0].status == "submitted"


def test_declining_needs_a_note_and_texts_the_student(hiring):
    application = hiring["applications"][1]
    with pytest.raises(InvalidInput):
        applications.decide_application(hiring["contact"], application.id, accept=False, note="", today=TODAY)
    applications.decide_application(hiring["contact"], application.id, accept=False, note="专业不符", today=TODAY)
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_application_decided"))
    assert "专业不符" in text.body and text.mobile == application.student.mobile


def test_accepting_the_last_place_closes_the_position_and_answers_the_others(hiring):
    first, second, third = hiring["applications"]
    decision = applications.decide_application(hiring["contact"], first.id, accept=True, today=TODAY,
                                             link_for=lambda t: f"https://portal.example/jobs/s/{t}")
    assert decision.placement.status == "confirmed" and decision.student_link_token
    db.session.expire_all()
    position = db.session.get(Position, hiring["position"].id)
    assert (position.filled, position.status, position.closed_reason) == (1, "closed", "full")
    assert {a.status for a in (second, third)} == {"declined"}
    with pytest.raises(Conflict):
        applications.decide_application(hiring["contact"], second.id, accept=True, today=TODAY)
    link_text = db.session.scalar(select(SmsMessage).where(SmsMessage.subject_id == str(first.id)))
    assert "https://portal.example/jobs/s/" + decision.student_link_token in link_text.body
    assert placements.placement_for_token(decision.student_link_token).id == decision.placement.id


def test_a_second_accept_of_the_same_application_is_refused(hiring):
    application = hiring["applications"][0]
    applications.decide_application(hiring["contact"], application.id, accept=True, today=TODAY)
    with pytest.raises(Conflict):
        applications.decide_application(hiring["contact"], application.id, accept=True, today=TODAY)
    assert db.session.scalar(select(func.count(Placement.id))) == 1


@pytest.mark.postgres_only
def test_concurrent_accepts_never_exceed_the_places(app):
    """Eight enterprise sessions accept eight applications at once for three places: three win."""
    street = create_union(kind=UnionKind.STREET)
    enterprise = create_enterprise(union=street, contact_username="busy")
    position = create_position(enterprise, places=3)
    ids = []
    for n in range(8):
        parent = create_member()
        student = create_student(parent, name=f"并发{n}")
        ids.append(applications.apply_for_child(parent, student.id, position.id, today=TODAY).id)
    contact_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "busy"))
    barrier = threading.Barrier(len(ids))
    results = []

    def accept(application_id):
        with app.app_context():
            contact = db.session.get(StaffUser, contact_id)
            barrier.wait()
            try:
                applications.decide_application(contact, application_id, accept=True, today=TODAY)
                results.append("accepted")
            except Conflict as refusal:
                results.append(refusal.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert results.count("accepted") == 3
    assert db.session.scalar(select(func.count(Placement.id))) == 3
    position = db.session.get(Position, position.id)
    assert (position.filled, position.status) == (3, "closed")
    assert db.session.scalar(select(func.count(Application.id)).where(Application.status == "accepted")) == 3


# ---------------------------------------------------------------- placements, concerns, figures

@pytest.fixture
def placed(hiring):
    decision = applications.decide_application(hiring["contact"], hiring["applications"][0].id, accept=True,
                                             today=TODAY)
    return dict(hiring, placement=decision.placement, token=decision.student_link_token)


def test_no_attendance_before_agreement_and_insurance(placed):
    with pytest.raises(Conflict, match="协议和保险"):
        placements.report_attendance(placed["contact"], placed["placement"].id, week=date(2026, 7, 20),
                                     days_present=5, hours_worked=40, today=date(2026, 7, 24))
    with pytest.raises(InvalidInput, match="保单号"):
        placements.record_agreement(placed["contact"], placed["placement"].id, agreement_signed_on=TODAY,
                                    insurer="", policy_no="", starts_on=date(2026, 7, 15), today=TODAY)


def test_placement_runs_to_its_end_and_the_union_sees_the_figures(placed):
    contact, placement = placed["contact"], placed["placement"]
    placements.record_agreement(contact, placement.id, agreement_signed_on=date(2026, 7, 10), insurer="人保财险",
                                policy_no="PICC-2026-001", starts_on=date(2026, 7, 15), today=date(2026, 7, 10))
    assert db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_placement_confirmed"))
    placements.report_attendance(contact, placement.id, week=date(2026, 7, 15), days_present=3, hours_worked=24,
                                 today=date(2026, 7, 18))
    placements.report_attendance(contact, placement.id, week=date(2026, 7, 14), days_present=4, hours_worked=32,
                                 today=date(2026, 7, 18))  # the same week again: corrected, not doubled
    assert placement.days_reported == 4
    with pytest.raises(PermissionDenied):
        placements.report_attendance(placed["rival_contact"], placement.id, week=date(2026, 7, 15), days_present=1,
                                     hours_worked=None, today=date(2026, 7, 18))
    with pytest.raises(Conflict, match="实践证明"):
        placements.certificate(placement)
    placements.finish_placement(contact, placement.id, ends_on=date(2026, 8, 14), days_worked=22,
                                pay_received_yuan="3300", today=date(2026, 8, 15))
    assert placement.certificate_no == f"SJ2026-{placement.id:06d}"
    figures = queries.union_figures(placed["officer"])
    assert (figures.enterprises, figures.students_placed, figures.placements_finished) == (2, 1, 1)
    assert figures.average_pay_fen == 330_000 and figures.average_daily_pay_fen == 15_000
    outsider = queries.union_figures(placed["outsider"])
    assert (outsider.enterprises, outsider.students_placed) == (0, 0)


def test_a_concern_goes_to_the_union_officer_not_the_enterprise(placed):
    placed["street"].contact_phone = "13655550000"
    db.session.commit()
    placement = placements.placement_for_token(placed["token"])
    concern = concerns.raise_concern(placement, category="unpaid_wages", description="两周工资还没有发放",
                                       via="student")
    with pytest.raises(Conflict):
        concerns.raise_concern(placement, category="unpaid_wages", description="两周工资还没有发放", via="student")
    alert = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_concern_raised"))
    assert alert.mobile == "13655550000"
    assert [c.id for c in queries.union_concerns(placed["officer"])] == [concern.id]
    assert queries.union_concerns(placed["outsider"]) == []
    with pytest.raises(PermissionDenied):
        concerns.answer_concern(placed["outsider"], concern.id, answer="我们会联系企业核实")
    with pytest.raises(PermissionDenied):
        queries.union_concerns(placed["contact"])
    concerns.answer_concern(placed["officer"], concern.id, answer="已联系企业，本周五前补发")
    answered = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_concern_answered"))
    assert "本周五前补发" in answered.body and answered.mobile == placement.student.mobile


def test_contact_details_are_for_the_accepting_enterprise_and_the_union_and_each_view_is_audited(placed):
    placement = placed["placement"]
    assert placements.placement_contact(placed["contact"], placement.id)["mobile"] == placement.student.mobile
    assert placements.placement_contact(placed["officer"], placement.id)["id_number"] == placement.student.id_number
    with pytest.raises(PermissionDenied):
        placements.placement_contact(placed["rival_contact"], placement.id)
    with pytest.raises(PermissionDenied):
        placements.placement_contact(placed["outsider"], placement.id)
    views = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "jobs.contact_view"))
    assert views == 2


def test_export_masks_id_numbers(placed):
    from portal.integrations.spreadsheets import read_rows

    export = jobs_exports.export_placements(placed["officer"])
    rows = list(read_rows(export.stream.read(), "x.xlsx"))
    export.stream.close()
    assert rows[0][0] == "企业" and len(rows) == 2
    student = placed["placement"].student
    assert student.id_number not in str(rows[1]) and student.masked_id_number in rows[1]
    with pytest.raises(PermissionDenied):
        jobs_exports.export_placements(placed["contact"])


def test_the_daily_command_closes_positions_past_their_deadline(runner, area):
    enterprise = create_enterprise(union=area["street"])
    old = create_position(enterprise, apply_by=date(2020, 6, 30), starts_on=date(2020, 7, 1),
                          ends_on=date(2020, 8, 1))
    result = runner.invoke(args=["jobs-close-expired"])
    assert result.exit_code == 0 and "closed 1 positions" in result.output
    db.session.expire_all()
    assert db.session.get(Position, old.id).closed_reason == "deadline"

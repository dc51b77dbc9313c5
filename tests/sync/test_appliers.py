"""Each envelope kind goes through its area's own service: applied with the central reference,
answered ``duplicate`` with that reference again, or rejected with the area's Chinese refusal and
nothing of it left behind."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from portal import clock
from portal.domain.identity import compose_id_number
from portal.extensions import db
from portal.models import Application, AuditEvent, Enrollment, Member, Position, Student, SyncEnvelope
from portal.models.childcare import Registration
from portal.models.claims import Claim
from tests.factories import (
    CARD,
    child_input,
    covered_member,
    create_childcare_class,
    create_enterprise,
    create_member,
    create_plan,
    create_position,
    create_student,
    create_union,
    jpeg_bytes,
)


def results(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def block(member: Member) -> dict:
    return {"id_number": member.id_number, "name": member.name, "mobile": member.mobile}


def envelope(kind: str, payload: dict, attachments: list | None = None) -> dict:
    raw = {"id": str(uuid.uuid4()), "seq": 1, "kind": kind, "created_at": "2026-07-15T09:30:00+08:00",
           "payload": payload}
    if attachments is not None:
        raw["attachments"] = attachments
    return raw


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- claim.submit -----------------------------------------------------------------------------

@pytest.fixture
def insured(federation):
    today = clock.today()
    return covered_member(create_union("CL", parent=federation), starts_on=today - timedelta(days=90))


def hospital_claim(member: Member, *, attachments=None, **event_changes) -> dict:
    today = clock.today()
    event = {"admission_date": (today - timedelta(days=20)).isoformat(),
             "discharge_date": (today - timedelta(days=10)).isoformat(),
             "hospital": "无锡市人民医院", "diagnosis": "社区获得性肺炎", **event_changes}
    event = {key: value for key, value in event.items() if value is not None}
    return envelope("claim.submit", {"member": block(member), "type": "hospital", "event": event,
                                     "payee_name": member.name, "bank_card": CARD}, attachments)


def upload(kiosk_client, data: bytes, role: str, name: str = "出院小结.jpg") -> dict:
    sha = hashlib.sha256(data).hexdigest()
    assert kiosk_client.put(f"/blobs/{sha}", data=data, headers={"Content-Type": "image/jpeg"}).status_code == 201
    return {"sha256": sha, "name": name, "content_type": "image/jpeg", "size": len(data), "role": role}


def test_a_claim_is_filed_with_its_photos_and_answered_with_its_number(app, kiosk_client, insured):
    photo = upload(kiosk_client, jpeg_bytes(), "discharge_summary")
    sent = hospital_claim(insured, attachments=[photo])
    [answer] = results(kiosk_client.push(sent))
    assert answer["status"] == "applied", answer
    claim = db.session.scalar(select(Claim))
    assert answer["receipt"] == claim.reference and claim.reference in answer["message"]
    assert claim.status == "submitted" and claim.member_id == insured.id and claim.enrollment_id is not None
    assert claim.bank_card_last4 == CARD[-4:] and claim.filed_by_type == "member"
    [document] = claim.documents
    assert document.kind == "discharge_summary" and document.original_name == "出院小结.jpg"
    from portal.services.claims.documents import document_path

    with Image.open(document_path(document)) as stored:
        assert not stored.getexif()  # cleaned like a web upload: no EXIF, no GPS
    [again] = results(kiosk_client.push(sent))
    assert again == {**answer, "status": "duplicate"}
    assert count(Claim) == 1


def test_a_claim_without_attachments_is_checked_once_and_ends_as_the_same_claim_filed_on_the_web(
        kiosk_client, federation, monkeypatch):
    """The kiosk skips the save's preview checks when nothing reads them before the submission
    (no attachments to check against the cover): the submitted claim is the web's, to the fen."""
    from portal.services.claims import assessment, filing

    union = create_union("CL", parent=federation)
    today = clock.today()
    plan = create_plan()
    by_kiosk = covered_member(union, plan=plan, starts_on=today - timedelta(days=90))
    on_web = covered_member(union, plan=plan, starts_on=today - timedelta(days=90))
    checked, check = [], assessment.refresh_assessment
    monkeypatch.setattr(assessment, "refresh_assessment",
                        lambda claim, **options: (checked.append(claim.id), check(claim, **options))[1])
    sent = hospital_claim(by_kiosk)
    [answer] = results(kiosk_client.push(sent))
    assert answer["status"] == "applied", answer
    kiosk_claim = db.session.scalar(select(Claim).where(Claim.member_id == by_kiosk.id))
    assert checked == [kiosk_claim.id]  # once, at the submission
    monkeypatch.undo()

    event = sent["payload"]["event"]
    web_claim = filing.start_claim(on_web, "hospital", request_key="web", today=today)
    filing.save_and_submit(on_web, web_claim.id, {
        "admission_date": date.fromisoformat(event["admission_date"]),
        "discharge_date": date.fromisoformat(event["discharge_date"]), "hospital": event["hospital"],
        "diagnosis": event["diagnosis"], "payee_name": on_web.name}, bank_card=CARD, now=clock.now())
    db.session.expire_all()
    kiosk_claim, web_claim = db.session.get(Claim, kiosk_claim.id), db.session.get(Claim, web_claim.id)
    assert kiosk_claim.enrollment is not None and kiosk_claim.calculated_fen is not None
    for name in ("status", "plan_id", "plan_year", "event_date", "flags", "flag_codes", "is_flagged",
                 "calculated_fen", "allowance_days", "breakdown"):
        assert getattr(kiosk_claim, name) == getattr(web_claim, name), name
    assert [event.kind for event in kiosk_claim.events] == [event.kind for event in web_claim.events]


def test_an_incomplete_claim_is_rejected_with_the_claims_own_words_and_leaves_nothing(kiosk_client, insured):
    [answer] = results(kiosk_client.push(hospital_claim(insured, diagnosis=None)))
    assert answer["status"] == "rejected" and answer["code"] == "claim_incomplete"
    assert answer["message"].startswith("还不能提交：") and "诊断" in answer["message"]
    assert count(Claim) == 0
    assert db.session.scalar(select(SyncEnvelope)).status == "rejected"  # kept for staff


def test_a_batch_writes_the_audit_rows_of_its_applied_envelopes_only_as_one_push_each_would(
        kiosk_client, federation, insured):
    """A push adds its audit rows together before it commits (``rows_deferred``): a refused
    envelope's rows go with its savepoint, an applied one's are those it gets pushed alone."""
    alone = covered_member(create_union("CL2", parent=federation), starts_on=clock.today() - timedelta(days=90))
    [lone] = results(kiosk_client.push(hospital_claim(alone)))
    refused, applied = results(kiosk_client.push(hospital_claim(insured, diagnosis=None), hospital_claim(insured)))
    assert (lone["status"], refused["status"], applied["status"]) == ("applied", "rejected", "applied")
    db.session.rollback()
    claims = {claim.reference: str(claim.id) for claim in db.session.scalars(select(Claim))}
    rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "claim").order_by(AuditEvent.id)))
    assert {row.entity_id for row in rows} == set(claims.values())  # none for the refused claim
    actions = {claim_id: [row.action for row in rows if row.entity_id == claim_id] for claim_id in claims.values()}
    assert actions[claims[applied["receipt"]]] == actions[claims[lone["receipt"]]] != []


def test_a_claim_whose_member_block_does_not_match_the_record_is_rejected(kiosk_client, insured):
    sent = hospital_claim(insured)
    sent["payload"]["member"]["mobile"] = "13900000000"
    [answer] = results(kiosk_client.push(sent))
    assert answer["status"] == "rejected" and answer["code"] == "member_mismatch"
    assert count(Claim) == 0


def test_an_attachment_of_a_kind_the_claim_cannot_take_is_rejected_by_name(kiosk_client, insured):
    photo = upload(kiosk_client, jpeg_bytes((1, 2, 3)), "tax_return", name="税单.jpg")
    [answer] = results(kiosk_client.push(hospital_claim(insured, attachments=[photo])))
    assert answer["status"] == "rejected" and answer["code"] == "document_kind" and "税单.jpg" in answer["message"]
    assert count(Claim) == 0


# --- childcare.register -----------------------------------------------------------------------

def registration(parent: Member, class_id: int, **child_fields) -> dict:
    child = child_input(**child_fields)
    return envelope("childcare.register", {
        "parent": block(parent), "class_id": class_id,
        "child": {"name": child.name, "id_number": child.id_number, "health_notes": "花生过敏",
                  "pickup_adults": [{"name": "王芳", "mobile": "13912345678", "relation": "母亲"}]}})


def test_a_child_gets_the_last_seat_and_the_next_one_the_waitlist(kiosk_client, federation):
    union = create_union("TB", parent=federation)
    cls = create_childcare_class(union, today=clock.today(), phase="after_window", seats=1, allocated_at=clock.now())
    first, second = create_member(union=union, name="甲"), create_member(union=union, name="乙")
    seated, waiting = results(kiosk_client.push(registration(first, cls.id), registration(second, cls.id)))
    assert seated["status"] == waiting["status"] == "applied"
    assert seated["receipt"] == f"TB{cls.id}-1" and "已获得名额" in seated["message"]
    assert waiting["receipt"] == f"TB{cls.id}-2" and "候补名单，第1位" in waiting["message"]
    statuses = dict(db.session.execute(select(Registration.number, Registration.status)).all())
    assert statuses == {1: "confirmed", 2: "waitlisted"}


def test_a_batch_locks_the_class_after_its_other_envelopes_and_seats_in_the_order_sent(kiosk_client, federation):
    """A registration locks its class until the batch commits. Applied after the batch's other
    kinds, it holds that lock for the batch's tail only, so other kiosks' pushes wait less; the
    answers keep the batch's order and the seats still go in the order the registrations came."""
    create_plan()
    union = create_union("TB", parent=federation)
    cls = create_childcare_class(union, today=clock.today(), phase="after_window", seats=1, allocated_at=clock.now())
    first, applicant, second = (create_member(union=union, name=name) for name in ("甲", "丙", "乙"))
    batch = (registration(first, cls.id), cover_application(applicant), registration(second, cls.id))
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        seated, cover, waiting = results(kiosk_client.push(*batch))
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert seated["receipt"] == f"TB{cls.id}-1" and "已获得名额" in seated["message"]
    assert cover["status"] == "applied" and cover["receipt"].startswith("CB")
    assert waiting["receipt"] == f"TB{cls.id}-2" and "候补名单，第1位" in waiting["message"]
    class_reads = [i for i, text in enumerate(statements) if "FROM childcare_classes" in text]
    cover_writes = [i for i, text in enumerate(statements) if text.startswith("INSERT INTO enrollments")]
    assert cover_writes and class_reads and cover_writes[-1] < class_reads[0]


def test_a_child_outside_the_class_ages_is_rejected_with_the_childcare_reason(kiosk_client, federation):
    union = create_union("TB", parent=federation)
    cls = create_childcare_class(union, today=clock.today(), phase="after_window", seats=5, allocated_at=clock.now())
    parent = create_member(union=union)
    [answer] = results(kiosk_client.push(registration(parent, cls.id, birth=date(2023, 5, 1))))
    assert answer["status"] == "rejected" and answer["code"] == "child_age_out_of_range"
    assert "本班只招收6—12岁的孩子" in answer["message"]
    assert count(Registration) == 0


def test_a_registration_in_the_window_is_a_request_for_the_draw(kiosk_client, federation):
    union = create_union("TB", parent=federation)
    cls = create_childcare_class(union, today=clock.today(), phase="window_open", seats=5)
    [answer] = results(kiosk_client.push(registration(create_member(union=union), cls.id)))
    assert answer["status"] == "applied" and "抽签" in answer["message"]


def test_a_parent_new_to_the_portal_is_created_unverified(kiosk_client, federation):
    union = create_union("TB", parent=federation)
    cls = create_childcare_class(union, today=clock.today(), phase="after_window", seats=5, allocated_at=clock.now())
    newcomer = {"id_number": compose_id_number("320211", date(1988, 8, 8), 371), "name": "赵新来",
                "mobile": "13700001111"}
    sent = registration(create_member(union=union), cls.id)
    sent["payload"]["parent"] = newcomer
    [answer] = results(kiosk_client.push(sent))
    assert answer["status"] == "applied"
    member = Member.by_id_number(newcomer["id_number"])
    assert member is not None and member.is_verified is False and member.name == "赵新来"


# --- job.apply --------------------------------------------------------------------------------

@pytest.fixture
def position(federation):
    today = clock.today()
    enterprise = create_enterprise(union=create_union("QG", parent=federation))
    return create_position(enterprise, starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                           apply_by=today + timedelta(days=10))


def job_application(parent: Member, position_id: int, student: dict) -> dict:
    return envelope("job.apply", {"parent": block(parent), "position_id": position_id, "student": student,
                                  "motivation": "想在暑假积累工作经验。"})


def who(student: Student) -> dict:
    return {"name": student.name, "id_number": student.id_number}


def test_a_parent_applies_at_the_kiosk_for_a_student_registered_on_the_web(kiosk_client, position):
    parent = create_member(name="李建华")
    student = create_student(parent)
    [answer] = results(kiosk_client.push(job_application(parent, position.id, who(student))))
    assert answer["status"] == "applied", answer
    application = db.session.scalar(select(Application))
    assert answer["receipt"] == f"QG{application.id:07d}" and "行政助理" in answer["message"]
    assert application.channel == "kiosk" and application.status == "submitted"
    assert application.student_id == student.id and count(Student) == 1
    # The same student again, for another position, from a kiosk still sending the old form's
    # fields (school, major, year, mobile): they are ignored, nothing about the student changes.
    other = create_position(position.enterprise, title="档案整理", starts_on=position.starts_on,
                            ends_on=position.ends_on, apply_by=position.apply_by)
    older = {**who(student), "school": "别的大学", "major": "法学", "year": 4, "mobile": "13712345678"}
    [second] = results(kiosk_client.push(job_application(parent, other.id, older)))
    assert second["status"] == "applied" and count(Student) == 1
    assert db.session.get(Student, student.id).school == "江南大学"


def test_a_kiosk_registers_no_student_and_cannot_tell_whether_another_parent_did(kiosk_client, position):
    """Issue 12: a kiosk used to register a new student at once and refuse one another member had
    registered ("该学生已由另一位家长登记"), so anyone typing a member's ID number and mobile there
    learned whether another parent registered a young person. Now a kiosk applies only for the
    parent's own registered students: nobody's student and another parent's get the same answer."""
    parent = create_member(name="李建华")
    theirs = create_student(create_member(name="王立新"))  # another parent registered this student
    nobodys = {"name": "赵明", "id_number": compose_id_number("320206", date(2005, 6, 1), 177)}
    answers = {}
    for case, student in (("another parent", who(theirs)), ("nobody", nobodys)):
        [answer] = results(kiosk_client.push(job_application(parent, position.id, student)))
        answers[case] = {key: value for key, value in answer.items() if key != "id"}
    assert answers["another parent"] == answers["nobody"]
    assert answers["nobody"]["status"] == "rejected" and answers["nobody"]["code"] == "student_not_registered"
    assert "登记子女" in answers["nobody"]["message"] and "另一位家长" not in answers["nobody"]["message"]
    assert count(Application) == 0 and count(Student) == 1  # no one registered, the other family's untouched
    assert db.session.get(Student, theirs.id).parent_member_id != parent.id


def test_a_batch_reads_its_position_once_and_answers_as_envelopes_pushed_alone(kiosk_client, position):
    """The session keeps a batch's positions (``kept_rows``): without it each envelope read its
    position again, and once more for the answer's title, the row having been dropped meanwhile."""
    parents = [create_member(name=name) for name in ("李建华", "王立新", "赵明")]
    students = [create_student(parent) for parent in parents]
    alone = results(kiosk_client.push(job_application(parents[0], position.id, who(students[0]))))
    reads = []

    def note(conn, cursor, statement, *args):
        if "FROM positions" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        batch = results(kiosk_client.push(*(job_application(parent, position.id, who(student))
                                             for parent, student in zip(parents[1:], students[1:], strict=True))))
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(reads) == 1
    ids = sorted(db.session.scalars(select(Application.id)))
    for answer, application_id in zip(alone + batch, ids, strict=True):
        assert answer["status"] == "applied" and answer["receipt"] == f"QG{application_id:07d}"
        assert answer["message"] == alone[0]["message"].replace(alone[0]["receipt"], answer["receipt"])


def test_a_second_application_to_the_same_position_is_refused_by_the_jobs_rule(kiosk_client, position):
    parent = create_member()
    student = create_student(parent)
    results(kiosk_client.push(job_application(parent, position.id, who(student))))
    [answer] = results(kiosk_client.push(job_application(parent, position.id, who(student))))
    assert answer["status"] == "rejected" and answer["code"] == "duplicate_application"
    assert count(Application) == 1


def test_an_application_to_a_filled_position_is_rejected_with_the_reason(kiosk_client, position):
    db.session.get(Position, position.id).filled = position.places
    db.session.commit()
    parent = create_member()
    student = create_student(parent)
    [answer] = results(kiosk_client.push(job_application(parent, position.id, who(student))))
    assert answer["status"] == "rejected" and answer["code"] == "position_closed"
    assert answer["message"].startswith("该岗位已停止报名（") and count(Application) == 0


# --- enrollment.apply and campaign.claim ------------------------------------------------------

def cover_application(member: Member, union_code: str | None = None) -> dict:
    return envelope("enrollment.apply", {"member": block(member), "union_code": union_code,
                                         "occupation": "快递员", "is_gig_worker": True})


def test_a_member_applies_for_cover_through_the_unions_queue(kiosk_client, federation):
    create_plan()
    member = create_member(union=create_union("CB", parent=federation))
    sent = cover_application(member)
    [answer] = results(kiosk_client.push(sent))
    assert answer["status"] == "applied", answer
    enrollment = db.session.scalar(select(Enrollment))
    assert answer["receipt"] == f"CB{enrollment.id:07d}" and "工会确认" in answer["message"]
    assert enrollment.member_id == member.id and enrollment.status == "pending" and enrollment.channel == "kiosk"
    [again] = results(kiosk_client.push(sent))
    assert again == {**answer, "status": "duplicate"}


def test_a_person_new_to_the_portal_cannot_start_cover_before_the_text_confirms(kiosk_client, federation):
    create_plan()
    union = create_union("CB", parent=federation)
    newcomer = {"id_number": compose_id_number("320211", date(1991, 2, 3), 17), "name": "钱新",
                "mobile": "13700002222"}
    sent = envelope("enrollment.apply", {"member": newcomer, "union_code": union.code, "occupation": "快递员",
                                         "is_gig_worker": True})
    [answer] = results(kiosk_client.push(sent))
    assert answer["status"] == "rejected" and "验证" in answer["message"]
    assert count(Enrollment) == 0 and Member.by_id_number(newcomer["id_number"]) is None


def test_an_unknown_union_code_is_rejected_by_name(kiosk_client, federation):
    create_plan()
    [answer] = results(kiosk_client.push(cover_application(create_member(), "NOPE")))
    assert answer["status"] == "rejected" and answer["code"] == "union_unknown" and "NOPE" in answer["message"]


def open_gift(federation, *, quota: int = 1):
    """A gift for gig workers of the federation (by its code: the fixture's object is detached by now)."""
    from portal.domain.roles import Role
    from portal.services.enrollment import campaigns
    from tests.factories import create_staff

    create_plan()
    today = clock.today()
    draft = campaigns.CampaignDraft(name="锡新保", sponsor="市总工会", union_code="FED",
                                    opens_on=today - timedelta(days=10), closes_on=today + timedelta(days=90),
                                    quota=quota)
    return campaigns.open_campaign(create_staff(role=Role.ADMIN), draft)


def gift_claim(member: Member, campaign_id) -> dict:
    return envelope("campaign.claim", {"member": block(member), "campaign_code": str(campaign_id),
                                       "occupation": "快递员"})


def test_a_gig_worker_claims_the_gift_and_the_quota_refuses_the_next(kiosk_client, federation):
    campaign = open_gift(federation, quota=1)
    union = create_union("XX", parent=federation)
    rider = create_member(union=union, occupation="外卖配送员", is_gig_worker=True)
    courier = create_member(union=union, occupation="快递员", is_gig_worker=True)
    first, second = results(kiosk_client.push(gift_claim(rider, campaign.id), gift_claim(courier, campaign.id)))
    assert first["status"] == "applied", first
    enrollment = db.session.scalar(select(Enrollment))
    assert first["receipt"] == f"CB{enrollment.id:07d}" and "锡新保" in first["message"]
    assert enrollment.channel == "kiosk" and enrollment.status == "active" and enrollment.member_id == rider.id
    assert second["status"] == "rejected" and second["code"] == "quota_full"
    assert count(Enrollment) == 1


def test_a_member_the_gift_is_not_for_is_told_why(kiosk_client, federation):
    campaign = open_gift(federation)
    clerk = create_member(union=create_union("XX", parent=federation), occupation="企业职工")
    [answer] = results(kiosk_client.push(gift_claim(clerk, campaign.id)))
    assert answer["status"] == "rejected" and answer["code"] == "not_eligible"
    [unknown] = results(kiosk_client.push(gift_claim(clerk, "abc")))
    assert unknown["status"] == "rejected" and unknown["code"] == "campaign_unknown"

"""Every staff list exports what is filtered on screen: same rows, same scope, masked personal data
unless the role may see it in full, every export audited."""

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent
from portal.models.unions import UnionKind
from portal.services.enrollment import exports as enrollment_exports
from portal.services.enrollment import queries as enrollment_queries
from portal.services.exports import MAX_ROWS
from portal.services.jobs import queries as jobs_queries
from portal.services.review import queries as review_queries
from tests.factories import (
    CLAIM_NOON,
    covered_member,
    create_childcare_class,
    create_enrollment,
    create_enterprise,
    create_member,
    create_payout_batch,
    create_plan,
    create_position,
    create_registration,
    create_staff,
    create_union,
    file_claim,
)
from tests.web.test_reports_web import xlsx_rows


def _audited(action: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id.desc())).first()


def _tree():
    district = create_union("LX", "梁溪区总工会", kind=UnionKind.DISTRICT)
    mine = create_union("LX01", "快递行业工会", parent=district)
    theirs = create_union("LX02", "环卫工会", parent=district)
    return district, mine, theirs


def test_the_enrolment_export_has_exactly_the_screen_s_rows_for_a_filter(client, auth):
    district, mine, theirs = _tree()
    plan = create_plan()
    start = clock.today() - timedelta(days=30)
    for union, names in ((mine, ["甲一", "甲二", "甲三"]), (theirs, ["乙一", "乙二"])):
        for name in names:
            create_enrollment(create_member(union=union, name=name), plan, starts_on=start, union=union)
    admin = create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    filters = enrollment_queries.EnrollmentFilters(union_code="LX01")
    screen, total = enrollment_queries.list_enrollments(admin, filters, per_page=1000)
    sheet = xlsx_rows(client.get("/enrollment/export.xlsx?union_code=LX01"))
    assert total == 3 and sorted(row[0] for row in sheet[1:]) == sorted(e.member.name for e in screen)
    assert sheet[0][:3] == ["姓名", "身份证号", "手机号"]
    assert all("*" in row[1] and "*" in row[2] for row in sheet[1:])  # masked
    event = _audited("enrollment.export")
    assert event.details == {"rows": 3, "full_personal_data": False, "filters": {"union_code": "LX01"}}


def test_a_grassroots_officer_s_exports_hold_only_its_union(client, auth):
    district, mine, theirs = _tree()
    plan = create_plan()
    start = clock.today() - timedelta(days=30)
    create_enrollment(create_member(union=mine, name="甲某"), plan, starts_on=start, union=mine)
    create_enrollment(create_member(union=theirs, name="乙某"), plan, starts_on=start, union=theirs)
    street = create_union("LX03", "崇安寺街道总工会", parent=district, kind=UnionKind.STREET)
    enterprise_mine = create_enterprise(union=mine, name="甲方企业")
    enterprise_theirs = create_enterprise(union=theirs, name="乙方企业")
    create_position(enterprise_mine, title="甲岗位")
    create_position(enterprise_theirs, title="乙岗位")
    assert street
    create_staff("officer", Role.UNION_OFFICER, union=mine)
    auth.staff("officer")
    members = xlsx_rows(client.get("/enrollment/members/export.xlsx"))
    assert [row[0] for row in members[1:]] == ["甲某"]
    enrolments = xlsx_rows(client.get("/enrollment/export.xlsx"))
    assert [row[0] for row in enrolments[1:]] == ["甲某"]
    # naming another union in the filter does not widen the scope
    assert client.get("/enrollment/export.xlsx?union_code=LX02").status_code in (400, 403)
    positions = xlsx_rows(client.get("/jobs/union/positions/export.xlsx"))
    assert [row[1] for row in positions[1:]] == ["甲岗位"]
    enterprises = xlsx_rows(client.get("/jobs/union/enterprises/export.xlsx"))
    assert [row[0] for row in enterprises[1:]] == ["甲方企业"]
    assert "*" in enterprises[1][6]  # the contact's mobile, masked


def test_the_review_queue_export_follows_the_screen_s_filter(client, auth):
    reviewer = create_staff("reviewer", Role.REVIEWER)
    union = create_union("HS", "惠山区总工会")
    other = create_union("XS", "锡山区总工会")
    ours = [file_claim(covered_member(union)) for _ in range(3)]
    file_claim(covered_member(other))
    auth.staff("reviewer")
    filters = review_queries.QueueFilters(union_code="HS")
    screen, total = review_queries.review_queue(reviewer, filters, per_page=1000)
    sheet = xlsx_rows(client.get("/review/export.xlsx?union=HS"))
    assert total == 3 and [row[0] for row in sheet[1:]] == [claim.reference for claim in screen]
    assert {claim.reference for claim in ours} == {row[0] for row in sheet[1:]}
    assert all("*" in row[1] and "*" in row[2] for row in sheet[1:])  # names and ID numbers masked
    assert _audited("claims.export").details["filters"] == {"union_code": "HS"}
    assert xlsx_rows(client.get("/review/export.xlsx?union=NOPE"))[1:] == []  # an unknown union: nothing


def test_payout_cards_are_in_full_for_the_administrator_only(client, auth):
    reviewer = create_staff("reviewer", Role.REVIEWER)
    create_staff("admin", Role.ADMIN)
    batch = create_payout_batch(reviewer, 2, now=CLAIM_NOON)
    cards = sorted(item.bank_card for item in batch.items)
    auth.staff("reviewer")
    masked = xlsx_rows(client.get(f"/review/payouts/export.xlsx?batch={batch.id}"))
    assert len(masked) == 3 and all(row[5] not in cards and "*" in row[5] for row in masked[1:])
    assert _audited("payouts.export").details["full_personal_data"] is False
    auth.logout()
    auth.staff("admin")
    full = xlsx_rows(client.get("/review/payouts/export.xlsx"))
    assert sorted(row[5] for row in full[1:]) == cards
    event = _audited("payouts.export")
    assert event.details["full_personal_data"] is True and event.actor_label.startswith("admin")


def test_childcare_registrations_are_in_full_for_the_class_s_organiser_and_masked_for_the_union(client, auth):
    district, mine, _ = _tree()
    cls = create_childcare_class(mine)
    parent = create_member(union=mine, name="王建国", mobile="13911112222")
    create_registration(cls, parent)
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=mine)
    create_staff("officer", Role.UNION_OFFICER, union=district)
    auth.staff("organiser")
    full = xlsx_rows(client.get(f"/childcare/manage/{cls.id}/registrations.xlsx"))
    assert full[1][4] == "王建国" and full[1][5] == "13911112222"
    auth.logout()
    auth.staff("officer")
    masked = xlsx_rows(client.get(f"/childcare/manage/{cls.id}/registrations.xlsx"))
    assert masked[1][4] != "王建国" and "13911112222" not in str(masked)
    event = _audited("childcare.registrations_export")
    assert event.entity_id == str(cls.id) and event.details["full_personal_data"] is False
    attendance = xlsx_rows(client.get(f"/childcare/manage/{cls.id}/attendance.xlsx"))
    assert attendance[0][:3] == ["报名序号", "孩子", "出勤"]


def test_the_jobs_applications_export_uses_the_screen_s_status_filter(client, auth):
    district, mine, _ = _tree()
    enterprise = create_enterprise(union=mine)
    position = create_position(enterprise)
    officer = create_staff("officer", Role.UNION_OFFICER, union=district)
    from tests.factories import create_application, create_student

    create_application(position, create_student(name="张学生"), status="submitted")
    create_application(position, create_student(name="李学生"), status="declined")
    auth.staff("officer")
    screen = jobs_queries.union_applications(officer, status="declined")
    sheet = xlsx_rows(client.get("/jobs/union/applications/export.xlsx?status=declined"))
    assert [int(row[0]) for row in sheet[1:]] == [a.id for a in screen] and len(screen) == 1
    assert "李学生" not in str(sheet)  # student names masked


def test_exports_are_bounded_by_what_excel_holds():
    assert MAX_ROWS == 1_048_575
    assert enrollment_exports.ENROLLMENTS.headers[0] == "姓名"

"""Work-study through the browser: the whole flow from enterprise sign-up to the union's view."""

import re
from datetime import timedelta

from sqlalchemy import delete, select

from portal import clock
from portal.domain.identity import compose_id_number
from portal.domain.jobs import compose_uscc
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Enterprise, Placement, Position, SmsMessage, Student
from portal.models.unions import UnionKind
from portal.pii import lookup_hash
from tests.conftest import post_form, sent_code
from tests.factories import (
    PASSWORD,
    create_enterprise,
    create_member,
    create_position,
    create_staff,
    create_student,
    create_union,
)


def register_child(client, child: dict):
    """A signed-in parent registers a child: the form, then the code texted to the student's mobile."""
    answer = post_form(client, "/jobs/me/students/new", child)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    confirm = answer.headers["Location"]
    assert "学生本人确认" in client.get(confirm).get_data(as_text=True)
    done = post_form(client, confirm, {"code": sent_code(None, "jobs_student_link", mobile=child["mobile"])})
    assert done.status_code == 302, done.get_data(as_text=True)
    return done


def _page_without_tokens(response) -> str:
    text = response.get_data(as_text=True)
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]+"|"X-CSRFToken": "[^"]+"', "", text)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "LINK", text)


def test_a_parent_cannot_tell_from_the_pages_whether_another_parent_registered_a_student(client, auth):
    """Registering a student another member registered, and one nobody registered: the same pages,
    the same text to the mobile typed, the same refusal of a wrong code. Only the student's code
    tells (it shows that the asker reaches the student's phone)."""
    union = create_union("XW", "新吴区总工会")
    first_parent, asker = create_member(union=union), create_member(union=union)
    auth.member(first_parent)
    register_child(client, {"name": "李晨", "id_number": compose_id_number("320206", clock.today().replace(
        year=clock.today().year - 19), 351), "mobile": "13700000999", "school": "江南大学", "major": "会计学",
        "year_of_study": "大二"})
    auth.logout()
    auth.member(asker)
    seen = {}
    for world, sequence in (("registered", 351), ("nobody", 352)):
        child = {"name": "李晨", "id_number": compose_id_number("320206", clock.today().replace(
            year=clock.today().year - 19), sequence), "mobile": f"1370000{sequence:04d}", "school": "江南大学",
            "major": "会计学", "year_of_study": "大二"}
        answer = post_form(client, "/jobs/me/students/new", child)
        confirm = answer.headers["Location"]
        page = client.get(confirm)
        wrong = post_form(client, confirm, {"code": "000000" if sent_code(
            None, "jobs_student_link", mobile=child["mobile"]) != "000000" else "111111"})
        texts = [(m.kind, m.body) for m in db.session.scalars(select(SmsMessage).where(
            SmsMessage.mobile_hash == lookup_hash(child["mobile"])))]
        seen[world] = (answer.status_code, re.sub(r"/[0-9a-f-]{36}", "/LINK", confirm), page.status_code,
                       _page_without_tokens(page), wrong.status_code, _page_without_tokens(wrong), texts)
    assert seen["registered"] == seen["nobody"]
    assert seen["nobody"][0] == 302 and seen["nobody"][2] == 200 and "确认码不正确" in seen["nobody"][5]


def test_public_listing_needs_no_sign_in_and_filters_in_place(client):
    street = create_union(kind=UnionKind.STREET)
    enterprise = create_enterprise(union=street)
    today = clock.today()
    dates = dict(starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                 apply_by=today + timedelta(days=10))
    create_position(enterprise, title="会计助理", majors="会计", **dates)
    create_position(enterprise, title="软件测试", majors="计算机", **dates)
    page = client.get("/jobs/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "会计助理" in html and "软件测试" in html
    assert 'hx-push-url="true"' in html and 'id="position-list"' in html
    fragment = client.get("/jobs/?major=会计", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="position-list"') and "<html" not in body
    assert "会计助理" in body and "软件测试" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    # the shareable URL renders the same filtered list as a full page
    assert "软件测试" not in client.get("/jobs/?major=会计").get_data(as_text=True)
    bad = client.get("/jobs/?min_pay=abc", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "最低日薪请填写数字" in bad


def test_whole_flow_from_enterprise_sign_up_to_certificate_and_union_view(app, client, auth):
    district = create_union("HS", "惠山区总工会", kind=UnionKind.DISTRICT)
    street = create_union("HS01", "长安街道总工会", parent=district, kind=UnionKind.STREET)
    create_staff("officer_hs", Role.UNION_OFFICER, union=district)
    parent = create_member(union=street, name="李建国", mobile="13800000042")
    today = clock.today()

    # 1. The enterprise registers itself; it cannot sign in before approval.
    answer = post_form(client, "/jobs/enterprises/register", {
        "name": "无锡长安爱心科技有限公司", "uscc": compose_uscc("320206", 4242), "union_id": street.id,
        "district": "惠山区", "address": "长安街道1号", "contact_name": "周经理", "contact_mobile": "13912345678",
        "username": "changan", "password": "changan-2026-pw"})
    assert "登记已提交" in answer.get_data(as_text=True)
    auth.staff("changan", "changan-2026-pw")
    assert client.get("/jobs/enterprise/").status_code == 302  # still signed out

    # 2. The union officer approves it.
    auth.staff("officer_hs")
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.name == "无锡长安爱心科技有限公司"))
    assert "无锡长安爱心科技有限公司" in client.get("/jobs/union/").get_data(as_text=True)
    post_form(client, f"/jobs/union/enterprises/{enterprise.id}/review", {"decision": "approve", "note": ""},
              form_page="/jobs/union/")
    auth.logout()

    # 3. It signs in and posts a position.
    auth.staff("changan", "changan-2026-pw")
    starts = today + timedelta(days=20)
    form = {"title": "财务助理", "description": "协助录入凭证", "district": "惠山区", "address": "长安街道1号",
            "majors": "会计、财务管理", "places": "1", "pay": "150", "pay_unit": "day",
            "starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=30)).isoformat(),
            "apply_by": (today + timedelta(days=10)).isoformat(), "hours": "9:00—17:00", "min_age": "16",
            "safety_notes": "不安排夜班"}
    refused = post_form(client, "/jobs/enterprise/positions/new", form)  # no agreement promise ticked
    assert refused.status_code == 200 and "意外伤害保险" in refused.get_data(as_text=True)
    assert "财务助理" in refused.get_data(as_text=True)  # what was typed is kept
    post_form(client, "/jobs/enterprise/positions/new", {**form, "agreement_confirmed": "y"})
    position = db.session.scalar(select(Position).where(Position.title == "财务助理"))
    assert position is not None and position.pay_fen == 15_000
    assert client.get(f"/jobs/positions/{position.id}").status_code == 404  # not public before the union says so
    assert "等待工会审核" in client.get(f"/jobs/enterprise/positions/{position.id}").get_data(as_text=True)
    auth.logout()

    # 3b. The union officer reads it in full and publishes it.
    auth.staff("officer_hs")
    waiting = client.get("/jobs/union/positions").get_data(as_text=True)
    assert "不安排夜班" in waiting and "待工会审核" in waiting
    post_form(client, f"/jobs/union/positions/{position.id}/review", {"decision": "approve", "note": ""},
              form_page="/jobs/union/positions")
    db.session.expire_all()
    assert position.status == "open"
    assert client.get(f"/jobs/positions/{position.id}").status_code == 200
    auth.logout()

    # 4. A parent signs in, registers the child (under-age first) and applies.
    auth.member(parent)
    too_young = compose_id_number("320206", starts.replace(year=starts.year - 16) + timedelta(days=1), 333)
    child = {"name": "李晨", "mobile": "13700000042", "school": "江南大学", "major": "会计学", "year_of_study": "大二"}
    register_child(client, {**child, "id_number": too_young})
    student_id = db.session.scalar(select(Student.id))
    refusal = post_form(client, f"/jobs/positions/{position.id}/apply", {"student_id": student_id},
                        form_page=f"/jobs/positions/{position.id}", follow_redirects=True)
    assert "未满16周岁" in refusal.get_data(as_text=True)
    db.session.execute(delete(Student))
    db.session.commit()
    adult = compose_id_number("320206", today.replace(year=today.year - 19), 335)
    register_child(client, {**child, "id_number": adult})
    student_id = db.session.scalar(select(Student.id))
    applied = post_form(client, f"/jobs/positions/{position.id}/apply", {"student_id": student_id},
                        form_page=f"/jobs/positions/{position.id}", follow_redirects=True)
    assert "报名已提交" in applied.get_data(as_text=True)
    again = post_form(client, f"/jobs/positions/{position.id}/apply", {"student_id": student_id},
                      form_page=f"/jobs/positions/{position.id}", follow_redirects=True)
    assert "已报名过" in again.get_data(as_text=True)
    auth.logout()

    # 5. The enterprise sees the student masked, accepts with htmx, and only then sees the contact.
    auth.staff("changan", "changan-2026-pw")
    page = client.get(f"/jobs/enterprise/positions/{position.id}").get_data(as_text=True)
    assert "13700000042" not in page and "137****0042" in page and "李晨" not in page
    application = db.session.scalar(select(Application))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    row = client.post(f"/jobs/enterprise/applications/{application.id}/decide",
                      data={"csrf_token": token, "decision": "accept", "note": "欢迎"},
                      headers={"HX-Request": "true"})
    swapped = row.get_data(as_text=True).lstrip()
    assert swapped.startswith(f'<article class="card application" id="application-{application.id}"')
    placement = db.session.scalar(select(Placement))
    detail = client.get(f"/jobs/enterprise/placements/{placement.id}").get_data(as_text=True)
    assert "13700000042" in detail
    text = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "jobs_application_decided"))
    link = re.search(r"http://localhost(/jobs/s/[\w-]+)", text.body).group(1)

    # 6. Agreement and insurance, a week of attendance, the end with days and pay.
    post_form(client, f"/jobs/enterprise/placements/{placement.id}/agreement", {
        "agreement_signed_on": today.isoformat(), "insurer": "人保财险", "policy_no": "PICC-1",
        "starts_on": today.isoformat()}, form_page=f"/jobs/enterprise/placements/{placement.id}")
    post_form(client, f"/jobs/enterprise/placements/{placement.id}/attendance", {
        "week": today.isoformat(), "days_present": "3", "hours_worked": "24"},
        form_page=f"/jobs/enterprise/placements/{placement.id}")
    bad_end = post_form(client, f"/jobs/enterprise/placements/{placement.id}/finish", {
        "ends_on": today.isoformat(), "days_worked": "1", "pay_received": "0"},
        form_page=f"/jobs/enterprise/placements/{placement.id}")
    assert bad_end.status_code == 422 and "须支付报酬" in bad_end.get_data(as_text=True)
    post_form(client, f"/jobs/enterprise/placements/{placement.id}/finish", {
        "ends_on": today.isoformat(), "days_worked": "1", "pay_received": "150"},
        form_page=f"/jobs/enterprise/placements/{placement.id}")
    auth.logout()

    # 7. The student, from the texted link, raises a concern and prints the certificate.
    post_form(client, link, {"category": "hours", "description": "加班没有加班费，也没有排休"})
    certificate = client.get(link + "/certificate").get_data(as_text=True)
    assert "实践证明" in certificate and "李晨" in certificate and "SJ" in certificate

    # 8. The union sees it all: figures, the open concern first, the export.
    auth.staff("officer_hs")
    overview = client.get("/jobs/union/").get_data(as_text=True)
    assert "加班没有加班费" in overview and "150.00元" in overview
    export = client.get("/jobs/union/export.xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")


def test_access_boundaries_between_enterprises_and_unions(client, auth):
    district = create_union(kind=UnionKind.DISTRICT)
    street = create_union(parent=district, kind=UnionKind.STREET)
    outsider_union = create_union(kind=UnionKind.DISTRICT)
    mine = create_enterprise(union=street, contact_username="mine")
    theirs = create_enterprise(union=street, contact_username="theirs")
    position = create_position(theirs)
    create_staff("outsider", Role.UNION_OFFICER, union=outsider_union)
    pending = create_enterprise(union=street, status="pending")

    auth.staff("mine", PASSWORD)
    assert mine.id != theirs.id
    answer = client.get(f"/jobs/enterprise/positions/{position.id}")
    assert answer.status_code == 403 and "不属于您的企业" in answer.get_data(as_text=True)
    assert client.get("/jobs/union/").status_code == 403
    auth.logout()

    auth.staff("outsider")
    assert client.get("/jobs/union/").status_code == 200
    refused = post_form(client, f"/jobs/union/enterprises/{pending.id}/review", {"decision": "approve"},
                        form_page="/jobs/union/", follow_redirects=True)
    assert "不属于您所在工会" in refused.get_data(as_text=True)
    db.session.refresh(pending)
    assert pending.status == "pending"
    auth.logout()

    auth.member(create_member())
    assert client.get("/jobs/enterprise/").status_code == 403
    assert client.get("/jobs/union/").status_code == 403
    assert client.get("/jobs/s/not-a-real-token").status_code == 404


def test_absurd_listing_arguments_get_the_listing_not_a_crash(client):
    answer = client.get("/jobs/?page=99999999999999999999")
    assert answer.status_code == 200
    assert 'id="position-list"' in answer.get_data(as_text=True)
    answer = client.get("/jobs/?min_pay=1e5000000", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "最低日薪" in answer.get_data(as_text=True)


def test_an_english_page_gives_a_refusal_in_english_with_its_date(client, auth):
    street = create_union(kind=UnionKind.STREET)
    today = clock.today()
    starts = today + timedelta(days=20)
    position = create_position(create_enterprise(union=street), starts_on=starts, ends_on=starts + timedelta(days=30),
                               apply_by=today + timedelta(days=10))
    parent = create_member(union=street)
    student = create_student(parent, birth=starts - timedelta(days=16 * 365))  # 16 a few days after the start
    auth.member(parent)
    post_form(client, "/lang/en", {"next": "/"}, form_page="/")
    refusal = post_form(client, f"/jobs/positions/{position.id}/apply", {"student_id": student.id},
                        form_page=f"/jobs/positions/{position.id}", follow_redirects=True).get_data(as_text=True)
    assert "the student is 15 on the position&#39;s first day" in refusal
    assert f" {starts.day}, {starts.year})" in refusal and "未满" not in refusal  # "(Dec 22, 2026)"


def test_a_student_applies_alone_with_the_parent_s_code_and_their_own(client):
    union = create_union("XW", "新吴区总工会")
    today = clock.today()
    position = create_position(create_enterprise(union=union), starts_on=today + timedelta(days=20),
                               ends_on=today + timedelta(days=50), apply_by=today + timedelta(days=10))
    parent = create_member(union=union, mobile="13800000361")
    adult = compose_id_number("320206", clock.today().replace(year=clock.today().year - 19), 361)
    answer = post_form(client, f"/jobs/positions/{position.id}/student-apply", {
        "name": "李晨", "id_number": adult, "mobile": "13700000361", "school": "江南大学", "major": "会计学",
        "year_of_study": "大二", "parent_id_number": parent.id_number, "parent_mobile": "13800000361"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[-3000:]
    verify = answer.headers["Location"]
    page = client.get(verify).get_data(as_text=True)
    assert "家长收到的6位确认码" in page and "学生本人手机收到的6位确认码" in page
    code = sent_code(parent, "jobs_parent_verification")
    own = sent_code(None, "jobs_student_verification", mobile="13700000361")
    missing = post_form(client, verify, {"code": code})
    assert "请填写学生本人收到的确认码" in missing.get_data(as_text=True)
    done = post_form(client, verify, {"code": code, "student_code": own})
    assert done.status_code == 200 and db.session.scalar(select(Application)).channel == "student"

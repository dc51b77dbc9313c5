"""The claims pages end to end: a member files from a phone-sized page, a reviewer approves,
the batch is exported and marked paid, and the member sees each step."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from python_calamine import CalamineWorkbook

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models.claims import Claim
from tests.conftest import csrf_token, post_form
from tests.factories import (
    create_enrollment,
    create_member,
    create_plan,
    create_staff,
    create_union,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
)

CARD = "6222021234567890128"


def covered(union=None, **fields):
    member = create_member(union=union or create_union(), **fields)
    create_enrollment(member, create_plan(code=f"SANHEYI{member.id}"), starts_on=clock.today() - timedelta(days=300),
                      is_renewal=True)
    return member


def file_through_pages(client, *, documents=True, submit=True):
    answer = post_form(client, "/claims/new", {"claim_type": "hospital", "request_key": "web-1"})
    assert answer.status_code == 302
    edit_url = answer.headers["Location"]
    admitted = clock.today() - timedelta(days=20)
    fields = {"claim_type": "hospital", "admission_date": admitted.isoformat(),
              "discharge_date": (admitted + timedelta(days=12)).isoformat(), "hospital": "无锡市人民医院",
              "diagnosis": "肺炎", "payee_name": "", "bank_name": "工商银行", "bank_card": CARD}
    page = client.get(edit_url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    assert post_form(client, edit_url, {**fields, "version": version, "action": "save"}).status_code == 302
    claim_id = int(edit_url.rstrip("/").split("/")[-2])
    if documents:
        files = {"id_card": jpeg_bytes(), "discharge_summary": pdf_bytes(), "invoice": png_bytes(),
                 "bank_card": png_bytes((9, 9, 9))}
        for kind, data in files.items():
            token = csrf_token(client, edit_url)
            answer = client.post(f"/claims/{claim_id}/documents", data={
                "csrf_token": token, "kind": kind, "file": (io.BytesIO(data), f"{kind}.bin")},
                content_type="multipart/form-data")
            assert answer.status_code == 302
    if not submit:
        return claim_id, None
    page = client.get(edit_url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    answer = post_form(client, edit_url, {**fields, "bank_card": "", "version": version, "action": "submit"})
    return claim_id, answer


def test_member_files_reviewer_approves_batch_is_exported_and_paid_and_member_sees_each_step(app, auth):
    member = covered(name="虞建国")
    member_client = app.test_client()
    from tests.conftest import Auth

    Auth(member_client).member(member)
    page = member_client.get("/claims/new", headers={"User-Agent": "Mozilla/5.0 (iPhone)"})
    assert 'name="viewport"' in page.get_data(as_text=True)
    claim_id, answer = file_through_pages(member_client)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/claims/{claim_id}")
    detail = member_client.get(f"/claims/{claim_id}").get_data(as_text=True)
    assert "已提交" in detail and "自动检查通过" in detail and "800.00元" in detail

    create_staff("rev", Role.REVIEWER)
    reviewer = app.test_client()
    Auth(reviewer).staff("rev")
    queue = reviewer.get("/review/").get_data(as_text=True)
    assert f"LP{claim_id:07d}" in queue
    claim_page = reviewer.get(f"/review/claims/{claim_id}").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', claim_page).group(1)
    answer = post_form(reviewer, f"/review/claims/{claim_id}", {"decision": "approve", "version": version},
                       form_page=f"/review/claims/{claim_id}")
    assert answer.status_code == 302
    assert "已核准" in member_client.get(f"/claims/{claim_id}").get_data(as_text=True)

    answer = post_form(reviewer, "/review/payouts", {})
    batch_url = answer.headers["Location"]
    batch_page = reviewer.get(batch_url).get_data(as_text=True)
    assert "6222 **** **** 0128" in batch_page and CARD not in batch_page
    export = post_form(reviewer, batch_url + "/export", {}, form_page=batch_url)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.data)).get_sheet_by_index(0).to_python()
    assert rows[1][2] == CARD and rows[1][4] == 800
    page = reviewer.get(batch_url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    answer = post_form(reviewer, batch_url + "/paid", {"bank_reference": "ICBC-0001", "version": version},
                       form_page=batch_url)
    assert "已付款" in reviewer.get(batch_url).get_data(as_text=True)
    again = post_form(reviewer, batch_url + "/paid", {"bank_reference": "ICBC-0002", "version": version},
                      form_page=f"/review/claims/{claim_id}", follow_redirects=True)
    assert "不能重复付款" in again.get_data(as_text=True)

    detail = member_client.get(f"/claims/{claim_id}").get_data(as_text=True)
    for step in ("申请已提交", "自动检查通过", "审核通过，核准金额800.00元", "已列入发放批次", "已转账800.00元"):
        assert step in detail, step
    assert "已发放" in member_client.get("/claims/").get_data(as_text=True)


def test_two_reviewers_on_one_claim_the_second_is_told(app):
    from tests.conftest import Auth

    member = covered()
    member_client = app.test_client()
    Auth(member_client).member(member)
    claim_id, _ = file_through_pages(member_client)
    create_staff("rev1", Role.REVIEWER), create_staff("rev2", Role.REVIEWER)
    first, second = app.test_client(), app.test_client()
    Auth(first).staff("rev1")
    Auth(second).staff("rev2")
    url = f"/review/claims/{claim_id}"
    page_one, page_two = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page_one).group(1)
    token_two = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_two).group(1)
    assert post_form(first, url, {"decision": "approve", "version": version}).status_code == 302
    answer = second.post(url, data={"csrf_token": token_two, "decision": "reject", "reason": "重复",
                                    "version": version}, follow_redirects=True)
    assert "已被他人处理" in answer.get_data(as_text=True)
    assert db.session.get(Claim, claim_id).status == "approved"


def test_forged_upload_is_refused_on_the_page_and_the_draft_stays(app, client, auth):
    auth.member(covered())
    claim_id, _ = file_through_pages(client, documents=False, submit=False)
    token = csrf_token(client, f"/claims/{claim_id}/edit")
    answer = client.post(f"/claims/{claim_id}/documents", data={
        "csrf_token": token, "kind": "invoice", "file": (io.BytesIO(b"MZ\x90\x00 program"), "invoice.jpg")},
        content_type="multipart/form-data", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "只能上传JPG、PNG图片或PDF文件" in page and "无锡市人民医院" in page


def test_officer_sees_only_its_union_and_no_one_elses_documents(app, client, auth):
    from tests.conftest import Auth

    mine, other = create_union(), create_union()
    member = covered(mine)
    stranger = covered(other)
    member_client = app.test_client()
    Auth(member_client).member(member)
    claim_id, _ = file_through_pages(member_client)
    document_id = db.session.get(Claim, claim_id).documents[0].id

    create_staff("mine", Role.UNION_OFFICER, union=mine)
    create_staff("other", Role.UNION_OFFICER, union=other)
    auth.staff("other")
    assert f"LP{claim_id:07d}" not in client.get("/claims/").get_data(as_text=True)
    assert client.get(f"/claims/{claim_id}").status_code == 403
    assert client.get(f"/claims/documents/{document_id}").status_code == 403
    auth.logout()
    auth.staff("mine")
    assert f"LP{claim_id:07d}" in client.get("/claims/").get_data(as_text=True)
    image = client.get(f"/claims/documents/{document_id}")
    image.close()
    assert image.status_code == 200 and image.headers["Cache-Control"] == "private, no-store"
    assert image.headers["X-Content-Type-Options"] == "nosniff"

    stranger_client = app.test_client()
    Auth(stranger_client).member(stranger)
    assert stranger_client.get(f"/claims/{claim_id}").status_code == 404
    assert stranger_client.get(f"/claims/documents/{document_id}").status_code == 404
    assert stranger_client.get("/review/").status_code == 403


def test_reviewer_imports_a_discharge_list_and_sees_the_texts(app, client, auth):
    member = covered()
    create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    admitted = clock.today() - timedelta(days=10)
    discharged = admitted + timedelta(days=4)
    csv = ("身份证号,入院日期,出院日期,医院,诊断\n"
           f"{member.id_number},{admitted:%Y/%m/%d},{discharged:%Y/%m/%d},无锡市第二人民医院,阑尾炎\n")
    token = csrf_token(client, "/review/discharges")
    answer = client.post("/review/discharges", data={"csrf_token": token,
                                                      "file": (io.BytesIO(csv.encode("gb18030")), "出院.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "已建草稿" in page and ("已发送" in page or "定时发送" in page)
    sample = client.get("/review/discharges/sample.xlsx")
    assert sample.status_code == 200 and sample.data[:2] == b"PK"


def test_submitting_a_second_time_shows_the_submitted_claim_not_an_error(client, auth):
    member = covered()
    auth.member(member)
    claim_id, answer = file_through_pages(client)
    assert answer.status_code == 302
    # The same form posted again (a second tap, a resent request) with the version it was loaded with.
    token = csrf_token(client, f"/claims/{claim_id}")
    again = client.post(f"/claims/{claim_id}/edit", data={"csrf_token": token, "action": "submit", "version": "1"})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/claims/{claim_id}")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "该申请已经提交过了" in page
    assert db.session.query(Claim).filter_by(member_id=member.id).count() == 1


def test_a_garbled_version_or_absurd_costs_are_told_and_the_draft_stays(client, auth):
    auth.member(covered())
    claim_id, _ = file_through_pages(client, documents=False, submit=False)
    url = f"/claims/{claim_id}/edit"
    for version in ("", "abc"):
        answer = post_form(client, url, {"claim_type": "hospital", "hospital": "别的医院", "version": version,
                                         "action": "save"}, follow_redirects=True)
        assert answer.status_code == 200 and "请刷新页面" in answer.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    answer = post_form(client, url, {"claim_type": "accident", "medical_costs": "1e30", "version": version,
                                     "action": "save"})
    assert answer.status_code == 200 and "金额过大" in answer.get_data(as_text=True)
    claim = db.session.get(Claim, claim_id)
    assert claim.hospital == "无锡市人民医院" and claim.claim_type == "hospital"


def test_a_reviewer_posting_odd_values_is_told_not_crashed(app, client, auth):
    from tests.conftest import Auth

    member_client = app.test_client()
    Auth(member_client).member(covered())
    claim_id, _ = file_through_pages(member_client)
    create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    url = f"/review/claims/{claim_id}"
    answer = post_form(client, url, {"decision": "approve", "version": "x"}, follow_redirects=True)
    assert "已被他人处理" in answer.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    answer = post_form(client, url, {"decision": "approve", "version": version, "amount": "1e30", "reason": "核定"})
    assert answer.status_code == 422 and "金额过大" in answer.get_data(as_text=True)
    for query in ("page=99999999999999999999999", "age=99999999999999999", "age=-3&page=-1"):
        assert client.get(f"/review/?{query}").status_code == 200, query
    answer = post_form(client, "/review/bulk", {"claim_id": "99999999999999999999999"}, form_page="/review/",
                       follow_redirects=True)
    assert answer.status_code == 200
    assert db.session.get(Claim, claim_id).status == "submitted"


def test_an_overlong_request_key_still_starts_one_draft(client, auth):
    member = covered()
    auth.member(member)
    for _ in range(2):
        answer = post_form(client, "/claims/new", {"claim_type": "hospital", "request_key": "k" * 200})
        assert answer.status_code == 302
    assert db.session.query(Claim).filter_by(member_id=member.id).count() == 1


def test_an_id_too_large_for_the_database_is_not_found_not_a_crash(client, auth):
    auth.member(covered())
    for url in ("/claims/99999999999999999999999", "/claims/99999999999999999999999/edit",
                "/claims/documents/99999999999999999999999", "/enrollment/my/certificate/99999999999999999999"):
        assert client.get(url).status_code == 404, url


def test_an_english_page_tells_why_a_claim_cannot_be_submitted_in_english(client, auth):
    post_form(client, "/lang/en", {"next": "/"}, form_page="/")
    auth.member(covered())
    claim_id, _ = file_through_pages(client, documents=False, submit=False)
    url = f"/claims/{claim_id}/edit"
    version = re.search(r'name="version"[^>]*value="(\d+)"', client.get(url).get_data(as_text=True)).group(1)
    answer = post_form(client, url, {"claim_type": "accident", "version": version, "action": "submit"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Cannot submit yet" in page and "还不能提交" not in page
    assert db.session.get(Claim, claim_id).status == "draft"


def test_a_blocked_claim_shows_its_findings_and_is_overridden_or_rejected_on_the_page(app, client, auth):
    from datetime import date

    from tests.factories import HOSPITAL_FACTS, covered_member, file_claim

    member = covered_member(starts_on=date(2026, 6, 1), is_renewal=False)
    claim = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2026, 6, 11),
                                      "discharge_date": date(2026, 6, 14)})
    create_staff("rev1", Role.REVIEWER)
    auth.staff("rev1")
    url = f"/review/claims/{claim.id}"
    page = client.get(url).get_data(as_text=True)
    assert "须处理" in page and 'name="override" value="waiting_period"' in page and 'name="reason_code"' in page
    answer = post_form(client, url, {"decision": "approve", "version": str(claim.version_id)})
    assert answer.status_code == 422 and "例外核准" in answer.get_data(as_text=True)
    answer = post_form(client, url, {"decision": "approve", "version": str(claim.version_id),
                                     "override": "waiting_period",
                                     "justification": "急诊记录显示系工作中受伤入院，按意外处理"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "awaiting_second"


def test_a_reviewer_splits_a_batch_on_its_page_and_a_paid_batch_shows_its_progress(app, client, auth):
    from tests.factories import approved_claims

    reviewer = create_staff("rev1", Role.REVIEWER)
    approved_claims(reviewer, 3)
    auth.staff("rev1")
    batch_url = post_form(client, "/review/payouts", {}).headers["Location"]
    page = client.get(batch_url).get_data(as_text=True)
    assert "拆分批次" in page
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    answer = post_form(client, batch_url + "/split", {"keep": "1", "version": version}, form_page=batch_url)
    assert answer.status_code == 302 and answer.headers["Location"] != batch_url
    moved = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "2" in moved and "已拆分" in moved
    post_form(client, batch_url + "/export", {}, form_page=batch_url)
    page = client.get(batch_url).get_data(as_text=True)
    assert "拆分批次" not in page  # the bank may hold the file now
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    post_form(client, batch_url + "/paid", {"bank_reference": "ICBC-9", "version": version}, form_page=batch_url)
    assert "已全部登记（1笔）" in client.get(batch_url).get_data(as_text=True)


def test_the_member_reads_why_a_claim_was_rejected_in_plain_words(app, client, auth):
    from portal.services.review import decisions
    from tests.factories import covered_member, file_claim

    member = covered_member()
    claim = file_claim(member)
    reviewer = create_staff("rev1", Role.REVIEWER)
    decisions.decide_claim(reviewer, claim.id, "reject", version=claim.version_id,
                           reason_code="non_designated_hospital")
    auth.member(member)
    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "未予核准的原因：住院的医疗机构不是医保定点医疗机构" in page and "non_designated" not in page

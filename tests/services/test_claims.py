"""Filing claims through the services: drafts, documents, submission, checks and access."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from portal.domain.claims import ClaimStatus
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, Member
from portal.models.claims import Claim
from portal.services.claims import documents, filing, queries
from portal.services.unit_of_work import transaction
from tests.factories import (
    CLAIM_NOON,
    HOSPITAL_FACTS,
    covered_member,
    create_member,
    create_staff,
    create_union,
    file_claim,
    jpeg_bytes,
    png_bytes,
)

NOON = CLAIM_NOON


def test_member_files_a_complete_hospital_claim_that_passes_the_checks():
    member = covered_member()
    claim = file_claim(member)
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.flags == [] and claim.calculated_fen == 80_000
    assert [line["code"] for line in claim.breakdown["lines"]] == ["hospital_allowance", "condolence"]
    assert [event.kind for event in claim.events][-2:] == ["submitted", "checked"]
    assert "自动检查通过" in claim.events[-1].message


def test_a_double_click_on_start_gives_one_draft_and_on_submit_one_submission():
    member = covered_member()
    first = filing.start_claim(member, "hospital", request_key="same-form")
    again = filing.start_claim(member, "hospital", request_key="same-form")
    assert first.id == again.id
    claim = file_claim(member)
    answer = filing.submit_claim(member, claim.id, now=NOON)
    assert answer.already_submitted
    assert sum(event.kind == "submitted" for event in claim.events) == 1


def test_a_double_click_that_races_to_the_database_still_gives_one_draft(monkeypatch):
    """The other click committed between this one's look-up and its insert: the unique request key
    refuses the second draft in a savepoint, and the winner is returned."""
    member = covered_member()
    first = filing.start_claim(member, "hospital", request_key="raced")
    look_up, calls = filing._draft_of_form, []

    def not_committed_yet(actor, key):  # the first look-up of this click ran before the other committed
        calls.append(key)
        return None if len(calls) == 1 else look_up(actor, key)

    monkeypatch.setattr(filing, "_draft_of_form", not_committed_yet)
    again = filing.start_claim(member, "hospital", request_key="raced")
    assert again.id == first.id
    assert db.session.query(Claim).filter_by(member_id=member.id).count() == 1
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "claim.start")).all() == [
        "claim.start"]


def test_a_submission_refused_for_a_missing_field_keeps_what_was_typed():
    member = covered_member()
    claim = filing.start_claim(member, "hospital", request_key="typed")
    result = filing.save_and_submit(member, claim.id, {**HOSPITAL_FACTS, "hospital": "江南大学附属医院"},
                                    version=claim.version_id, now=NOON)
    assert isinstance(result.refused, InvalidInput) and "银行卡" in result.refused.message
    db.session.expire_all()
    saved = db.session.get(Claim, claim.id)
    assert saved.status == ClaimStatus.DRAFT and saved.hospital == "江南大学附属医院"
    assert [event.kind for event in saved.events] == ["created"]


def test_missing_documents_are_named_and_the_draft_is_kept():
    member = covered_member()
    claim = file_claim(member, documents=False, submit=False)
    assert claim.status == ClaimStatus.DRAFT
    flags = {flag["code"]: flag["message"] for flag in claim.flags}
    assert "出院小结" in flags["missing_documents"] and "医疗费用发票" in flags["missing_documents"]
    filing.submit_claim(member, claim.id, now=NOON)  # may be submitted; the reviewer sees the flag
    assert claim.status == ClaimStatus.SUBMITTED and claim.is_flagged


def test_incomplete_claim_cannot_be_submitted_and_says_what_is_missing():
    member = covered_member()
    claim = filing.start_claim(member, "accident", request_key="acc")
    with pytest.raises(InvalidInput, match="请填写事故日期") as error:
        filing.submit_claim(member, claim.id, now=NOON)
    assert "银行卡" in error.value.message
    assert db.session.get(Claim, claim.id).status == ClaimStatus.DRAFT


def test_illness_in_the_waiting_period_of_a_first_enrolment_is_flagged_but_an_accident_is_not():
    member = covered_member(starts_on=date(2026, 6, 1), is_renewal=False)
    illness = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2026, 6, 11),
                                        "discharge_date": date(2026, 6, 14)})
    assert [flag["code"] for flag in illness.flags] == ["waiting_period"]
    accident = file_claim(member, claim_type="accident", facts={
        "accident_date": date(2026, 6, 11), "accident_description": "送件途中被电动车撞倒",
        "medical_costs_fen": 620_000})
    assert accident.flags == [] and accident.calculated_fen == 500_000


def test_event_outside_any_cover_and_a_second_claim_for_the_same_stay_are_flagged():
    member = covered_member()
    file_claim(member)
    second = file_claim(member)
    assert "duplicate_open" in second.flag_codes  # the first is still being reviewed: a note, not a block
    outside = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2025, 12, 1),
                                        "discharge_date": date(2025, 12, 5)})
    assert "no_cover" in outside.flag_codes


def test_the_assessment_reads_what_its_unit_changed_before_it_even_unflushed():
    """``refresh_assessment`` runs its queries without autoflush (the claim is written once): it
    must still see another claim of the same stay approved earlier in the same unit and not yet
    flushed, and block this one as a duplicate, exactly as with a flush before every query."""
    from portal.services.claims import assessment

    member = covered_member()
    first = file_claim(member)
    second = file_claim(member)
    assert "duplicate_open" in second.flag_codes
    with transaction():
        first.status = ClaimStatus.APPROVED  # pending in the session, not flushed
        assessment.refresh_assessment(second, today=NOON.date())
        assert ",duplicate_stay," in second.flag_codes and "duplicate_open" not in second.flag_codes
    db.session.expire_all()
    assert ",duplicate_stay," in db.session.get(Claim, second.id).flag_codes


def test_allowance_days_already_paid_in_the_plan_year_reduce_a_later_claim():
    member = covered_member()
    earlier = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2026, 1, 10),
                                        "discharge_date": date(2026, 7, 3)})  # 174 days
    earlier.status = ClaimStatus.PAID
    db.session.commit()
    later = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2026, 7, 10),
                                      "discharge_date": date(2026, 7, 22)}, now=NOON + timedelta(days=30))
    assert later.allowance_days == 6 and later.calculated_fen == 6 * 5_000 + 20_000


def test_officer_files_for_a_member_of_its_union_only():
    union, other = create_union(), create_union()
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    mine = covered_member(union)
    theirs = covered_member(other)
    claim = file_claim(officer, mine)
    assert claim.member_id == mine.id and claim.filed_by_type == "staff"
    with pytest.raises(InvalidInput):
        filing.start_claim(officer, "hospital", request_key="x", id_number=theirs.id_number)
    rows, total = queries.union_claims(officer)
    assert total == 1 and rows[0].id == claim.id


def test_an_officer_cannot_tell_a_member_elsewhere_from_no_member():
    """Issue 12's oracle: "不属于您所在工会" for another union's member, "没有找到" for no one."""
    union, other = create_union(), create_union()
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    theirs = covered_member(other)
    nobody = compose_id_number("320213", date(1990, 3, 3), 123)
    assert Member.by_id_number(nobody) is None
    answers = []
    for id_number in (theirs.id_number, nobody):
        with pytest.raises(InvalidInput) as refused:
            filing.start_claim(officer, "hospital", request_key=None, id_number=id_number)
        answers.append((type(refused.value), refused.value.message, refused.value.code, refused.value.field))
    assert answers[0] == answers[1]
    assert db.session.query(Claim).count() == 0


def test_a_member_cannot_see_or_edit_someone_elses_claim():
    owner, stranger = covered_member(), covered_member()
    claim = file_claim(owner, submit=False)
    with pytest.raises(NotFound):
        queries.load_claim(stranger, claim.id)
    with pytest.raises(NotFound):
        filing.save_claim(stranger, claim.id, {"hospital": "x"})
    with pytest.raises(NotFound):
        documents.open_document(stranger, claim.documents[0].id)


def test_a_claim_is_always_judged_against_the_claimants_own_cover():
    covered = covered_member()
    uncovered = create_member(union=covered.union)
    claim = file_claim(uncovered)
    assert claim.enrollment_id is None and "no_cover" in claim.flag_codes
    assert file_claim(covered).enrollment.member_id == covered.id


def test_officer_of_another_union_cannot_open_documents_but_a_reviewer_can_and_is_audited():
    member = covered_member()
    claim = file_claim(member)
    outsider = create_staff("outsider", Role.UNION_OFFICER, union=create_union())
    reviewer = create_staff("rev", Role.REVIEWER)
    document = claim.documents[0]
    with pytest.raises(PermissionDenied):
        documents.open_document(outsider, document.id)
    opened, path = documents.open_document(reviewer, document.id)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.document_view",
                                                      AuditEvent.actor_id == reviewer.id)) is not None


def test_photos_lose_their_exif_and_gps_and_are_stored_outside_static_under_random_names(app):
    member = covered_member()
    claim = filing.start_claim(member, "hospital", request_key="photo")
    document = documents.upload_document(member, claim.id, kind="invoice", filename="../../etc/发票.jpg",
                                              data=jpeg_bytes())
    _, path = documents.open_document(member, document.id)
    with Image.open(path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif() and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in stored.info
    assert "static" not in str(path) and str(path).startswith(app.config["UPLOAD_FOLDER"])
    assert "发票" not in path.name and document.original_name == "发票.jpg"


@pytest.mark.parametrize(("data", "message"), [
    (b"MZ\x90\x00\x03 this is a program renamed to photo.jpg", "按文件内容识别"),
    (b"<html><script>alert(1)</script></html>", "按文件内容识别"),
    (b"\xff\xd8\xff\xe0 not really a jpeg", "图片已损坏"),
    (b"", "文件是空的"),
])
def test_forged_uploads_are_refused_with_a_clear_message(data, message):
    member = covered_member()
    claim = filing.start_claim(member, "hospital", request_key="forged")
    with pytest.raises(InvalidInput, match=message):
        documents.upload_document(member, claim.id, kind="invoice", filename="photo.jpg", data=data)
    assert claim.documents == []


def test_a_document_written_by_an_action_that_is_then_undone_leaves_no_file(app):
    member = covered_member()
    claim = filing.start_claim(member, "hospital", request_key="undone")
    with pytest.raises(InvalidInput), transaction():
        document = documents.upload_document(member, claim.id, kind="invoice", filename="发票.png",
                                             data=png_bytes())
        path = documents.document_path(document)
        assert path.is_file()
        raise InvalidInput("整批撤销")
    assert not path.exists()
    assert db.session.get(Claim, claim.id).documents == []


def test_a_removed_document_loses_its_file_once_the_removal_is_committed():
    member = covered_member()
    claim = file_claim(member, submit=False)
    document = claim.documents[0]
    path = documents.document_path(document)
    assert path.is_file()
    documents.remove_document(member, document.id)
    assert not path.exists()
    assert "missing_documents" in db.session.get(Claim, claim.id).flag_codes


def test_oversized_uploads_are_refused_with_the_limit(app):
    member = covered_member()
    claim = filing.start_claim(member, "hospital", request_key="big")
    too_big = b"%PDF-1.7\n" + b"0" * app.config["UPLOAD_MAX_BYTES"] + b"\n%%EOF"
    with pytest.raises(InvalidInput, match="超过了10MB的限制"):
        documents.upload_document(member, claim.id, kind="invoice", filename="scan.pdf", data=too_big)


def test_submitted_claims_can_no_longer_be_edited_by_the_claimant():
    member = covered_member()
    claim = file_claim(member)
    with pytest.raises(Conflict, match="不能再修改"):
        filing.save_claim(member, claim.id, {"hospital": "别的医院"})


def test_one_file_may_count_for_two_document_kinds():
    """Issue 11: the same scan uploaded as 出院小结 after 身份证 used to say "uploaded" and stay missing."""
    member = covered_member()
    claim = file_claim(member, documents=False, submit=False)
    scan = png_bytes((90, 90, 90))
    documents.upload_document(member, claim.id, kind="id_card", filename="scan.png", data=scan)
    documents.upload_document(member, claim.id, kind="discharge_summary", filename="scan.png", data=scan)
    documents.upload_document(member, claim.id, kind="discharge_summary", filename="scan.png", data=scan)  # again
    kinds = sorted(document.kind for document in claim.documents)
    assert kinds == ["discharge_summary", "id_card"]
    missing = queries.missing_document_kinds(claim)
    assert "discharge_summary" not in missing and "id_card" not in missing
    # Each kind has its own file: taking one off leaves the other readable.
    id_card = next(document for document in claim.documents if document.kind == "id_card")
    documents.remove_document(member, id_card.id)
    [summary] = claim.documents
    assert documents.document_path(summary).exists()

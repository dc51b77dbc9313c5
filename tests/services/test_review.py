"""Reviewing and paying claims: decisions, four eyes, versions, bulk approval, payouts, reminders."""

from __future__ import annotations

import io
import random
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.domain.claims import ClaimStatus, sample_for_full_review
from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models import AuditEvent, SmsMessage, SmsStatus
from portal.models.claims import Claim, PayoutItem
from portal.services.claims import documents, filing, timeline
from portal.services.review import decisions, discharges, payouts, queries
from tests.factories import (
    CLAIM_NOON,
    HOSPITAL_FACTS,
    approved_claims,
    covered_member,
    create_member,
    create_staff,
    create_union,
    discharge_list,
    discharge_row,
    file_claim,
    png_bytes,
)

CHINA = ZoneInfo("Asia/Shanghai")
NOON = CLAIM_NOON

CRITICAL_38_DAYS = {"admission_date": date(2026, 5, 1), "discharge_date": date(2026, 6, 8),
                    "hospital": "无锡市人民医院", "disease": "恶性肿瘤", "diagnosis_date": date(2026, 5, 3)}


@pytest.fixture
def reviewers():
    return create_staff("rev1", Role.REVIEWER), create_staff("rev2", Role.REVIEWER)


def texts(member, kind):
    return list(db.session.scalars(select(SmsMessage).where(SmsMessage.member_id == member.id,
                                                            SmsMessage.kind == kind)))


def test_reviewer_approves_and_the_member_is_texted(reviewers):
    member = covered_member()
    claim = file_claim(member)
    decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id, now=NOON)
    assert claim.status == ClaimStatus.APPROVED and claim.approved_fen == 80_000
    [text] = texts(member, "claim_approved")
    assert "800.00元" in text.body and "0128" in text.body and text.status == SmsStatus.SENT
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.approve")) is not None


def test_rejection_needs_a_coded_reason_the_member_reads_in_plain_words(reviewers):
    member = covered_member()
    claim = file_claim(member)
    with pytest.raises(InvalidInput, match="驳回原因"):
        decisions.decide_claim(reviewers[0], claim.id, "reject", version=claim.version_id, reason="美容手术", now=NOON)
    with pytest.raises(InvalidInput, match="驳回原因"):
        decisions.decide_claim(reviewers[0], claim.id, "reject", version=claim.version_id, reason_code="made_up",
                               now=NOON)
    decisions.decide_claim(reviewers[0], claim.id, "reject", version=claim.version_id, reason_code="not_medical",
                           reason="双眼皮手术属美容项目", now=NOON)
    assert claim.status == ClaimStatus.REJECTED and claim.rejection_code == "not_medical"
    [event] = [event for event in claim.events if event.kind == "rejected"]
    assert "美容、整形" in event.message and "双眼皮手术属美容项目" in event.message
    [text] = texts(member, "claim_rejected")
    # The text carries the plan's words for the reason, never what the reviewer typed.
    assert "美容、整形" in text.body and "双眼皮" not in text.body


def test_more_documents_needed_then_resubmitted(reviewers):
    member = covered_member()
    claim = file_claim(member)
    with pytest.raises(InvalidInput, match="列出的材料类型"):
        decisions.decide_claim(reviewers[0], claim.id, "request_documents", version=claim.version_id,
                            documents=["anything.exe"], now=NOON)
    decisions.decide_claim(reviewers[0], claim.id, "request_documents", version=claim.version_id,
                        documents=["pathology_report"], reason="请补充病理报告原件照片", now=NOON)
    assert claim.status == ClaimStatus.NEEDS_DOCUMENTS
    assert "病理报告" in texts(member, "claim_documents")[0].body
    assert "missing_documents" in claim.flag_codes and "病理报告" in str(claim.flags)
    documents.upload_document(member, claim.id, kind="pathology_report", filename="p.png",
                                   data=png_bytes((1, 2, 3)))
    filing.submit_claim(member, claim.id, now=NOON)
    assert claim.status == ClaimStatus.SUBMITTED and claim.flags == []


def test_adjusting_the_amount_needs_a_reason(reviewers):
    claim = file_claim(covered_member())
    with pytest.raises(InvalidInput, match="调整原因"):
        decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id, amount_fen=70_000)
    decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id, amount_fen=70_000,
                        reason="发票显示实际住院10天", now=NOON)
    assert claim.approved_fen == 70_000 and claim.adjustment_reason == "发票显示实际住院10天"


def test_above_10000_yuan_a_second_reviewer_must_approve(reviewers):
    first, second = reviewers
    member = covered_member()
    claim = file_claim(member, claim_type="critical_illness", facts=CRITICAL_38_DAYS)
    assert claim.calculated_fen == 1_210_000
    decisions.decide_claim(first, claim.id, "approve", version=claim.version_id, now=NOON)
    assert claim.status == ClaimStatus.AWAITING_SECOND and not texts(member, "claim_approved")
    with pytest.raises(PermissionDenied, match="另一位审核员"):
        decisions.decide_claim(first, claim.id, "approve", version=claim.version_id, now=NOON)
    decisions.decide_claim(second, claim.id, "approve", version=claim.version_id, now=NOON)
    assert claim.status == ClaimStatus.APPROVED and claim.approved_fen == 1_210_000
    assert "12,100.00元" in texts(member, "claim_approved")[0].body


def test_union_officers_cannot_decide_claims():
    union = create_union()
    officer = create_staff("o", Role.UNION_OFFICER, union=union)
    claim = file_claim(covered_member(union))
    with pytest.raises(PermissionDenied):
        decisions.decide_claim(officer, claim.id, "approve", version=claim.version_id)


def test_a_decision_on_a_stale_page_is_refused(reviewers):
    claim = file_claim(covered_member())
    seen = claim.version_id
    decisions.decide_claim(reviewers[0], claim.id, "approve", version=seen, now=NOON)
    with pytest.raises(Conflict, match="已被他人处理"):
        decisions.decide_claim(reviewers[1], claim.id, "reject", version=seen, reason_code="duplicate_stay",
                               now=NOON)
    assert db.session.get(Claim, claim.id).status == ClaimStatus.APPROVED


def test_two_sessions_acting_on_one_claim_one_wins_the_other_is_told(app, reviewers):
    """The optimistic version at the database: a write from an older read updates no row."""
    claim = file_claim(covered_member())
    claim_id, first_id, second_id = claim.id, reviewers[0].id, reviewers[1].id
    db.session.remove()
    from portal.models import StaffUser

    with app.app_context():  # reviewer 2's session reads the claim first …
        stale_reviewer = db.session.get(StaffUser, second_id)
        stale = db.session.get(Claim, claim_id)
        seen = stale.version_id
        with app.app_context():  # … reviewer 1 decides in another session and commits
            decisions.decide_claim(db.session.get(StaffUser, first_id), claim_id, "approve", version=seen, now=NOON)
        with pytest.raises(Conflict, match="已被他人处理"):
            decisions.decide_claim(stale_reviewer, claim_id, "reject", version=seen, reason_code="duplicate_stay",
                                   now=NOON)
    assert db.session.get(Claim, claim_id).status == ClaimStatus.APPROVED


@pytest.mark.postgres_only
def test_two_reviewers_at_the_same_moment_exactly_one_wins(app, reviewers):
    claim = file_claim(covered_member())
    claim_id, version, ids = claim.id, claim.version_id, [reviewer.id for reviewer in reviewers]
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes = []

    def act(staff_id, decision):
        from portal.models import StaffUser

        with app.app_context():
            actor = db.session.get(StaffUser, staff_id)
            db.session.get(Claim, claim_id)  # both read before either writes
            barrier.wait()
            try:
                decisions.decide_claim(actor, claim_id, decision, version=version, reason_code="not_eligible",
                                       now=NOON)
                outcomes.append("won")
            except Conflict:
                outcomes.append("told")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(ids[0], "approve")),
               threading.Thread(target=act, args=(ids[1], "reject"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["told", "won"]


def test_bulk_approval_takes_unflagged_claims_and_holds_a_seeded_5_percent(reviewers):
    union = create_union()
    claims = [file_claim(covered_member(union)) for _ in range(21)]
    flagged = file_claim(covered_member(union), documents=False)
    ids = [claim.id for claim in claims] + [flagged.id]
    result = decisions.bulk_approve(reviewers[0], ids, rng=random.Random(42), now=NOON)
    assert len(result.held_for_review) == 2  # ceil(21 × 5%)
    assert result.held_for_review == sorted(random.Random(42).sample(sorted(c.id for c in claims), 2))
    assert len(result.approved) == 19 and result.skipped == [flagged.id]
    held = db.session.get(Claim, result.held_for_review[0])
    assert held.status == ClaimStatus.IN_REVIEW and held.sample_hold
    again = decisions.bulk_approve(reviewers[0], ids, rng=random.Random(1), now=NOON)
    assert again.approved == [] and again.held_for_review == []  # sampled ones need a full review
    assert db.session.get(Claim, flagged.id).status == ClaimStatus.SUBMITTED


def test_bulk_approval_above_10000_still_needs_a_second_reviewer(reviewers):
    claims = [file_claim(covered_member(), claim_type="critical_illness", facts=CRITICAL_38_DAYS)
              for _ in range(3)]
    result = decisions.bulk_approve(reviewers[0], [c.id for c in claims], rng=random.Random(3), now=NOON)
    assert len(result.awaiting_second) == 2 and result.approved == []


def test_a_claim_failing_in_a_bulk_approval_is_skipped_and_the_others_keep_their_approval(reviewers, monkeypatch):
    claims = [file_claim(covered_member()) for _ in range(3)]
    ids = [claim.id for claim in claims]
    held = sample_for_full_review(ids, random.Random(5))
    unlucky = next(claim_id for claim_id in ids if claim_id not in held)
    tell = timeline.text_claimant

    def fail_for_one(claim, kind, params, **kwargs):  # as if another reviewer had just acted on it
        if claim.id == unlucky:
            raise Conflict("该申请刚刚已被他人处理或修改，请刷新页面查看最新状态后再操作。", code="stale")
        return tell(claim, kind, params, **kwargs)

    monkeypatch.setattr(timeline, "text_claimant", fail_for_one)
    result = decisions.bulk_approve(reviewers[0], ids, rng=random.Random(5), now=NOON)
    assert result.skipped == [unlucky] and result.held_for_review == sorted(held) and len(result.approved) == 1
    db.session.expire_all()
    statuses = {claim_id: db.session.get(Claim, claim_id).status for claim_id in ids}
    assert statuses[unlucky] == ClaimStatus.SUBMITTED and statuses[result.approved[0]] == ClaimStatus.APPROVED
    assert "approved" not in [event.kind for event in db.session.get(Claim, unlucky).events]


def test_queue_filters_by_status_flag_union_and_age(reviewers):
    district = create_union()
    mine = create_union(parent=district)
    old = file_claim(covered_member(mine), now=NOON - timedelta(days=10))
    flagged = file_claim(covered_member(), documents=False)
    reviewer = reviewers[0]
    now = NOON + timedelta(hours=1)
    ids = lambda filters: [c.id for c in queries.review_queue(reviewer, filters, now=now)[0]]  # noqa: E731
    assert ids(queries.QueueFilters()) == [old.id, flagged.id]
    assert ids(queries.QueueFilters(flag="missing_documents")) == [flagged.id]
    assert ids(queries.QueueFilters(flag="none")) == [old.id]
    assert ids(queries.QueueFilters(union_code=district.code)) == [old.id]
    assert ids(queries.QueueFilters(min_age_days=7)) == [old.id]
    rows, total = queries.review_queue(reviewer, queries.QueueFilters(), page=2, per_page=1, now=now)
    assert total == 2 and [c.id for c in rows] == [flagged.id]


def test_payout_batch_exports_full_card_numbers_and_is_paid_once(reviewers):
    claims = approved_claims(reviewers[0])
    batch = payouts.create_batch(reviewers[0], now=NOON)
    assert batch.claim_count == 2 and batch.total_fen == 160_000
    assert all(claim.status == ClaimStatus.PAYOUT_PENDING for claim in claims)
    with pytest.raises(InvalidInput, match="先导出"):
        payouts.mark_batch_paid(reviewers[0], batch.id, bank_reference="B1")
    filename, content = payouts.export_batch(reviewers[0], batch.id, now=NOON)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows[1][2] == "6222021234567890128" and rows[1][4] == 800 and rows[-1][4] == 1600
    payouts.mark_batch_paid(reviewers[1], batch.id, bank_reference="ICBC20260701001", now=NOON)
    assert all(claim.status == ClaimStatus.PAID for claim in claims)
    assert "已转账" in texts(claims[0].member, "claim_paid")[0].body
    with pytest.raises(Conflict, match="不能重复付款"):
        payouts.mark_batch_paid(reviewers[1], batch.id, bank_reference="ICBC20260701002", now=NOON)
    with pytest.raises(InvalidInput, match="没有已核准"):
        payouts.create_batch(reviewers[0], now=NOON)


def test_the_database_refuses_a_second_payout_of_one_claim(reviewers):
    [claim] = approved_claims(reviewers[0], 1)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    db.session.add(PayoutItem(batch_id=batch.id, claim_id=claim.id, amount_fen=1, payee_name="x", bank_card="1"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_officers_cannot_see_or_export_payouts(reviewers):
    approved_claims(reviewers[0], 1)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    officer = create_staff("o", Role.UNION_OFFICER, union=create_union())
    with pytest.raises(PermissionDenied):
        payouts.export_batch(officer, batch.id)


# --- reminders ---------------------------------------------------------------------------------


def test_discharge_list_creates_prefilled_drafts_and_invitations_for_covered_members(reviewers):
    covered = covered_member(name="虞建国")
    no_consent = covered_member(sms_consent=False)
    uncovered = create_member()
    claimed = covered_member()
    file_claim(claimed)
    data = discharge_list(discharge_row(covered), discharge_row(no_consent), discharge_row(uncovered),
                          discharge_row(claimed), ["12345", "2026-06-01", "2026-06-03", "医院", "诊断"])
    record = discharges.import_discharges(reviewers[0], data, "出院名单.xlsx", now=NOON)
    outcomes = [result["outcome"] for result in record.results]
    assert outcomes == ["invited", "draft_only", "not_covered", "already_claimed", "invalid"]
    assert record.drafts_created == 2 and record.texts_queued == 1
    draft = db.session.get(Claim, record.results[0]["claim_id"])
    assert draft.status == ClaimStatus.DRAFT and draft.hospital == "无锡市人民医院" and draft.calculated_fen == 50_000
    [invitation] = texts(covered, "claim_invitation")
    assert invitation.status == SmsStatus.SENT and draft.reference in invitation.body
    assert texts(no_consent, "claim_invitation") == []
    _, statuses = queries.get_import(reviewers[0], record.id)
    assert statuses[invitation.id].status == SmsStatus.SENT


def test_an_invitation_names_the_stay_and_the_prefilled_claim(reviewers):
    member = covered_member(name="虞建国")
    record = discharges.import_discharges(reviewers[0], discharge_list(discharge_row(member)), "a.xlsx", now=NOON)
    reference = f"LP{record.results[0]['claim_id']:07d}"
    [invitation] = texts(member, "claim_invitation")
    assert invitation.body == ("虞建国您好：您于2026年6月1日至2026年6月7日在无锡市人民医院住院，可申请职工互助保障金。"
                               f"我们已为您预填理赔申请（{reference}），请登录平台“我的理赔”补充材料后提交。")


def test_invitations_in_quiet_hours_wait_until_8_in_the_morning(reviewers):
    member = covered_member()
    evening = datetime(2026, 7, 1, 21, 30, tzinfo=CHINA)
    record = discharges.import_discharges(reviewers[0], discharge_list(discharge_row(member)), "a.xlsx", now=evening)
    assert record.results[0]["outcome"] == "held"
    [text] = texts(member, "claim_invitation")
    assert text.status == SmsStatus.HELD
    assert text.send_after.astimezone(CHINA) == datetime(2026, 7, 2, 8, 0, tzinfo=CHINA)


def test_the_same_stay_is_not_texted_again_within_7_days(reviewers):
    member = covered_member()
    data = discharge_list(discharge_row(member))
    discharges.import_discharges(reviewers[0], data, "a.xlsx", now=NOON)
    second = discharges.import_discharges(reviewers[0], data, "a.xlsx", now=NOON + timedelta(days=6))
    assert second.results[0]["outcome"] == "recently_invited"
    third = discharges.import_discharges(reviewers[0], data, "a.xlsx", now=NOON + timedelta(days=8))
    assert third.results[0]["outcome"] == "reinvited"
    assert len(texts(member, "claim_invitation")) == 2
    assert db.session.scalar(select(Claim.id).where(Claim.member_id == member.id).offset(1)) is None  # one draft


def test_decision_texts_in_the_evening_are_held_until_morning(reviewers):
    member = covered_member()
    claim = file_claim(member)
    decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id,
                        now=datetime(2026, 7, 1, 22, 0, tzinfo=CHINA))
    [text] = texts(member, "claim_approved")
    assert text.status == SmsStatus.HELD
    assert text.send_after.astimezone(CHINA) == datetime(2026, 7, 2, 8, 0, tzinfo=CHINA)


def test_a_discharge_list_without_the_expected_columns_is_refused(reviewers):
    data = write_xlsx(["姓名", "医院"], [["张三", "医院"]])
    with pytest.raises(InvalidInput, match="身份证号"):
        discharges.import_discharges(reviewers[0], data, "bad.xlsx", now=NOON)


def test_a_held_invitation_is_not_sent_once_the_member_has_withdrawn_consent(reviewers):
    from portal.services.members import set_sms_consent
    from portal.services.sms import deliver_due

    member = covered_member()
    evening = datetime(2026, 7, 1, 21, 30, tzinfo=CHINA)
    discharges.import_discharges(reviewers[0], discharge_list(discharge_row(member)), "a.xlsx", now=evening)
    set_sms_consent(member, False)
    deliver_due(now=datetime(2026, 7, 2, 8, 1, tzinfo=CHINA))
    [text] = texts(member, "claim_invitation")
    db.session.refresh(text)
    assert text.status == SmsStatus.FAILED and text.sent_at is None and "退订" in text.error


def test_a_payout_batch_total_above_21_million_yuan_is_stored():
    """Issue 11: ``payout_batches.total_fen`` was 32-bit, so a backlog batch answered 500 on PostgreSQL."""
    from portal.models.claims import PayoutBatch

    batch = PayoutBatch(status="open", claim_count=30_000, total_fen=30_000 * 1_210_000)  # 363,000,000元
    db.session.add(batch)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PayoutBatch, batch.id).total_fen == 36_300_000_000


# --- checks that hold (issue 11: a reviewer approved an uncovered, a waiting-period and a duplicate claim) ---

STAY_22_DAYS = {"admission_date": date(2026, 5, 4), "discharge_date": date(2026, 5, 26),
                "hospital": "无锡市第二人民医院", "diagnosis": "腰椎间盘突出"}


def test_an_uncovered_late_claim_cannot_be_approved_only_rejected_with_a_coded_reason(reviewers):
    member = covered_member()  # covered from 2026-01-01: a 2024 stay has no cover, and is filed late
    claim = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2024, 3, 1),
                                      "discharge_date": date(2024, 3, 10)})
    assert {"no_cover", "late_filing"} <= set(claim.flag_codes.strip(",").split(","))
    with pytest.raises(Conflict, match="不能核准") as refused:
        decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id, now=NOON)
    assert refused.value.code == "blocked"
    # No override either: there is no cover to pay from.
    with pytest.raises(Conflict, match="事件发生日无有效保障"):
        decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id,
                               override=["no_cover", "late_filing"], justification="会员说当时已经参保了的", now=NOON)
    assert db.session.get(Claim, claim.id).status == ClaimStatus.SUBMITTED
    decisions.decide_claim(reviewers[0], claim.id, "reject", version=claim.version_id, reason_code="no_cover",
                           now=NOON)
    assert "没有有效的互助保障" in texts(member, "claim_rejected")[0].body
    with pytest.raises(InvalidInput, match="没有已核准"):
        payouts.create_batch(reviewers[0], now=NOON)


def test_a_waiting_period_illness_needs_a_justified_override_and_a_second_reviewer(reviewers):
    first, second = reviewers
    member = covered_member(starts_on=date(2026, 6, 1), is_renewal=False)
    claim = file_claim(member, facts={**HOSPITAL_FACTS, "admission_date": date(2026, 6, 11),
                                      "discharge_date": date(2026, 6, 14)})
    assert claim.calculated_fen == 35_000 and "waiting_period" in claim.flag_codes
    with pytest.raises(Conflict, match="例外核准"):
        decisions.decide_claim(first, claim.id, "approve", version=claim.version_id, now=NOON)
    with pytest.raises(InvalidInput, match="写明理由"):
        decisions.decide_claim(first, claim.id, "approve", version=claim.version_id, override=["waiting_period"],
                               justification="有道理", now=NOON)
    decisions.decide_claim(first, claim.id, "approve", version=claim.version_id, override=["waiting_period"],
                           justification="急诊记录显示系工作中受伤入院，按意外处理，不受等待期限制", now=NOON)
    # 350元 is far below 10,000元, yet an override always waits for a second reviewer.
    assert claim.status == ClaimStatus.AWAITING_SECOND and claim.override_codes == ["waiting_period"]
    assert not texts(member, "claim_approved")
    assert not [event for event in claim.events if event.kind == "override" and event.visible_to_member]
    with pytest.raises(PermissionDenied, match="另一位审核员"):
        decisions.decide_claim(first, claim.id, "approve", version=claim.version_id, now=NOON)
    decisions.decide_claim(second, claim.id, "approve", version=claim.version_id, now=NOON)
    assert claim.status == ClaimStatus.APPROVED and claim.approved_fen == 35_000
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claim.approve")
                               .order_by(AuditEvent.id))
    assert "急诊记录" in str(logged.details)


def test_a_second_claim_for_a_stay_already_approved_is_blocked_and_the_database_refuses_it_too(reviewers):
    member = covered_member()
    first = file_claim(member, facts=STAY_22_DAYS)
    second = file_claim(member, facts=STAY_22_DAYS)
    assert first.calculated_fen == 130_000  # 22 days × 50元 + 200元
    decisions.decide_claim(reviewers[0], first.id, "approve", version=first.version_id, now=NOON)
    with pytest.raises(Conflict, match="同一次住院已核准或已发放"):
        decisions.decide_claim(reviewers[1], second.id, "approve", version=second.version_id, now=NOON)
    with pytest.raises(Conflict, match="同一次住院"):
        decisions.decide_claim(reviewers[1], second.id, "approve", version=second.version_id,
                               override=["duplicate_stay"], justification="会员说这是另一次住院，日期相同", now=NOON)
    assert db.session.get(Claim, second.id).status == ClaimStatus.SUBMITTED
    # Whatever a service does, the database holds one approved or paid claim per stay.
    with pytest.raises(IntegrityError):
        db.session.execute(Claim.__table__.update().where(Claim.id == second.id).values(status="paid"))
    db.session.rollback()


def test_bulk_approval_skips_blocked_claims_and_says_how_many_and_why(reviewers):
    union = create_union()
    fine = [file_claim(covered_member(union)) for _ in range(3)]
    waiting = file_claim(covered_member(union, starts_on=date(2026, 6, 1), is_renewal=False),
                         facts={**HOSPITAL_FACTS, "admission_date": date(2026, 6, 11),
                                "discharge_date": date(2026, 6, 14)})
    uncovered = file_claim(covered_member(union), facts={**HOSPITAL_FACTS, "admission_date": date(2025, 11, 1),
                                                         "discharge_date": date(2025, 11, 5)})
    ids = [claim.id for claim in fine] + [waiting.id, uncovered.id]
    result = decisions.bulk_approve(reviewers[0], ids, rng=random.Random(7), now=NOON)
    assert sorted(result.skipped) == sorted([waiting.id, uncovered.id])
    assert result.skipped_reasons == {"waiting_period": 1, "no_cover": 1}
    assert len(result.approved) + len(result.held_for_review) == 3
    assert db.session.get(Claim, waiting.id).status == ClaimStatus.SUBMITTED


# --- payouts at any size (issue 11: a backlog blocked all payouts; "mark paid" never finished) ---


def test_a_backlog_goes_out_in_batches_of_the_configured_size_and_a_batch_can_be_split(app, reviewers):
    claims = approved_claims(reviewers[0], 5)
    app.config["PAYOUT_BATCH_MAX_CLAIMS"] = 3
    try:
        first = payouts.create_batch(reviewers[0], now=NOON)
        second = payouts.create_batch(reviewers[0], now=NOON)
    finally:
        app.config["PAYOUT_BATCH_MAX_CLAIMS"] = 5000
    assert (first.claim_count, second.claim_count) == (3, 2)
    assert [item.claim_id for item in first.items] == [claim.id for claim in claims[:3]]
    other = payouts.split_batch(reviewers[0], first.id, keep=1)
    assert (first.claim_count, first.total_fen, other.claim_count, other.total_fen) == (1, 80_000, 2, 160_000)
    with pytest.raises(InvalidInput, match="笔数"):
        payouts.split_batch(reviewers[0], first.id, keep=1)
    payouts.export_batch(reviewers[0], other.id, now=NOON)
    with pytest.raises(Conflict, match="不能再拆分"):
        payouts.split_batch(reviewers[0], other.id, keep=1)


def test_exporting_the_file_does_not_make_the_paid_form_of_the_same_page_stale(reviewers):
    """The batch page is read, the transfer file exported from it, then the bank's reference typed
    into the same page: the export changed nothing the payment covers, so it is not a conflict."""
    approved_claims(reviewers[0], 2)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    shown = batch.version_id
    payouts.export_batch(reviewers[0], batch.id, now=NOON)
    payouts.export_batch(reviewers[0], batch.id, now=NOON)
    db.session.expire_all()
    assert db.session.get(payouts.PayoutBatch, batch.id).export_count == 2
    paid = payouts.mark_batch_paid(reviewers[0], batch.id, bank_reference="ICBC-SAMEPAGE", version=shown, now=NOON)
    assert paid.status == "paid"


def test_a_split_still_makes_the_paid_form_stale(reviewers):
    approved_claims(reviewers[0], 2)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    shown = batch.version_id
    payouts.split_batch(reviewers[0], batch.id, keep=1)
    payouts.export_batch(reviewers[0], batch.id, now=NOON)
    with pytest.raises(Conflict, match="刷新页面"):
        payouts.mark_batch_paid(reviewers[0], batch.id, bank_reference="ICBC-STALE", version=shown, now=NOON)


def test_a_settlement_cut_short_by_a_crash_is_finished_once_by_the_next_run(reviewers):
    claims = approved_claims(reviewers[0], 3)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    payouts.export_batch(reviewers[0], batch.id, now=NOON)
    payouts.mark_batch_paid(reviewers[1], batch.id, bank_reference="ICBC-CRASH", now=NOON)
    assert payouts.paid_count(batch.id) == 3
    # As if the consumer died after the first chunk: two claims still wait for their payment.
    db.session.execute(Claim.__table__.update().where(Claim.id.in_([claims[1].id, claims[2].id]))
                       .values(status="payout_pending"))
    db.session.commit()
    assert payouts.resume_settlements() == 2
    assert payouts.resume_settlements() == 0
    db.session.expire_all()
    assert all(db.session.get(Claim, claim.id).status == ClaimStatus.PAID for claim in claims)
    assert len(texts(claims[0].member, "claim_paid")) == 1


@pytest.mark.postgres_only
def test_six_simultaneous_mark_paid_requests_get_one_payment_and_five_already_done(app, reviewers):
    claims = approved_claims(reviewers[0], 3)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    payouts.export_batch(reviewers[0], batch.id, now=NOON)
    batch_id, staff_id, member_ids = batch.id, reviewers[1].id, [claim.member_id for claim in claims]
    db.session.remove()
    barrier = threading.Barrier(6)
    outcomes = []

    def mark(number):
        from portal.models import StaffUser

        with app.app_context():
            try:
                actor = db.session.get(StaffUser, staff_id)
                db.session.get(payouts.PayoutBatch, batch_id)  # every request has read the open batch
                barrier.wait()
                payouts.mark_batch_paid(actor, batch_id, bank_reference=f"ICBC-{number}", now=NOON)
                outcomes.append("paid")
            except Conflict as error:
                outcomes.append(error.code)
            except Exception as error:  # noqa: BLE001 - a 500 in the view: the test must name it
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=mark, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_paid"] * 5 + ["paid"]
    assert payouts.paid_count(batch_id) == 3
    for member_id in member_ids:
        assert len(db.session.scalars(select(SmsMessage).where(SmsMessage.member_id == member_id,
                                                               SmsMessage.kind == "claim_paid")).all()) == 1


# --- payees (issue 11: a payee named "X" on a member's card went into the bank file) -------------


def test_the_payee_is_the_member_and_the_bank_file_carries_their_name(reviewers):
    member = covered_member(name="方敏")
    claim = file_claim(member, submit=False)
    filing.save_claim(member, claim.id, {"payee_name": "X"}, bank_card="6222021234567890128")
    assert claim.payee_name == "方敏"  # a free-typed payee is not taken
    with pytest.raises(InvalidInput, match="会员本人"):
        filing.save_claim(member, claim.id, {"beneficiary_name": "X", "beneficiary_relationship": "spouse"})
    with pytest.raises(InvalidInput, match="校验不通过"):
        filing.save_claim(member, claim.id, {}, bank_card="6222021234567890127")
    filing.submit_claim(member, claim.id, now=NOON)
    decisions.decide_claim(reviewers[0], claim.id, "approve", version=claim.version_id, now=NOON)
    batch = payouts.create_batch(reviewers[0], now=NOON)
    _, content = payouts.export_batch(reviewers[0], batch.id, now=NOON)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows[1][1] == "方敏"


def test_a_death_claim_is_paid_to_a_beneficiary_recorded_with_relationship_and_proof(reviewers):
    member = covered_member(name="王建华")
    facts = {"accident_date": date(2026, 6, 1), "accident_description": "送件途中遭遇车祸", "is_death": True}
    claim = file_claim(member, claim_type="accident", facts=facts, documents=False, submit=False)
    filing.save_claim(member, claim.id, {"beneficiary_name": "李秀英", "beneficiary_relationship": "spouse"})
    assert claim.payee_name == "李秀英" and claim.beneficiary_relationship == "spouse"
    assert "beneficiary_proof" in queries_kinds(claim)
    assert "beneficiary" in claim.flag_codes and "配偶" in str(claim.flags)
    # A guardian may receive any claim; nobody else but the member.
    other = file_claim(covered_member(), submit=False)
    filing.save_claim(other.member, other.id, {"beneficiary_name": "赵刚", "beneficiary_relationship": "guardian"})
    assert other.payee_name == "赵刚"
    filing.save_claim(other.member, other.id, {"beneficiary_name": "", "beneficiary_relationship": ""})
    assert other.payee_name == other.member.name and other.beneficiary_name is None


def queries_kinds(claim):
    from portal.services.claims import queries as claim_queries

    return [kind for kind, _ in claim_queries.document_choices(claim)]

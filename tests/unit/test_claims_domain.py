"""The worked examples of the claims issue, and the rules around them, without an app."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.domain.claims import (
    CLAIM_MACHINE,
    PAYOUT_BATCH_MACHINE,
    ClaimAction,
    ClaimFacts,
    ClaimStatus,
    ClaimType,
    CoverFacts,
    PayoutBatchAction,
    PayoutBatchStatus,
    PlanYearHistory,
    approval_action,
    calculate_benefit,
    check_claim,
    hospital_days,
    mask_bank_card,
    next_status,
    parse_bank_card,
    required_documents,
    sample_for_full_review,
    sniff_content_type,
)
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.plans import BenefitSchedule
from portal.domain.texts import text_send_after

PLAN = BenefitSchedule()  # the demo plan's figures
START = date(2026, 3, 1)
FIRST_COVER = CoverFacts(starts_on=START, ends_on=date(2027, 2, 28), is_renewal=False)


def stay(claim_type=ClaimType.HOSPITAL, days=12, admitted=date(2026, 5, 1), **extra):
    return ClaimFacts(claim_type=claim_type, admission_date=admitted, discharge_date=admitted + timedelta(days=days),
                      hospital="无锡市人民医院", diagnosis="肺炎", **extra)


def test_hospital_days_are_discharge_minus_admission():
    assert hospital_days(date(2026, 5, 1), date(2026, 5, 13)) == 12
    assert hospital_days(date(2026, 5, 1), date(2026, 5, 1)) == 0


def test_38_day_critical_illness_stay_pays_12100_yuan():
    facts = stay(ClaimType.CRITICAL_ILLNESS, days=38, disease="恶性肿瘤", diagnosis_date=date(2026, 5, 3))
    benefit = calculate_benefit(PLAN, facts)
    assert benefit.total_fen == 1_210_000
    assert [(line.code, line.amount_fen) for line in benefit.lines] == [
        ("critical_illness", 1_000_000), ("hospital_allowance", 190_000), ("condolence", 20_000)]
    assert "38天" in benefit.lines[1].rule


def test_12_day_illness_stay_pays_800_yuan():
    assert calculate_benefit(PLAN, stay(days=12)).total_fen == 80_000


def test_175_allowance_days_already_paid_leaves_5_days_450_yuan():
    benefit = calculate_benefit(PLAN, stay(days=12), PlanYearHistory(allowance_days_paid=175))
    assert benefit.total_fen == 45_000
    assert benefit.allowance_days == 5
    assert "已给付175天" in benefit.lines[0].rule


def test_illness_ten_days_after_first_enrolment_is_flagged_for_waiting_period():
    facts = stay(admitted=START + timedelta(days=10), days=3)
    flags = check_claim(PLAN, facts, FIRST_COVER, filed_on=START + timedelta(days=20))
    assert [flag.code for flag in flags] == ["waiting_period"]
    assert "等待期" in flags[0].message


def test_accident_ten_days_after_first_enrolment_is_not_flagged():
    facts = ClaimFacts(claim_type=ClaimType.ACCIDENT, accident_date=START + timedelta(days=10),
                       accident_description="送件途中摔倒", medical_costs_fen=120_000)
    assert check_claim(PLAN, facts, FIRST_COVER, filed_on=START + timedelta(days=20)) == []


def test_renewal_has_no_waiting_period():
    renewal = CoverFacts(starts_on=START, ends_on=date(2027, 2, 28), is_renewal=True)
    facts = stay(admitted=START + timedelta(days=10), days=3)
    assert check_claim(PLAN, facts, renewal, filed_on=START + timedelta(days=20)) == []


def test_second_critical_illness_in_plan_year_pays_nothing_and_says_why():
    facts = ClaimFacts(claim_type=ClaimType.CRITICAL_ILLNESS, disease="急性心肌梗塞", diagnosis_date=date(2026, 9, 1))
    benefit = calculate_benefit(PLAN, facts, PlanYearHistory(critical_illness_paid=True))
    assert benefit.total_fen == 0
    assert "已给付过一次重大疾病" in benefit.lines[0].rule


def test_accident_medical_costs_are_capped_at_5000_yuan():
    facts = ClaimFacts(claim_type=ClaimType.ACCIDENT, accident_date=date(2026, 6, 1), medical_costs_fen=620_000)
    benefit = calculate_benefit(PLAN, facts)
    assert benefit.total_fen == 500_000
    assert "超过限额" in benefit.lines[0].rule


def test_disability_grade_8_pays_30_percent_of_30000_yuan():
    facts = ClaimFacts(claim_type=ClaimType.ACCIDENT, accident_date=date(2026, 6, 1), disability_grade=8)
    benefit = calculate_benefit(PLAN, facts)
    assert benefit.total_fen == 900_000
    assert "30%" in benefit.lines[0].rule and "八级" in benefit.lines[0].rule


def test_no_cover_late_filing_duplicate_and_contradictory_dates_are_flagged():
    facts = stay(admitted=date(2026, 5, 10), days=-2)
    flags = check_claim(PLAN, facts, None, filed_on=date(2027, 1, 1), duplicate_of=7,
                        missing_documents=["invoice"])
    codes = [flag.code for flag in flags]
    assert codes == ["date_conflict", "no_cover", "late_filing", "duplicate_stay", "missing_documents"]
    assert "医疗费用发票" in flags[-1].message


def test_disability_claim_needs_the_appraisal():
    facts = ClaimFacts(claim_type=ClaimType.ACCIDENT, disability_grade=8)
    assert "disability_appraisal" in required_documents(PLAN, facts)


def test_state_machine_allows_the_review_path_and_refuses_shortcuts():
    assert next_status(ClaimStatus.DRAFT, ClaimAction.SUBMIT) is ClaimStatus.SUBMITTED
    assert next_status(ClaimStatus.IN_REVIEW, ClaimAction.REQUEST_DOCUMENTS) is ClaimStatus.NEEDS_DOCUMENTS
    assert next_status(ClaimStatus.NEEDS_DOCUMENTS, ClaimAction.RESUBMIT) is ClaimStatus.SUBMITTED
    assert next_status(ClaimStatus.APPROVED, ClaimAction.BATCH) is ClaimStatus.PAYOUT_PENDING
    assert next_status(ClaimStatus.PAYOUT_PENDING, ClaimAction.PAY) is ClaimStatus.PAID
    for status, action in [(ClaimStatus.DRAFT, ClaimAction.APPROVE), (ClaimStatus.PAID, ClaimAction.PAY),
                           (ClaimStatus.REJECTED, ClaimAction.APPROVE), (ClaimStatus.SUBMITTED, ClaimAction.PAY)]:
        with pytest.raises(Conflict):
            next_status(status, action)


def test_an_illegal_claim_move_keeps_the_claims_own_message_and_leaves_the_claim_alone():
    class Record:
        status = ClaimStatus.REJECTED

    record = Record()
    with pytest.raises(Conflict) as raised:
        CLAIM_MACHINE.move(record, ClaimAction.APPROVE)
    assert raised.value.code == "claim_state"
    assert raised.value.message == "该申请当前状态为“未予核准”，不能进行此操作。请刷新页面查看最新状态。"
    assert record.status == ClaimStatus.REJECTED
    record.status = ClaimStatus.SUBMITTED
    assert CLAIM_MACHINE.move(record, ClaimAction.APPROVE) is ClaimStatus.APPROVED
    assert record.status == ClaimStatus.APPROVED


def test_the_claim_machine_ends_in_paid_or_rejected_and_only_reviewers_steps_leave_review():
    assert CLAIM_MACHINE.terminal() == {ClaimStatus.PAID, ClaimStatus.REJECTED}
    assert set(CLAIM_MACHINE.allowed_actions(ClaimStatus.DRAFT)) == {ClaimAction.SUBMIT}
    assert set(CLAIM_MACHINE.allowed_actions(ClaimStatus.AWAITING_SECOND)) == {
        ClaimAction.APPROVE, ClaimAction.REJECT, ClaimAction.REQUEST_DOCUMENTS}
    assert not CLAIM_MACHINE.can(ClaimStatus.AWAITING_SECOND, ClaimAction.APPROVE_FIRST)  # four eyes, not six


def test_a_payout_batch_is_paid_once():
    class Batch:
        status = PayoutBatchStatus.OPEN

    batch = Batch()
    assert PAYOUT_BATCH_MACHINE.move(batch, PayoutBatchAction.PAY) is PayoutBatchStatus.PAID
    with pytest.raises(Conflict) as raised:
        PAYOUT_BATCH_MACHINE.move(batch, PayoutBatchAction.PAY)
    assert raised.value.code == "payout_batch_state"
    assert raised.value.message == "当前状态为“已付款”，不能登记付款。请刷新页面查看最新状态。"


def test_amounts_above_10000_yuan_need_a_second_reviewer():
    assert approval_action(1_000_000, is_second=False) is ClaimAction.APPROVE
    assert approval_action(1_000_001, is_second=False) is ClaimAction.APPROVE_FIRST
    assert approval_action(1_210_000, is_second=True) is ClaimAction.APPROVE


def test_bank_cards_are_luhn_checked_and_masked():
    assert parse_bank_card("6222 0212 3456 7890 128") == "6222021234567890128"
    with pytest.raises(InvalidInput, match="校验"):
        parse_bank_card("6222021234567890127")
    with pytest.raises(InvalidInput, match="16到19位"):
        parse_bank_card("4242424242")
    assert mask_bank_card("6222021234567890128") == "6222 **** **** 0128"


def test_uploads_are_recognised_by_content_not_name():
    assert sniff_content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_content_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert sniff_content_type(b"%PDF-1.7") == "application/pdf"
    assert sniff_content_type(b"MZ\x90\x00 an exe called photo.jpg") is None


def test_bulk_sample_is_5_percent_rounded_up_and_reproducible():
    ids = list(range(1, 41))
    held = sample_for_full_review(ids, random.Random(7))
    assert len(held) == 2 and held == sample_for_full_review(ids, random.Random(7))
    assert len(sample_for_full_review([1], random.Random(1))) == 1
    assert sample_for_full_review([], random.Random(1)) == set()


@pytest.mark.parametrize(("clock", "expected"), [
    ("2026-07-01 07:59", "2026-07-01 08:00"), ("2026-07-01 08:00", None), ("2026-07-01 19:59", None),
    ("2026-07-01 20:00", "2026-07-02 08:00"), ("2026-07-01 23:30", "2026-07-02 08:00"),
])
def test_texts_wait_for_the_morning_outside_08_to_20(clock, expected):
    zone = ZoneInfo("Asia/Shanghai")
    moment = datetime.strptime(clock, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    answer = text_send_after(moment)
    assert (answer.strftime("%Y-%m-%d %H:%M") if answer else None) == expected


def test_each_check_has_a_severity_and_overrides_need_every_blocking_finding_and_words():
    from portal.domain.claims import CHECK_RULES, Severity, approval_action, check_override
    from portal.domain.errors import Conflict, InvalidInput

    assert {code for code, rule in CHECK_RULES.items() if rule.severity is Severity.BLOCKING} >= {
        "no_cover", "duplicate_stay", "waiting_period", "late_filing", "not_eligible"}
    assert CHECK_RULES["missing_documents"].severity is Severity.ADVISORY
    facts = stay(admitted=START + timedelta(days=10), days=3)
    flags = [flag.as_dict() for flag in check_claim(PLAN, facts, FIRST_COVER, filed_on=START + timedelta(days=20),
                                                    missing_documents=["invoice"])]
    assert [flag["severity"] for flag in flags] == ["blocking", "advisory"]
    with pytest.raises(Conflict):
        check_override(flags, [], None)
    with pytest.raises(InvalidInput):
        check_override(flags, ["waiting_period"], "短")
    assert check_override(flags, ["waiting_period"], "急诊记录显示系意外受伤入院") == ["waiting_period"]
    uncovered = [flag.as_dict() for flag in check_claim(PLAN, facts, None, filed_on=START + timedelta(days=20))]
    with pytest.raises(Conflict):
        check_override(uncovered, ["no_cover"], "会员坚持说当时已经参保了")
    # An override waits for a second reviewer whatever the amount.
    assert approval_action(35_000, is_second=False, overridden=True).value == "approve_first"
    assert approval_action(35_000, is_second=False).value == "approve"


# --- the medical-cost part: costs above the deductible (起付线) at a ratio, capped per plan year ---


def test_zero_deductible_pays_half_of_8000_yuan_costs_on_top_of_allowance_and_condolence():
    benefit = calculate_benefit(PLAN, stay(days=12, medical_costs_fen=800_000))
    assert [line.code for line in benefit.lines] == ["hospital_medical", "hospital_allowance", "condolence"]
    assert benefit.lines[0].amount_fen == 400_000  # 8,000元 × 50%
    assert benefit.total_fen == 400_000 + 60_000 + 20_000
    assert "起付线0.00元" in benefit.lines[0].rule and "50%" in benefit.lines[0].rule


def test_the_earlier_version_with_a_1000_yuan_deductible_pays_half_of_what_is_above_it():
    earlier = BenefitSchedule(medical_deductible_fen=100_000)
    benefit = calculate_benefit(earlier, stay(days=12, medical_costs_fen=800_000))
    assert benefit.lines[0].amount_fen == 350_000  # (8,000 − 1,000) × 50%
    below = calculate_benefit(earlier, stay(days=12, medical_costs_fen=60_000))
    assert below.lines[0].amount_fen == 0 and "未超过起付线" in below.lines[0].rule


def test_the_yearly_cap_leaves_what_earlier_claims_did_not_use_and_rounds_half_up():
    benefit = calculate_benefit(PLAN, stay(days=12, medical_costs_fen=800_000),
                                PlanYearHistory(medical_paid_fen=1_800_000))
    assert benefit.lines[0].amount_fen == 200_000  # 20,000元 cap − 18,000元 paid
    assert "年度限额20,000.00元" in benefit.lines[0].rule
    odd = calculate_benefit(BenefitSchedule(medical_ratio_percent=35), stay(days=1, medical_costs_fen=1_001))
    assert odd.lines[0].amount_fen == 350  # 10.01元 × 35% = 3.5035元 → 3.50元


def test_each_part_of_the_hospital_benefit_is_optional_per_plan_version():
    allowance_only = BenefitSchedule(medical_ratio_percent=0, condolence_fen=0)
    benefit = calculate_benefit(allowance_only, stay(days=12, medical_costs_fen=800_000))
    assert [line.code for line in benefit.lines] == ["hospital_allowance"] and benefit.total_fen == 60_000
    costs_only = BenefitSchedule(hospital_daily_fen=0, condolence_fen=0)
    assert calculate_benefit(costs_only, stay(days=12, medical_costs_fen=800_000)).total_fen == 400_000


def test_the_article_worked_case_stays_12100_yuan_with_the_cost_part_in_the_plan():
    facts = ClaimFacts(claim_type=ClaimType.CRITICAL_ILLNESS, admission_date=date(2026, 5, 1),
                       discharge_date=date(2026, 6, 8), disease="恶性肿瘤", diagnosis_date=date(2026, 5, 3))
    assert calculate_benefit(PLAN, facts).total_fen == 1_210_000  # 虞师傅: 10,000 + 38 × 50 + 200


def test_each_contradiction_in_the_dates_is_its_own_finding_in_words_that_translate():
    facts = ClaimFacts(claim_type=ClaimType.ACCIDENT, accident_date=date(2026, 6, 10),
                       admission_date=date(2026, 6, 8), discharge_date=date(2026, 6, 12))
    flags = check_claim(PLAN, facts, None, filed_on=date(2026, 6, 11))
    dates = [flag for flag in flags if flag.code == "date_conflict"]
    assert [flag.message for flag in dates] == ["出院日期晚于申请日期，请核对。", "入院日期早于事故日期，请核对。"]
    assert all(flag.params == {} and flag.blocking for flag in dates)

"""Enrolment rules without an app: plan edits, renewal, campaign eligibility, roster rows."""

from dataclasses import replace
from datetime import date

import pytest

from portal.domain import enrollment as rules
from portal.domain.errors import InvalidInput
from portal.domain.identity import compose_id_number
from portal.domain.plans import BenefitSchedule

TODAY = date(2026, 7, 1)
ID_A = compose_id_number("320213", date(1990, 3, 15), 101)
ID_B = compose_id_number("320205", date(1985, 11, 2), 202)
ID_X = next(compose_id_number("320211", date(1979, 1, 9), n) for n in range(300, 400)
            if compose_id_number("320211", date(1979, 1, 9), n).endswith("X"))


def check(rows, merged=()):
    validator = rules.RosterValidator(today=TODAY, merged=list(merged))
    results = list(validator.check(enumerate(rows, start=1)))
    return validator, results


# --- plans ------------------------------------------------------------------------------------

def test_the_demo_schedule_is_sound():
    schedule = BenefitSchedule()
    assert rules.check_schedule(schedule) is schedule
    assert schedule.contribution_fen == 6000 and schedule.hospital_daily_fen == 5000
    assert schedule.disability_percentages[-1] == 10


@pytest.mark.parametrize("changes, field", [
    ({"disability_percentages": (100, 90, 95, 70, 60, 50, 40, 30, 20, 10)}, "disability_percentages"),
    ({"disability_percentages": (100, 90, 80)}, "disability_percentages"),
    ({"contribution_fen": 0}, "contribution_fen"),
    ({"hospital_daily_fen": -1}, "hospital_daily_fen"),
    ({"hospital_days_cap": 0}, "hospital_days_cap"),
    ({"critical_diseases": ()}, "critical_diseases"),
    ({"illness_waiting_days": 400}, "illness_waiting_days"),
    ({"exclusions": "  "}, "exclusions"),
])
def test_unsound_schedules_are_refused_with_the_field_to_fix(changes, field):
    with pytest.raises(InvalidInput) as error:
        rules.check_schedule(replace(BenefitSchedule(), **changes))
    assert error.value.field == field


def test_percentages_and_diseases_are_read_the_way_people_type_them():
    assert rules.parse_percentages("１００，90、80 70;60 50,40,30,20,10%") == (100, 90, 80, 70, 60, 50, 40, 30, 20, 10)
    with pytest.raises(InvalidInput):
        rules.parse_percentages("100, 九十")
    assert rules.parse_disease_list("恶性肿瘤\n\n急性心肌梗塞、恶性肿瘤\r\n") == ("恶性肿瘤", "急性心肌梗塞")


def test_renewal_follows_the_old_cover_without_a_gap_and_has_no_waiting_period():
    start, end = rules.renewal_period(date(2026, 8, 31), TODAY)
    assert (start, end) == (date(2026, 9, 1), date(2027, 8, 31))
    assert rules.renewal_period(date(2026, 6, 1), TODAY)[0] == date(2026, 7, 2)  # lapsed: from tomorrow
    assert rules.is_continuation(date(2026, 6, 30), date(2026, 7, 1))
    assert not rules.is_continuation(date(2026, 1, 1), date(2026, 7, 1))
    assert not rules.is_continuation(None, date(2026, 7, 1))
    assert rules.waiting_period_ends(date(2026, 7, 2), BenefitSchedule(), is_renewal=False) == date(2026, 7, 31)
    assert rules.waiting_period_ends(date(2026, 7, 2), BenefitSchedule(), is_renewal=True) is None


def test_campaign_eligibility_explains_each_refusal():
    gig_rules = rules.CampaignRules(occupations=("快递员", "外卖配送员"), requires_gig_worker=True,
                                    requires_social_insurance=True, area_path="/1/2/")
    ok = {"occupation": "快递员", "is_gig_worker": True, "has_social_insurance": True, "union_path": "/1/2/7/"}
    assert rules.campaign_refusal(gig_rules, **ok) is None
    assert "本地区" in rules.campaign_refusal(gig_rules, **{**ok, "union_path": "/1/3/"}).message
    assert "新就业形态" in rules.campaign_refusal(gig_rules, **{**ok, "is_gig_worker": False}).message
    assert "快递员、外卖配送员" in rules.campaign_refusal(gig_rules, **{**ok, "occupation": "网约车司机"}).message
    assert "社会保险" in rules.campaign_refusal(gig_rules, **{**ok, "has_social_insurance": False}).message


# --- roster rows ------------------------------------------------------------------------------

def test_title_rows_blank_rows_and_columns_in_any_order():
    validator, results = check([
        ["梁溪区快递行业工会联合会 2026年度参保名单", "", ""],
        ["", "", ""],
        ["序号", "身份证号码*", "手机号", "姓 名（必填）", "备注"],
        [1, ID_A, "13912345678", "张三", ""],
        ["", "", "", "", ""],
        [2, "", "", "", "没有数据的序号行"],
        [3, ID_B, "", "李四", ""],
    ])
    assert validator.header_row == 3
    assert [r.row for r in results] == [4, 7]
    assert results[0].name == "张三" and results[0].mobile == "13912345678"
    assert results[1].mobile is None and results[1].id_number.value == ID_B


def test_full_width_digits_spaces_and_lower_case_x_are_accepted():
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ID_A)
    _, results = check([
        ["姓名", "身份证号", "手机号"],
        ["张　三", " " + full_width[:6] + " " + full_width[6:] + " ", "139 1234 5678"],
        ["王·小明", ID_X.lower(), "+86 13912345679"],
    ])
    assert [r.id_number.value for r in results] == [ID_A, ID_X]
    assert results[0].name == "张三" and results[1].name == "王·小明"
    assert results[1].mobile == "13912345679"


def test_id_numbers_excel_turned_into_numbers_say_how_to_fix():
    _, results = check([
        ["姓名", "身份证号"],
        ["张三", float(ID_A)],
        ["李四", "3.20213E+17"],
        ["王五", 320213900315123],
        ["赵六", "320213900315123"],
    ])
    assert all(isinstance(r, rules.RowIssue) for r in results)
    assert "请将身份证号列设置为文本格式后重新输入" in results[0].message
    assert "请将身份证号列设置为文本格式后重新输入" in results[1].message
    assert "15位的旧身份证号码" in results[2].message and "文本格式" in results[2].message
    assert "15位的旧身份证号码" in results[3].message
    assert {r.column for r in results} == {"身份证号"}
    assert [r.row for r in results] == [2, 3, 4, 5]


def test_duplicates_inside_the_file_name_the_first_row():
    _, results = check([["姓名", "身份证号"], ["张三", ID_A], ["李四", ID_B], ["张三", ID_A.replace("", "")]])
    assert isinstance(results[2], rules.RowIssue)
    assert results[2].row == 4 and "与第2行的身份证号重复" in results[2].message


def test_merged_cells_count_for_every_row_they_cover():
    # Row 1 is a merged title; 职业 (column C) is merged over rows 3-4 (0-based 2..3).
    _, results = check(
        [["快递员参保名单", "", ""], ["姓名", "身份证号", "职业"], ["张三", ID_A, "快递员"], ["李四", ID_B, ""]],
        merged=[((0, 0), (0, 2)), ((2, 2), (3, 2))],
    )
    assert [r.occupation for r in results] == ["快递员", "快递员"]
    assert all(r.is_gig_worker for r in results)  # derived from the occupation when the column is blank


def test_yes_no_columns_and_bad_cells_point_to_their_column():
    _, results = check([
        ["姓名", "身份证号", "手机号", "是否新就业形态劳动者", "是否参加社保"],
        ["张三", ID_A, "", "否", "否"],
        ["李四", ID_B, "", "也许", ""],
        ["王五", compose_id_number("320213", date(1991, 1, 1), 55), "1234", "是", "是"],
        ["", ID_X, "", "", ""],
        ["孩子", compose_id_number("320213", date(2015, 1, 1), 56), "", "", ""],
    ])
    assert results[0].is_gig_worker is False and results[0].has_social_insurance is False
    assert (results[1].column, results[1].row) == ("是否新就业形态劳动者", 3)
    assert results[2].column == "手机号" and "11位手机号码" in results[2].message
    assert results[3].column == "姓名" and "请填写姓名" in results[3].message
    assert results[4].column == "身份证号" and "未满16岁" in results[4].message


def test_a_sheet_without_the_needed_headers_is_refused_as_a_whole():
    with pytest.raises(rules.RosterFileError) as error:
        check([["名字", "号码"], ["张三", ID_A]])
    assert "姓名" in error.value.message and "身份证号" in error.value.message


def test_a_plan_row_and_its_schedule_carry_the_same_figures():
    from portal.models.enrollment import Plan

    schedule = BenefitSchedule(contribution_fen=7_000, hospital_days_cap=150, critical_diseases=("恶性肿瘤",),
                               disability_percentages=(100, 90, 80, 70, 60, 50, 40, 30, 20, 10))
    plan = Plan.from_schedule("SANHEYI", "三合一", schedule)
    assert plan.critical_diseases == ["恶性肿瘤"] and plan.hospital_days_cap == 150
    assert plan.schedule() == schedule

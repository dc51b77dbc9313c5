"""A plan's eligibility rules: social insurance and working age, with the refusal a person reads."""

from datetime import date

import pytest

from portal.domain.eligibility import (
    EligibilityRules,
    NotEligible,
    PersonFacts,
    check_eligible,
    eligibility_refusals,
)

SANHEYI = EligibilityRules(requires_social_insurance=True, min_age=16, max_age=65)
DAY = date(2026, 7, 1)


def person(birth=date(1988, 5, 20), insured=True):
    return PersonFacts(birth_date=birth, has_social_insurance=insured)


def test_a_worker_paying_social_insurance_of_working_age_is_eligible():
    assert eligibility_refusals(SANHEYI, person(), on=DAY) == []
    check_eligible(SANHEYI, person(), on=DAY)


def test_a_roster_row_without_social_insurance_is_refused_with_a_message_that_says_what_to_do():
    with pytest.raises(NotEligible) as raised:
        check_eligible(SANHEYI, person(insured=False), on=DAY, field="has_social_insurance")
    error = raised.value
    assert error.code == "not_eligible" and error.params["reason"] == "no_social_insurance"
    assert error.field == "has_social_insurance"
    assert "未参加社保" in error.message and "联系所在工会更正" in error.message


def test_age_is_judged_on_the_day_in_whole_years():
    sixty_five_today = person(birth=date(1961, 7, 1))
    sixty_six_tomorrow = person(birth=date(1960, 7, 2))
    assert eligibility_refusals(SANHEYI, sixty_five_today, on=DAY) == []
    assert eligibility_refusals(SANHEYI, sixty_six_tomorrow, on=DAY) == []
    [too_old] = eligibility_refusals(SANHEYI, person(birth=date(1960, 7, 1)), on=DAY)
    assert too_old.code == "too_old" and too_old.message == (
        "该保障项目面向65周岁及以下的职工，按身份证号码计算，2026年7月1日时为66周岁。")
    [too_young] = eligibility_refusals(SANHEYI, person(birth=date(2010, 7, 2)), on=DAY)
    assert too_young.code == "too_young" and "年满16周岁" in too_young.message


def test_every_rule_not_met_is_listed_and_a_plan_without_rules_takes_everyone():
    codes = [refusal.code for refusal in
             eligibility_refusals(SANHEYI, person(birth=date(1950, 1, 1), insured=False), on=DAY)]
    assert codes == ["no_social_insurance", "too_old"]
    assert eligibility_refusals(EligibilityRules(), person(birth=date(1950, 1, 1), insured=False), on=DAY) == []


def test_rules_describe_themselves_for_the_plan_page():
    assert SANHEYI.describe() == ["须参加社会保险", "年龄16至65周岁"]
    assert EligibilityRules().describe() == []

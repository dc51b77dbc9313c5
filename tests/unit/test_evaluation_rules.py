"""Cross-evaluation panels: no unit evaluates itself, none is evaluated by only one unit, and the
same seed draws the same panels; weighted scores in Decimal."""

from collections import Counter
from decimal import Decimal

import pytest

from portal.domain import evaluation as rules
from portal.domain.errors import InvalidInput


@pytest.mark.parametrize("count", range(4, 41))
@pytest.mark.parametrize("size", [2, 3, 4])
def test_every_draw_keeps_the_rules(count, size):
    units = list(range(100, 100 + count))
    if count < 2 * size:
        with pytest.raises(InvalidInput):
            rules.form_panels(units, size, "seed")
        return
    for seed in ("a", "b", "2023-18", "x" * 40):
        panels = rules.form_panels(units, size, seed)
        pairs = rules.assignments(panels)
        assert all(evaluator != target for evaluator, target in pairs)  # no self-evaluation
        evaluators = Counter(target for _, target in pairs)
        assert set(evaluators) == set(units)  # every unit evaluated
        assert min(evaluators.values()) >= max(size, rules.MIN_EVALUATORS)  # never by one unit only
        assert sorted(u for p in panels for u in p.members) == units  # every unit sits on one panel


def test_eighteen_units_in_panels_of_three_make_six_panels():
    panels = rules.form_panels(range(1, 19), 3, "2023")
    assert [len(p.members) for p in panels] == [3] * 6
    assert len(rules.assignments(panels)) == 54  # 18 stations × 3 evaluating units


def test_the_same_seed_draws_the_same_panels_and_another_seed_others():
    units = list(range(1, 19))
    assert rules.form_panels(units, 3, "f00d") == rules.form_panels(reversed(units), 3, "f00d")
    assert rules.form_panels(units, 3, "f00d") != rules.form_panels(units, 3, "beef")


def test_the_check_refuses_self_evaluation_and_a_single_evaluator():
    with pytest.raises(InvalidInput) as refused:
        rules.check_assignment([(1, 1), (2, 1), (3, 2), (1, 2)], [1, 2])
    assert refused.value.code == "self_evaluation"
    with pytest.raises(InvalidInput) as refused:
        rules.check_assignment([(2, 1), (3, 1), (1, 2)], [1, 2])
    assert refused.value.code == "single_evaluator"
    rules.check_assignment([(2, 1), (3, 1), (1, 2), (3, 2)], [1, 2])


def test_criteria_are_parsed_with_whole_weights():
    assert rules.parse_criteria("阵地建设|20\n\n服务计划 | 30") == [rules.Criterion("阵地建设", 20),
                                                                  rules.Criterion("服务计划", 30)]
    for bad in ("", "阵地建设", "阵地建设|0", "|20", "a|1\na|2"):
        with pytest.raises(InvalidInput):
            rules.parse_criteria(bad)


def test_scores_combine_as_weighted_means_in_decimal():
    assert rules.weighted_total([(90, 20), (80, 30), (100, 50)]) == Decimal("92.0")
    assert rules.weighted_total([(85, 1), (90, 2)]) == Decimal("88.3")
    assert rules.combined([Decimal("92.0"), Decimal("88.3"), Decimal("80.0")]) == Decimal("86.8")
    assert rules.combined([]) is None
    with pytest.raises(InvalidInput):
        rules.check_score("101", "阵地建设")
    with pytest.raises(InvalidInput):
        rules.check_score("", "阵地建设")
    assert rules.grade(Decimal("90.0")) == "优秀" and rules.grade(Decimal("59.9")) == "待改进"

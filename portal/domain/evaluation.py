"""康乃馨 women workers' service stations: the yearly quality evaluation (质效评价) by cross-evaluation.

The units taking part (each a 康乃馨服务站 of its own union) form panels that evaluate each other
(交叉验收): no unit evaluates itself, and no station is evaluated by fewer than two units. Panels
are drawn from ``random.Random(seed)`` with the seed recorded and shown, like the childcare ballot,
so anyone holding the seed and the list of units can draw them again and get the same panels.

Scores are whole points from 0 to 100 per criterion; a sheet's total is the weighted mean of its
criteria, a station's result the mean of its sheets' totals, both as ``Decimal`` to one place.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.states import StateMachine

MIN_EVALUATORS = 2  # a station is never evaluated by only one unit
MIN_PANEL_SIZE = 2
MAX_PANEL_SIZE = 6
MAX_SCORE = 100
MAX_CRITERIA = 20
ONE_PLACE = Decimal("0.1")


class RoundStatus(StrEnum):
    PREPARING = "preparing"  # stations and criteria being set
    SCORING = "scoring"  # panels drawn, sheets being filled
    PUBLISHED = "published"  # results published to the stations


class RoundAction(StrEnum):
    FORM_PANELS = "form_panels"
    PUBLISH = "publish"


ROUND_STATUS_LABELS = {RoundStatus.PREPARING: N_("筹备中"), RoundStatus.SCORING: N_("交叉验收评分中"),
                       RoundStatus.PUBLISHED: N_("结果已发布")}
ROUND = StateMachine(
    name="evaluation_round", statuses=RoundStatus, labels=ROUND_STATUS_LABELS,
    transitions={(RoundStatus.PREPARING, RoundAction.FORM_PANELS): RoundStatus.SCORING,
                 (RoundStatus.SCORING, RoundAction.PUBLISH): RoundStatus.PUBLISHED},
    action_labels={RoundAction.FORM_PANELS: N_("组建验收小组"), RoundAction.PUBLISH: N_("发布结果")},
    initial=RoundStatus.PREPARING,
)


class SheetStatus(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"


class SheetAction(StrEnum):
    SUBMIT = "submit"


SHEET_STATUS_LABELS = {SheetStatus.PENDING: N_("待评分"), SheetStatus.SUBMITTED: N_("已提交")}
SHEET = StateMachine(
    name="evaluation_sheet", statuses=SheetStatus, labels=SHEET_STATUS_LABELS,
    # Submitting again while the round is scoring corrects the sheet; publishing closes it.
    transitions={(SheetStatus.PENDING, SheetAction.SUBMIT): SheetStatus.SUBMITTED,
                 (SheetStatus.SUBMITTED, SheetAction.SUBMIT): SheetStatus.SUBMITTED},
    action_labels={SheetAction.SUBMIT: N_("提交评分")},
    initial=SheetStatus.PENDING,
)


class PlanItemKind(StrEnum):
    RULE = "rule"  # a rule of the station's management system (管理制度)
    SERVICE = "service"  # an item of the station's service plan (服务计划)

    @property
    def label(self) -> str:
        return PLAN_ITEM_LABELS[self]


PLAN_ITEM_LABELS = {PlanItemKind.RULE: N_("管理制度"), PlanItemKind.SERVICE: N_("服务计划")}


# --- panels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    number: int
    members: tuple[int, ...]  # the units on the panel (they evaluate)
    evaluates: tuple[int, ...]  # the units whose stations the panel evaluates


def form_panels(units: Iterable[int], panel_size: int, seed: str) -> list[Panel]:
    """Panels of about ``panel_size`` units, each evaluating the units of the next panel.

    The recipe, so anyone can check it: sort the unit ids ascending; ``random.Random(seed)``
    shuffles them once; with ``n`` units there are ``k = n // panel_size`` panels (at least 2),
    and unit number ``i`` of the shuffled list joins panel ``i % k``; panel ``j`` evaluates the
    units of panel ``(j + 1) % k``. Every panel has at least ``panel_size`` units, so every
    station is evaluated by that many units, none of them itself.
    """
    order = sorted(set(units))
    if not MIN_PANEL_SIZE <= panel_size <= MAX_PANEL_SIZE:
        raise InvalidInput(N_("每个验收小组应有%(low)s到%(high)s家单位。"), field="panel_size",
                           low=MIN_PANEL_SIZE, high=MAX_PANEL_SIZE)
    if len(order) < 2 * panel_size:
        raise InvalidInput(N_("交叉验收至少需要%(needed)s家参评单位（两个小组），现有%(count)s家。"),
                           code="too_few_units", needed=2 * panel_size, count=len(order))
    random.Random(str(seed)).shuffle(order)
    count = len(order) // panel_size
    groups = [tuple(order[i::count]) for i in range(count)]
    panels = [Panel(j + 1, groups[j], groups[(j + 1) % count]) for j in range(count)]
    check_assignment(assignments(panels), order)
    return panels


def assignments(panels: Sequence[Panel]) -> list[tuple[int, int]]:
    """Every (evaluating unit, evaluated unit) pair: one score sheet each."""
    return [(member, target) for panel in panels for member in panel.members for target in panel.evaluates]


def check_assignment(pairs: Iterable[tuple[int, int]], units: Iterable[int]) -> None:
    """The rule itself, whatever drew the pairs: no self-evaluation, every unit evaluated by at
    least ``MIN_EVALUATORS`` other units."""
    pairs = list(pairs)
    if any(evaluator == target for evaluator, target in pairs):
        raise InvalidInput(N_("验收分组有误：单位不能评价自己。"), code="self_evaluation")
    evaluators = Counter(target for _, target in set(pairs))
    short = [unit for unit in units if evaluators[unit] < MIN_EVALUATORS]
    if short:
        raise InvalidInput(N_("验收分组有误：每家单位至少由%(min)s家其他单位评价。"), code="single_evaluator",
                           min=MIN_EVALUATORS)


# --- criteria and scores ---------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: int


DEFAULT_CRITERIA = (
    Criterion("阵地建设（场所、设施、标识）", 20),
    Criterion("管理制度（制定与执行）", 20),
    Criterion("服务计划（项目与落实）", 25),
    Criterion("服务团队（人员、培训）", 15),
    Criterion("服务成效（女职工参与和评价）", 20),
)


def parse_criteria(text: str) -> list[Criterion]:
    """One criterion a line, ``name|weight`` (weight a whole number); weights need not sum to 100."""
    criteria = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, _, weight = line.rpartition("|")
        try:
            value = int(weight.strip())
        except ValueError:
            raise InvalidInput(N_("第%(line)s行应写成“指标名称|权重”，权重为整数。"), field="criteria",
                               line=number) from None
        if not name.strip() or not 1 <= value <= 100:
            raise InvalidInput(N_("第%(line)s行的指标名称不能为空，权重应在1到100之间。"), field="criteria",
                               line=number)
        criteria.append(Criterion(name.strip()[:80], value))
    if not criteria:
        raise InvalidInput(N_("请至少填写一项评价指标。"), field="criteria")
    if len(criteria) > MAX_CRITERIA:
        raise InvalidInput(N_("评价指标最多%(max)s项。"), field="criteria", max=MAX_CRITERIA)
    if len({c.name for c in criteria}) != len(criteria):
        raise InvalidInput(N_("评价指标名称不能重复。"), field="criteria")
    return criteria


def check_score(value: object, criterion: str) -> int:
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(N_("请为“%(criterion)s”打分（0—100的整数）。"), code="score_missing",
                           criterion=criterion) from None
    if not 0 <= score <= MAX_SCORE:
        raise InvalidInput(N_("“%(criterion)s”的分数应在0到100之间。"), code="score_range", criterion=criterion)
    return score


def weighted_total(scores: Iterable[tuple[int, int]]) -> Decimal:
    """The weighted mean of ``(score, weight)`` pairs, to one decimal place."""
    scores = list(scores)
    weights = sum(weight for _, weight in scores)
    if not weights:
        raise ValueError("no weights")
    return (Decimal(sum(score * weight for score, weight in scores)) / weights).quantize(ONE_PLACE, ROUND_HALF_UP)


def combined(totals: Iterable[Decimal]) -> Decimal | None:
    totals = list(totals)
    if not totals:
        return None
    return (sum(totals, Decimal(0)) / len(totals)).quantize(ONE_PLACE, ROUND_HALF_UP)


def grade(total: Decimal | None) -> str:
    """The grade shown with a result: 优秀 (90+), 良好 (80+), 合格 (60+), 待改进."""
    if total is None:
        return N_("未评")
    if total >= 90:
        return N_("优秀")
    if total >= 80:
        return N_("良好")
    if total >= 60:
        return N_("合格")
    return N_("待改进")

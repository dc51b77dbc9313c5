"""Heat relief (送清凉): a season declared by the city or a district, the hardship families it
pays, and the cool-down packs (防暑降温包) handed out.

The rule that decides money: a family is paid at most once in a year's heat season, whichever
level pays. The city and a district may both declare a season and both list a family (a city
season covering district-level families, say); the first confirmation pays, the other list shows
the family as already paid. The database holds the same rule as a UNIQUE key on (year, family),
so two officers confirming at the same moment cannot both pay.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from portal.domain.errors import Conflict, InvalidInput, PermissionDenied
from portal.domain.hardship import HardshipLevel
from portal.domain.i18n import N_
from portal.domain.states import StateMachine

# Far above any heat subsidy (the article's is 200元): a larger figure is a typing slip.
MAX_AMOUNT_FEN = 500_000
MAX_PACKS = 10_000  # packs in one hand-out record


class PayingLevel(StrEnum):
    CITY = "city"  # 市总工会
    DISTRICT = "district"  # 区（市）总工会

    @property
    def label(self) -> str:
        return PAYING_LEVEL_LABELS[self]


PAYING_LEVEL_LABELS = {PayingLevel.CITY: N_("市级"), PayingLevel.DISTRICT: N_("区级")}


class SeasonStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return SEASON.label(self)


class SeasonAction(StrEnum):
    CLOSE = "close"


SEASON = StateMachine(
    name="heat_season", statuses=SeasonStatus, initial=SeasonStatus.OPEN,
    labels={SeasonStatus.OPEN: N_("发放中"), SeasonStatus.CLOSED: N_("已结束")},
    transitions={(SeasonStatus.OPEN, SeasonAction.CLOSE): SeasonStatus.CLOSED},
    action_labels={SeasonAction.CLOSE: N_("结束本季发放")},
)


def paying_level_for(union_kind: str | None) -> PayingLevel:
    """The level a union pays at: the federation (or federation-wide staff) the city's, a district
    union its district's; other unions do not declare seasons."""
    if union_kind in (None, "federation"):
        return PayingLevel.CITY
    if union_kind == "district":
        return PayingLevel.DISTRICT
    raise PermissionDenied(N_("只有市总工会和区（市）总工会可以发布送清凉补助。"))


def levels_payable(paying: PayingLevel) -> list[HardshipLevel]:
    """The register levels a paying level may cover: the city any, a district its own and grassroots."""
    if paying is PayingLevel.CITY:
        return list(HardshipLevel)
    return [HardshipLevel.DISTRICT, HardshipLevel.GRASSROOTS]


def check_levels(values, paying: PayingLevel) -> list[HardshipLevel]:
    chosen = set()
    for value in values or ():
        try:
            chosen.add(HardshipLevel(value))
        except ValueError:
            raise InvalidInput(N_("请选择补助覆盖的建档级别。"), field="levels") from None
    if not chosen:
        raise InvalidInput(N_("请选择补助覆盖的建档级别。"), field="levels")
    allowed = levels_payable(paying)
    if not chosen <= set(allowed):
        raise PermissionDenied(N_("%(paying)s补助不能覆盖所选的建档级别。"), paying=paying.label)
    return [level for level in HardshipLevel if level in chosen]


def check_season_dates(starts_on: date | None, ends_on: date | None) -> int:
    """A season runs within one summer; its year is what a family may be paid once in."""
    if starts_on is None or ends_on is None:
        raise InvalidInput(N_("请填写补助季的开始和结束日期。"), field="starts_on" if starts_on is None else "ends_on")
    if ends_on < starts_on:
        raise InvalidInput(N_("结束日期不能早于开始日期。"), field="ends_on")
    if ends_on.year != starts_on.year:
        raise InvalidInput(N_("一个补助季须在同一年内。"), field="ends_on")
    return starts_on.year


def check_amount(amount_fen: int) -> int:
    if not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise InvalidInput(N_("每户补助金额须大于0且不超过%(max)s元。"), field="amount", max=MAX_AMOUNT_FEN // 100)
    return amount_fen


def check_not_paid(paid_by: PayingLevel | str | None, year: int) -> None:
    """Refuse a second subsidy in the year: ``paid_by`` is the level that already paid the family."""
    if paid_by is not None:
        raise Conflict(N_("该家庭%(year)s年度的送清凉补助已由%(level)s发放，同一年度不能重复发放。"),
                       code="heat_subsidy_paid", year=year, level=PayingLevel(paid_by).label)


def check_covered(level: str, season_levels: list[str]) -> None:
    if level not in season_levels:
        raise InvalidInput(N_("该家庭的建档级别不在本次补助范围内。"))


def check_pack_count(count: int | None) -> int:
    if count is None or not 0 < count <= MAX_PACKS:
        raise InvalidInput(N_("发放数量须在1到%(max)s之间。"), field="count", max=MAX_PACKS)
    return count

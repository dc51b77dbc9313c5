"""Who a plan may cover: the plan version's eligibility rules, and one function that applies them.

Every door into a plan (a union roster, self-service, a gifted campaign, a kiosk envelope) and the
claim check "not eligible" ask the same question here, so a person refused at one door is not let
in at another, and each refusal says why in words the person understands. The rules belong to the
plan version (an administrator sets them with the plan's figures); a campaign for gig workers who
pay no social insurance uses a plan version whose rules do not ask for it.

Usage: ``refusals = eligibility_refusals(plan.schedule().eligibility, person_facts(member), on=day)``,
or ``check_eligible(...)`` to raise ``NotEligible`` (code ``not_eligible``) with the first refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_, interpolate
from portal.domain.identity import age_on

# The working age the "三合一" plan is for: from 16 (the legal working age) to 65 inclusive.
WORKING_AGE_MIN = 16
WORKING_AGE_MAX = 65

NO_SOCIAL_INSURANCE = N_("该保障项目面向参加社会保险的在职职工，登记信息显示您未参加社保。"
                         "如已参保，请联系所在工会更正会员信息。")
TOO_YOUNG = N_("该保障项目面向年满%(min_age)s周岁的职工，按身份证号码计算，%(day)s时为%(age)s周岁。")
TOO_OLD = N_("该保障项目面向%(max_age)s周岁及以下的职工，按身份证号码计算，%(day)s时为%(age)s周岁。")


@dataclass(frozen=True)
class EligibilityRules:
    """What a plan version asks of the people it covers; ``None`` means no limit on that side."""

    requires_social_insurance: bool = False
    min_age: int | None = None  # whole years on the day judged, inclusive
    max_age: int | None = None

    def describe(self) -> list[str]:
        """The rules in the words of the plan's page (msgids with their parameters filled in)."""
        parts = []
        if self.requires_social_insurance:
            parts.append(N_("须参加社会保险"))
        if self.min_age is not None and self.max_age is not None:
            parts.append(interpolate(N_("年龄%(min_age)s至%(max_age)s周岁"),
                                     {"min_age": self.min_age, "max_age": self.max_age}))
        elif self.min_age is not None:
            parts.append(interpolate(N_("年满%(min_age)s周岁"), {"min_age": self.min_age}))
        elif self.max_age is not None:
            parts.append(interpolate(N_("%(max_age)s周岁及以下"), {"max_age": self.max_age}))
        return parts


@dataclass(frozen=True)
class PersonFacts:
    """What the rules look at of one person (a member, a roster row, a kiosk applicant)."""

    birth_date: date
    has_social_insurance: bool


@dataclass(frozen=True)
class Refusal:
    """One rule a person does not meet: a stable code and the message with its parameters."""

    code: str  # no_social_insurance | too_young | too_old
    msgid: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return interpolate(self.msgid, self.params)

    def error(self, *, field: str | None = None) -> NotEligible:
        return NotEligible(self.msgid, field=field, reason=self.code, **self.params)


class NotEligible(InvalidInput):
    """The person does not meet the plan's rules; ``params["reason"]`` is the refusal's code."""

    code = "not_eligible"


def eligibility_refusals(rules: EligibilityRules, person: PersonFacts, *, on: date) -> list[Refusal]:
    """Every rule of ``rules`` that ``person`` does not meet on ``on``, in a stable order."""
    refusals = []
    if rules.requires_social_insurance and not person.has_social_insurance:
        refusals.append(Refusal("no_social_insurance", NO_SOCIAL_INSURANCE))
    age = age_on(person.birth_date, on)
    if rules.min_age is not None and age < rules.min_age:
        refusals.append(Refusal("too_young", TOO_YOUNG, {"min_age": rules.min_age, "day": on, "age": age}))
    if rules.max_age is not None and age > rules.max_age:
        refusals.append(Refusal("too_old", TOO_OLD, {"max_age": rules.max_age, "day": on, "age": age}))
    return refusals


def check_eligible(rules: EligibilityRules, person: PersonFacts, *, on: date, field: str | None = None) -> None:
    """Raise ``NotEligible`` with the first rule ``person`` does not meet on ``on``."""
    refusals = eligibility_refusals(rules, person, on=on)
    if refusals:
        raise refusals[0].error(field=field)


def person_facts(record) -> PersonFacts:
    """The facts of a member, or of anything with ``has_social_insurance`` and either a
    ``birth_date`` or a checked ``id_number`` (a roster row)."""
    birth = getattr(record, "birth_date", None) or record.id_number.birth_date
    return PersonFacts(birth_date=birth, has_social_insurance=bool(record.has_social_insurance))

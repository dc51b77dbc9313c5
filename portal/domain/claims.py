"""Claims: benefit maths, automatic checks, the claim and payout-batch state machines, as plain rules.

Everything here takes what it needs as arguments (the plan's ``BenefitSchedule``, the cover, the
dates, what was already paid this plan year) so the same rules serve the portal, the kiosk and
the tests, and every amount carries the rule that produced it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError

from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_, interpolate
from portal.domain.money import format_yuan
from portal.domain.plans import BenefitSchedule
from portal.domain.states import StateMachine

# Above this an approval needs a second reviewer (四眼原则): 10,000元.
FOUR_EYES_THRESHOLD_FEN = 1_000_000
# Share of bulk-approved claims held back for a full review.
BULK_SAMPLE_PERCENT = 5
# The same stay is never the subject of two invitation texts within this many days.
INVITATION_REPEAT_DAYS = 7


class ClaimType(StrEnum):
    HOSPITAL = "hospital"  # 住院 (illness)
    CRITICAL_ILLNESS = "critical_illness"  # 重大疾病
    ACCIDENT = "accident"  # 意外伤害

    @property
    def label(self) -> str:
        return CLAIM_TYPE_LABELS[self]


CLAIM_TYPE_LABELS = {
    ClaimType.HOSPITAL: N_("住院（疾病）"),
    ClaimType.CRITICAL_ILLNESS: N_("重大疾病"),
    ClaimType.ACCIDENT: N_("意外伤害"),
}

DOCUMENT_LABELS = {
    "id_card": N_("身份证（正反面）"),
    "discharge_summary": N_("出院小结"),
    "invoice": N_("医疗费用发票"),
    "pathology_report": N_("病理报告或确诊证明"),
    "accident_certificate": N_("意外事故证明"),
    "disability_appraisal": N_("伤残鉴定书"),
    "death_certificate": N_("死亡证明"),
    "bank_card": N_("收款银行卡"),
    "beneficiary_proof": N_("受益人关系证明（户口簿、结婚证、出生证明或监护证明）"),
}

# Who may receive a claim's money besides the member: the heirs of a member who died, or the
# guardian of a member who cannot act for themself. Anyone else is refused: the payee is the member.
BENEFICIARY_RELATIONSHIPS = {
    "spouse": N_("配偶"),
    "child": N_("子女"),
    "parent": N_("父母"),
    "guardian": N_("监护人"),
}
HEIRS = ("spouse", "child", "parent")


def document_label(kind: str) -> str:
    return DOCUMENT_LABELS.get(kind, kind)


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_DOCUMENTS = "needs_documents"
    AWAITING_SECOND = "awaiting_second"  # first approval above the four-eyes threshold
    APPROVED = "approved"
    REJECTED = "rejected"
    PAYOUT_PENDING = "payout_pending"  # in a payout batch, not yet paid
    PAID = "paid"

    @property
    def label(self) -> str:
        return CLAIM_STATUS_LABELS[self]


CLAIM_STATUS_LABELS = {
    ClaimStatus.DRAFT: N_("草稿"),
    ClaimStatus.SUBMITTED: N_("已提交"),
    ClaimStatus.IN_REVIEW: N_("审核中"),
    ClaimStatus.NEEDS_DOCUMENTS: N_("待补充材料"),
    ClaimStatus.AWAITING_SECOND: N_("待复核"),
    ClaimStatus.APPROVED: N_("已核准"),
    ClaimStatus.REJECTED: N_("未予核准"),
    ClaimStatus.PAYOUT_PENDING: N_("待发放"),
    ClaimStatus.PAID: N_("已发放"),
}


class ClaimAction(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REQUEST_DOCUMENTS = "request_documents"
    RESUBMIT = "resubmit"
    APPROVE = "approve"  # first approval at or below the threshold, or the second approval
    APPROVE_FIRST = "approve_first"  # first approval above the threshold
    REJECT = "reject"
    BATCH = "batch"
    PAY = "pay"


CLAIM_ACTION_LABELS = {
    ClaimAction.SUBMIT: N_("提交"),
    ClaimAction.START_REVIEW: N_("开始审核"),
    ClaimAction.REQUEST_DOCUMENTS: N_("要求补充材料"),
    ClaimAction.RESUBMIT: N_("重新提交"),
    ClaimAction.APPROVE: N_("核准"),
    ClaimAction.APPROVE_FIRST: N_("初审通过"),
    ClaimAction.REJECT: N_("驳回"),
    ClaimAction.BATCH: N_("列入发放批次"),
    ClaimAction.PAY: N_("登记付款"),
}

# (from, action) -> to. Anything missing is refused.
TRANSITIONS: dict[tuple[ClaimStatus, ClaimAction], ClaimStatus] = {
    (ClaimStatus.DRAFT, ClaimAction.SUBMIT): ClaimStatus.SUBMITTED,
    (ClaimStatus.SUBMITTED, ClaimAction.START_REVIEW): ClaimStatus.IN_REVIEW,
    (ClaimStatus.NEEDS_DOCUMENTS, ClaimAction.RESUBMIT): ClaimStatus.SUBMITTED,
    (ClaimStatus.AWAITING_SECOND, ClaimAction.APPROVE): ClaimStatus.APPROVED,
    (ClaimStatus.AWAITING_SECOND, ClaimAction.REJECT): ClaimStatus.REJECTED,
    (ClaimStatus.AWAITING_SECOND, ClaimAction.REQUEST_DOCUMENTS): ClaimStatus.NEEDS_DOCUMENTS,
    (ClaimStatus.APPROVED, ClaimAction.BATCH): ClaimStatus.PAYOUT_PENDING,
    (ClaimStatus.PAYOUT_PENDING, ClaimAction.PAY): ClaimStatus.PAID,
}
# A reviewer may decide straight from "submitted" (opening the claim starts the review).
for _status in (ClaimStatus.SUBMITTED, ClaimStatus.IN_REVIEW):
    TRANSITIONS[(_status, ClaimAction.APPROVE)] = ClaimStatus.APPROVED
    TRANSITIONS[(_status, ClaimAction.APPROVE_FIRST)] = ClaimStatus.AWAITING_SECOND
    TRANSITIONS[(_status, ClaimAction.REJECT)] = ClaimStatus.REJECTED
    TRANSITIONS[(_status, ClaimAction.REQUEST_DOCUMENTS)] = ClaimStatus.NEEDS_DOCUMENTS

OPEN_FOR_REVIEW = (ClaimStatus.SUBMITTED, ClaimStatus.IN_REVIEW, ClaimStatus.AWAITING_SECOND)
EDITABLE_BY_CLAIMANT = (ClaimStatus.DRAFT, ClaimStatus.NEEDS_DOCUMENTS)

ILLEGAL_CLAIM_MOVE = N_("该申请当前状态为“%(status)s”，不能进行此操作。请刷新页面查看最新状态。")


class _ClaimMachine(StateMachine):
    """The claim's machine keeps the refusal claims have always given (members and reviewers know it)."""

    def next(self, current: str, action: ClaimAction) -> ClaimStatus:
        if not self.can(current, action):
            raise Conflict(ILLEGAL_CLAIM_MOVE, code="claim_state", status=self.label(current))
        return super().next(current, action)


CLAIM_MACHINE = _ClaimMachine(name="claim", statuses=ClaimStatus, labels=CLAIM_STATUS_LABELS,
                              transitions=TRANSITIONS, action_labels=CLAIM_ACTION_LABELS,
                              initial=ClaimStatus.DRAFT)


def next_status(current: str, action: ClaimAction) -> ClaimStatus:
    """The status after ``action``; ``Conflict`` when the claim is not in a state that allows it."""
    return CLAIM_MACHINE.next(current, action)


def approval_action(amount_fen: int, *, is_second: bool, overridden: bool = False) -> ClaimAction:
    """Approve outright, or record a first approval that a second reviewer must confirm: above
    the four-eyes threshold, and for any override of a blocking finding whatever the amount."""
    if is_second:
        return ClaimAction.APPROVE
    if overridden or amount_fen > FOUR_EYES_THRESHOLD_FEN:
        return ClaimAction.APPROVE_FIRST
    return ClaimAction.APPROVE


# --- the facts of one claim -------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFacts:
    """What the claimant says happened. Unused fields stay ``None`` for other claim types."""

    claim_type: ClaimType
    admission_date: date | None = None
    discharge_date: date | None = None
    hospital: str | None = None
    diagnosis: str | None = None
    disease: str | None = None  # critical illness: one of the plan's list
    diagnosis_date: date | None = None
    accident_date: date | None = None
    accident_description: str | None = None
    medical_costs_fen: int | None = None
    disability_grade: int | None = None  # 1 (most severe) .. 10
    is_death: bool = False
    beneficiary_relationship: str | None = None  # someone else receives the money (see ``check_payee``)

    @property
    def has_stay(self) -> bool:
        return self.admission_date is not None and self.discharge_date is not None

    @property
    def event_date(self) -> date | None:
        """The day the insured event happened: cover and the waiting period are judged on it."""
        if self.claim_type is ClaimType.ACCIDENT:
            return self.accident_date
        if self.claim_type is ClaimType.CRITICAL_ILLNESS:
            return self.diagnosis_date or self.admission_date
        return self.admission_date

    @property
    def deadline_from(self) -> date | None:
        """The day the filing deadline counts from: the end of the stay, else the event."""
        return self.discharge_date or self.event_date


def hospital_days(admission: date, discharge: date) -> int:
    """Days in hospital: discharge date − admission date (the night count), never negative."""
    return max((discharge - admission).days, 0)


@dataclass(frozen=True)
class PlanYearHistory:
    """What the member was already paid in the plan year of the event (approved or paid claims)."""

    allowance_days_paid: int = 0
    critical_illness_paid: bool = False
    medical_paid_fen: int = 0  # the medical-cost part already paid, against the plan's yearly cap


@dataclass(frozen=True)
class BenefitLine:
    """One line of a benefit: a stable code, its label, the amount, and the rule that gave it
    (a msgid with its parameters, so it reads in the page's language; ``rule`` is the Chinese)."""

    code: str  # stable, e.g. "hospital_allowance"
    label: str
    amount_fen: int
    rule_msgid: str
    rule_params: dict = field(default_factory=dict)

    @property
    def rule(self) -> str:
        return interpolate(self.rule_msgid, self.rule_params)

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "amount_fen": self.amount_fen, "rule": self.rule,
                "rule_msgid": str(self.rule_msgid), "rule_params": dict(self.rule_params)}


@dataclass(frozen=True)
class Benefit:
    lines: tuple[BenefitLine, ...]
    allowance_days: int = 0  # days of hospital allowance this claim uses up

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def medical_fen(self) -> int:
        """What the medical-cost part pays (counted against the plan year's cap by later claims)."""
        return sum(line.amount_fen for line in self.lines if line.code == "hospital_medical")

    def as_dict(self) -> dict:
        return {"total_fen": self.total_fen, "allowance_days": self.allowance_days,
                "lines": [line.as_dict() for line in self.lines]}


RULE_STAY = N_("住院%(days)s天 × %(daily)s/天")
RULE_STAY_CAPPED = N_("住院%(days)s天，本保障年度已给付%(paid_before)s天，年度上限%(cap)s天，"
                      "可给付%(paid_days)s天 × %(daily)s/天")
RULE_CONDOLENCE = N_("每次住院一次性给付")
RULE_MEDICAL = N_("可报医疗费用%(costs)s，超过起付线%(deductible)s的部分%(above)s × %(ratio)s%%")
RULE_MEDICAL_CAPPED = N_("可报医疗费用%(costs)s，超过起付线%(deductible)s的部分%(above)s × %(ratio)s%%"
                         "＝%(amount)s；本保障年度已给付%(paid_before)s，年度限额%(cap)s，可给付%(paid)s")
RULE_MEDICAL_BELOW = N_("可报医疗费用%(costs)s，未超过起付线%(deductible)s")
RULE_CRITICAL = N_("确诊%(disease)s，一次性给付")
RULE_CRITICAL_AGAIN = N_("本保障年度已给付过一次重大疾病互助金，每个保障年度限给付一次")
RULE_ACCIDENT_MEDICAL = N_("医疗费用%(costs)s，零起付线")
RULE_ACCIDENT_MEDICAL_CAPPED = N_("医疗费用%(costs)s，零起付线，超过限额按%(cap)s给付")
RULE_DEATH = N_("意外身故全额给付")
RULE_DISABILITY = N_("%(grade)s伤残：%(amount)s × %(percent)s%%")


def _stay_lines(schedule: BenefitSchedule, facts: ClaimFacts, history: PlanYearHistory) -> tuple[list, int]:
    """The plan's optional parts of a stay: the medical-cost part, the daily allowance and the
    condolence payment; a part the plan version does not have (zero) gives no line."""
    lines = []
    medical = _medical_line(schedule, facts, history)
    if medical is not None:
        lines.append(medical)
    days = hospital_days(facts.admission_date, facts.discharge_date)
    paid_days = 0
    daily = schedule.hospital_daily_fen
    if daily:
        paid_days = min(days, max(schedule.hospital_days_cap - history.allowance_days_paid, 0))
        params = {"days": days, "daily": format_yuan(daily)}
        if paid_days < days:
            lines.append(BenefitLine("hospital_allowance", N_("住院津贴"), paid_days * daily, RULE_STAY_CAPPED, {
                **params, "paid_before": history.allowance_days_paid, "cap": schedule.hospital_days_cap,
                "paid_days": paid_days}))
        else:
            lines.append(BenefitLine("hospital_allowance", N_("住院津贴"), paid_days * daily, RULE_STAY, params))
    if schedule.condolence_fen:
        lines.append(BenefitLine("condolence", N_("住院慰问金"), schedule.condolence_fen, RULE_CONDOLENCE))
    return lines, paid_days


def _medical_line(schedule: BenefitSchedule, facts: ClaimFacts, history: PlanYearHistory) -> BenefitLine | None:
    """Eligible out-of-pocket costs above the deductible (起付线), at the plan's ratio, within what
    is left of the yearly cap; rounded half up to the fen."""
    costs = facts.medical_costs_fen or 0
    if not schedule.medical_ratio_percent or not costs:
        return None
    deductible, ratio = schedule.medical_deductible_fen, schedule.medical_ratio_percent
    params = {"costs": format_yuan(costs), "deductible": format_yuan(deductible)}
    above = costs - deductible
    if above <= 0:
        return BenefitLine("hospital_medical", N_("住院医疗费用"), 0, RULE_MEDICAL_BELOW, params)
    amount = (above * ratio + 50) // 100
    params.update(above=format_yuan(above), ratio=ratio)
    left = max(schedule.medical_annual_cap_fen - history.medical_paid_fen, 0)
    if schedule.medical_annual_cap_fen and amount > left:
        return BenefitLine("hospital_medical", N_("住院医疗费用"), left, RULE_MEDICAL_CAPPED, {
            **params, "amount": format_yuan(amount), "paid_before": format_yuan(history.medical_paid_fen),
            "cap": format_yuan(schedule.medical_annual_cap_fen), "paid": format_yuan(left)})
    return BenefitLine("hospital_medical", N_("住院医疗费用"), amount, RULE_MEDICAL, params)


def calculate_benefit(schedule: BenefitSchedule, facts: ClaimFacts,
                      history: PlanYearHistory = PlanYearHistory()) -> Benefit:  # noqa: B008 - frozen
    """The benefit of one claim under ``schedule``, line by line, in integer fen.

    A stay pays the plan version's medical-cost part (above its deductible, at its ratio, within
    its yearly cap), daily allowance and condolence payment, each when the version has it.
    Waiting periods, cover and deadlines are judged by ``check_claim``: a flagged claim still
    shows what it would pay.
    """
    lines: list[BenefitLine] = []
    days = 0
    if facts.claim_type is ClaimType.CRITICAL_ILLNESS:
        if history.critical_illness_paid:
            lines.append(BenefitLine("critical_illness", N_("重大疾病互助金"), 0, RULE_CRITICAL_AGAIN))
        else:
            lines.append(BenefitLine("critical_illness", N_("重大疾病互助金"), schedule.critical_illness_fen,
                                     RULE_CRITICAL, {"disease": facts.disease or "重大疾病"}))
    if facts.claim_type in (ClaimType.HOSPITAL, ClaimType.CRITICAL_ILLNESS) and facts.has_stay:
        stay, days = _stay_lines(schedule, facts, history)
        lines.extend(stay)
    if facts.claim_type is ClaimType.ACCIDENT:
        costs = facts.medical_costs_fen or 0
        if costs:
            cap = schedule.accident_medical_cap_fen
            paid = min(costs, cap)
            if paid < costs:
                lines.append(BenefitLine("accident_medical", N_("意外医疗"), paid, RULE_ACCIDENT_MEDICAL_CAPPED,
                                         {"costs": format_yuan(costs), "cap": format_yuan(cap)}))
            else:
                lines.append(BenefitLine("accident_medical", N_("意外医疗"), paid, RULE_ACCIDENT_MEDICAL,
                                         {"costs": format_yuan(costs)}))
        if facts.is_death:
            lines.append(BenefitLine("accident_death", N_("意外身故"), schedule.accident_death_fen, RULE_DEATH))
        elif facts.disability_grade:
            percent = schedule.disability_percentages[facts.disability_grade - 1]
            amount = schedule.accident_death_fen * percent // 100
            lines.append(BenefitLine("accident_disability", N_("意外伤残"), amount, RULE_DISABILITY, {
                "grade": _grade_label(facts.disability_grade), "amount": format_yuan(schedule.accident_death_fen),
                "percent": percent}))
    return Benefit(lines=tuple(lines), allowance_days=days)


_GRADE_NUMERALS = "一二三四五六七八九十"


def _grade_label(grade: int) -> str:
    return f"{_GRADE_NUMERALS[grade - 1]}级"


# --- automatic checks -------------------------------------------------------------------------


class Severity(StrEnum):
    """How much a finding weighs: a blocking one stops the money, an advisory one asks for a look."""

    BLOCKING = "blocking"
    ADVISORY = "advisory"


@dataclass(frozen=True)
class CheckRule:
    """What a check's finding means for the decision: its severity, and whether a reviewer may
    override it (with a written justification and a second reviewer) or must reject."""

    label: str
    severity: Severity
    overridable: bool = False


CHECK_RULES: dict[str, CheckRule] = {
    "date_conflict": CheckRule(N_("日期前后矛盾"), Severity.BLOCKING),
    "no_cover": CheckRule(N_("事件发生日无有效保障"), Severity.BLOCKING),
    "not_eligible": CheckRule(N_("不符合保障项目的参保条件"), Severity.BLOCKING, overridable=True),
    "waiting_period": CheckRule(N_("首次参保等待期内患病"), Severity.BLOCKING, overridable=True),
    "late_filing": CheckRule(N_("超过申请期限"), Severity.BLOCKING, overridable=True),
    "duplicate_stay": CheckRule(N_("同一次住院已核准或已发放"), Severity.BLOCKING),
    "disease_not_listed": CheckRule(N_("所患疾病不在重疾目录内"), Severity.BLOCKING, overridable=True),
    "duplicate_open": CheckRule(N_("同一次住院另有申请在审"), Severity.ADVISORY),
    "missing_documents": CheckRule(N_("材料不全"), Severity.ADVISORY),
    "unusual_amount": CheckRule(N_("金额异常偏高"), Severity.ADVISORY),
    "beneficiary": CheckRule(N_("非会员本人收款"), Severity.ADVISORY),
}
FLAG_LABELS = {code: rule.label for code, rule in CHECK_RULES.items()}

# A stay this long is unusual enough for a reviewer's look (the plan year pays at most 180 days).
UNUSUAL_STAY_DAYS = 90
# Accident medical costs this far above the plan's cap are worth a look at the invoices.
UNUSUAL_COSTS_FACTOR = 4


@dataclass(frozen=True)
class Flag:
    """A finding of the automatic checks: a stable code, its words as a msgid with parameters
    (so the reviewer and the member read it in their language), and what it weighs."""

    code: str
    msgid: str
    params: dict = field(default_factory=dict)

    @property
    def rule(self) -> CheckRule:
        return CHECK_RULES[self.code]

    @property
    def blocking(self) -> bool:
        return self.rule.severity is Severity.BLOCKING

    @property
    def overridable(self) -> bool:
        return self.rule.overridable

    @property
    def message(self) -> str:
        return interpolate(self.msgid, self.params)

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.rule.severity.value, "overridable": self.overridable,
                "msgid": str(self.msgid), "params": dict(self.params), "message": self.message}


def blocking_codes(flags: Iterable[dict]) -> list[str]:
    """The codes of the blocking findings among stored flags (``Flag.as_dict()``), in order."""
    return [flag["code"] for flag in flags if CHECK_RULES.get(flag["code"], _UNKNOWN).severity is Severity.BLOCKING]


_UNKNOWN = CheckRule("", Severity.BLOCKING)  # a code no longer known is treated as blocking, never waved through


def check_override(flags: Iterable[dict], override_codes: Iterable[str], justification: str | None) -> list[str]:
    """Whether a reviewer may approve a claim with these stored flags, overriding ``override_codes``.

    Every blocking finding must be overridden, each one must allow an override, and the
    justification must say why in words (at least ``MIN_JUSTIFICATION`` characters). Returns the
    codes overridden (empty when there is nothing to override); raises ``Conflict`` otherwise.
    """
    blocking = blocking_codes(flags)
    chosen = set(override_codes or ())
    if not blocking:
        return []
    refused = [code for code in blocking if not CHECK_RULES.get(code, _UNKNOWN).overridable]
    if refused:
        raise Conflict(BLOCKED_NOT_OVERRIDABLE, code="blocked",
                       findings="、".join(CHECK_RULES.get(code, _UNKNOWN).label or code for code in refused))
    unanswered = [code for code in blocking if code not in chosen]
    if unanswered:
        raise Conflict(BLOCKED_NEEDS_OVERRIDE, code="blocked",
                       findings="、".join(CHECK_RULES[code].label for code in unanswered))
    if len((justification or "").strip()) < MIN_JUSTIFICATION:
        raise InvalidInput(OVERRIDE_NEEDS_JUSTIFICATION, code="override_justification", field="justification",
                           length=MIN_JUSTIFICATION)
    return blocking


MIN_JUSTIFICATION = 10
BLOCKED_NOT_OVERRIDABLE = N_("自动检查发现“%(findings)s”，该申请不能核准，请选择驳回原因驳回，或要求补充材料。")
BLOCKED_NEEDS_OVERRIDE = N_("自动检查发现“%(findings)s”，不能直接核准：请驳回，或逐项勾选例外核准并写明理由"
                            "（例外核准须由另一位审核员复核）。")
OVERRIDE_NEEDS_JUSTIFICATION = N_("例外核准须写明理由（至少%(length)s个字），复核人和审计记录都会看到。")


@dataclass(frozen=True)
class RejectionReason:
    """A coded reason to reject a claim: the plan's exclusions and the checks' blocking findings,
    in the words the member reads (in the timeline and the text message)."""

    code: str
    label: str  # what the reviewer picks
    member_text: str  # what the member reads: plain Chinese, no codes


REJECTION_REASONS: dict[str, RejectionReason] = {reason.code: reason for reason in (
    RejectionReason("no_cover", N_("事件发生日无有效保障"),
                    N_("事件发生时您没有有效的互助保障，不在保障范围内")),
    RejectionReason("not_eligible", N_("不符合参保条件"),
                    N_("您不符合本保障项目的参保条件")),
    RejectionReason("waiting_period", N_("等待期内患病"),
                    N_("疾病发生在首次参保的等待期内，按规定不予给付（意外伤害除外）")),
    RejectionReason("late_filing", N_("超过申请期限"),
                    N_("申请超过了规定的申请期限")),
    RejectionReason("duplicate_stay", N_("同一次住院重复申请"),
                    N_("同一次住院已经申请并核准过，不能重复给付")),
    RejectionReason("disease_not_listed", N_("不在重疾目录内"),
                    N_("所患疾病不在本保障项目的重大疾病目录内")),
    RejectionReason("pre_existing", N_("参保前已患疾病"),
                    N_("属于参保前已患有的疾病或其并发症（续保除外），在免责范围内")),
    RejectionReason("intentional", N_("故意行为或违法"),
                    N_("属于故意自伤、斗殴、醉酒、吸毒、酒驾、无证驾驶或违法犯罪等免责情形")),
    RejectionReason("not_medical", N_("非治疗性项目"),
                    N_("属于美容、整形、矫形、康复、体检、生育等不在保障范围内的项目")),
    RejectionReason("war_nuclear", N_("战争、核辐射"),
                    N_("属于战争、军事行动或核辐射等免责情形")),
    RejectionReason("non_designated_hospital", N_("非医保定点医院"),
                    N_("住院的医疗机构不是医保定点医疗机构")),
    RejectionReason("documents_invalid", N_("材料不实或无法核实"),
                    N_("提交的材料无法核实或与实际情况不符")),
)}


def rejection_reason(code: str | None) -> RejectionReason:
    """The coded reason a reviewer picked; ``InvalidInput`` when none or an unknown one was sent."""
    reason = REJECTION_REASONS.get(code or "")
    if reason is None:
        raise InvalidInput(N_("请选择驳回原因，会员会看到对应的说明。"), code="rejection_reason", field="reason_code")
    return reason


@dataclass(frozen=True)
class CoverFacts:
    """The enrolment that covers the event: its dates and whether it renews last year's cover."""

    starts_on: date
    ends_on: date
    is_renewal: bool


NO_COVER = N_("%(day)s（事件发生日）没有有效的互助保障。")
WAITING_PERIOD = N_("首次参保后%(days)s天内（至%(ends)s）为疾病等待期，本次疾病发生在%(day)s，在等待期内。"
                    "意外伤害不受等待期限制。")
LATE_FILING = N_("应在%(last_day)s前提出申请（出院或事故后%(days)s天内），本次在%(filed_on)s提出。")
DUPLICATE_STAY = N_("同一次住院已有核准或已发放的申请（编号%(reference)s），不能重复给付。")
DUPLICATE_OPEN = N_("同一次住院另有申请正在审核（编号%(reference)s），请勿重复申请。")
DISEASE_NOT_LISTED = N_("“%(disease)s”不在本保障项目的重大疾病目录内。")
MISSING_DOCUMENTS = N_("还缺少：%(names)s。")
NOT_ELIGIBLE = N_("不符合参保条件：%(reasons)s")
UNUSUAL_STAY = N_("住院%(days)s天，明显长于一般住院，请核对出院小结。")
UNUSUAL_COSTS = N_("医疗费用%(costs)s，远高于本项目意外医疗限额%(cap)s，请核对发票。")
BENEFICIARY = N_("收款人不是会员本人，而是受益人（%(relationship)s），请核对关系证明与银行卡户名。")


def _reference(claim_id: int) -> str:
    return f"LP{claim_id:07d}"


def check_claim(schedule: BenefitSchedule | None, facts: ClaimFacts, cover: CoverFacts | None, *, filed_on: date,
                missing_documents: Sequence[str] = (), duplicate_of: int | None = None,
                open_duplicate_of: int | None = None, ineligible: Sequence[str] = ()) -> list[Flag]:
    """Every automatic finding of a claim, in a stable order; an empty list lets bulk approval take it.

    ``duplicate_of`` is another claim of the same stay already approved or paid (blocking);
    ``open_duplicate_of`` one still being reviewed (advisory: the first decided blocks the other);
    ``ineligible`` the plan's eligibility refusals of the member, in their words.
    """
    flags: list[Flag] = []
    flags.extend(_date_flags(facts, filed_on))
    event = facts.event_date
    if event is not None:
        if cover is None or not cover.starts_on <= event <= cover.ends_on:
            flags.append(Flag("no_cover", NO_COVER, {"day": event.isoformat()}))
        elif (facts.claim_type is not ClaimType.ACCIDENT and not cover.is_renewal and schedule is not None
              and event < cover.starts_on + timedelta(days=schedule.illness_waiting_days)):
            ends = cover.starts_on + timedelta(days=schedule.illness_waiting_days - 1)
            flags.append(Flag("waiting_period", WAITING_PERIOD, {
                "days": schedule.illness_waiting_days, "ends": ends.isoformat(), "day": event.isoformat()}))
    if ineligible:
        flags.append(Flag("not_eligible", NOT_ELIGIBLE, {"reasons": "".join(ineligible)}))
    if schedule is not None and facts.deadline_from is not None:
        last_day = facts.deadline_from + timedelta(days=schedule.claim_deadline_days)
        if filed_on > last_day:
            flags.append(Flag("late_filing", LATE_FILING, {"last_day": last_day.isoformat(),
                                                           "days": schedule.claim_deadline_days,
                                                           "filed_on": filed_on.isoformat()}))
    if duplicate_of is not None:
        flags.append(Flag("duplicate_stay", DUPLICATE_STAY, {"reference": _reference(duplicate_of)}))
    elif open_duplicate_of is not None:
        flags.append(Flag("duplicate_open", DUPLICATE_OPEN, {"reference": _reference(open_duplicate_of)}))
    if (facts.claim_type is ClaimType.CRITICAL_ILLNESS and schedule is not None and facts.disease
            and facts.disease not in schedule.critical_diseases):
        flags.append(Flag("disease_not_listed", DISEASE_NOT_LISTED, {"disease": facts.disease}))
    if missing_documents:
        names = "、".join(document_label(kind) for kind in missing_documents)
        flags.append(Flag("missing_documents", MISSING_DOCUMENTS, {"names": names}))
    flags.extend(_amount_flags(schedule, facts))
    if facts.beneficiary_relationship:
        flags.append(Flag("beneficiary", BENEFICIARY, {
            "relationship": BENEFICIARY_RELATIONSHIPS.get(facts.beneficiary_relationship,
                                                          facts.beneficiary_relationship)}))
    return flags


def _amount_flags(schedule: BenefitSchedule | None, facts: ClaimFacts) -> list[Flag]:
    if facts.has_stay and hospital_days(facts.admission_date, facts.discharge_date) > UNUSUAL_STAY_DAYS:
        return [Flag("unusual_amount", UNUSUAL_STAY,
                     {"days": hospital_days(facts.admission_date, facts.discharge_date)})]
    costs = facts.medical_costs_fen or 0
    if (schedule is not None and facts.claim_type is ClaimType.ACCIDENT
            and costs > schedule.accident_medical_cap_fen * UNUSUAL_COSTS_FACTOR):
        return [Flag("unusual_amount", UNUSUAL_COSTS,
                     {"costs": format_yuan(costs), "cap": format_yuan(schedule.accident_medical_cap_fen)})]
    return []


# Each contradiction in the dates is a finding of its own, in words of its own (so it translates).
DATE_PROBLEMS = {
    "discharge_before_admission": N_("出院日期早于入院日期，请核对。"),
    "admission_after_filing": N_("入院日期晚于申请日期，请核对。"),
    "discharge_after_filing": N_("出院日期晚于申请日期，请核对。"),
    "diagnosis_after_filing": N_("确诊日期晚于申请日期，请核对。"),
    "accident_after_filing": N_("事故日期晚于申请日期，请核对。"),
    "admission_before_accident": N_("入院日期早于事故日期，请核对。"),
}


def _date_flags(facts: ClaimFacts, filed_on: date) -> list[Flag]:
    problems = []
    if facts.has_stay and facts.discharge_date < facts.admission_date:
        problems.append("discharge_before_admission")
    for name, day in (("admission", facts.admission_date), ("discharge", facts.discharge_date),
                      ("diagnosis", facts.diagnosis_date), ("accident", facts.accident_date)):
        if day is not None and day > filed_on:
            problems.append(f"{name}_after_filing")
    if facts.claim_type is ClaimType.ACCIDENT and facts.accident_date and facts.admission_date \
            and facts.admission_date < facts.accident_date:
        problems.append("admission_before_accident")
    return [Flag("date_conflict", DATE_PROBLEMS[problem]) for problem in problems]


def missing_documents(required: Iterable[str], present: Iterable[str]) -> list[str]:
    """Kinds of the checklist with no document yet, in checklist order."""
    have = set(present)
    return [kind for kind in required if kind not in have]


def required_documents(schedule: BenefitSchedule, facts: ClaimFacts) -> list[str]:
    """The plan's checklist for the claim type, plus what this claim's facts call for."""
    kinds = list(schedule.document_checklist.get(facts.claim_type.value, []))
    if facts.claim_type is ClaimType.ACCIDENT:
        if facts.disability_grade and "disability_appraisal" not in kinds:
            kinds.append("disability_appraisal")
        if facts.is_death and "death_certificate" not in kinds:
            kinds.append("death_certificate")
    if facts.beneficiary_relationship and "beneficiary_proof" not in kinds:
        kinds.append("beneficiary_proof")
    return kinds


def check_payee(facts: ClaimFacts, beneficiary_name: str | None, relationship: str | None) -> None:
    """The payee is the member. Someone else is a beneficiary, recorded with their relationship
    (and a document proving it, on the checklist): an heir of a member who died, or a guardian."""
    if not beneficiary_name and not relationship:
        return
    if not beneficiary_name:
        raise InvalidInput(N_("请填写受益人姓名。"), code="beneficiary_name", field="beneficiary_name")
    if relationship not in BENEFICIARY_RELATIONSHIPS:
        raise InvalidInput(N_("请选择受益人与会员的关系。"), code="beneficiary_relationship",
                           field="beneficiary_relationship")
    if relationship in HEIRS and not facts.is_death:
        raise InvalidInput(N_("保障金应支付给会员本人。只有会员身故时才由配偶、子女或父母领取，"
                              "会员本人无法办理时可由监护人领取。"), code="payee_not_member",
                           field="beneficiary_relationship")


def required_fields(facts: ClaimFacts, schedule: BenefitSchedule | None = None) -> list[tuple[str, str]]:
    """(field, message) for what must be filled before a claim can be submitted."""
    missing: list[tuple[str, str]] = []
    if facts.claim_type in (ClaimType.HOSPITAL,) or (facts.claim_type is ClaimType.CRITICAL_ILLNESS
                                                    and (facts.admission_date or facts.discharge_date)):
        if not facts.admission_date:
            missing.append(("admission_date", N_("请填写入院日期。")))
        if not facts.discharge_date:
            missing.append(("discharge_date", N_("请填写出院日期。")))
        if not facts.hospital:
            missing.append(("hospital", N_("请填写医院名称。")))
    if facts.claim_type is ClaimType.HOSPITAL and not facts.diagnosis:
        missing.append(("diagnosis", N_("请填写诊断（见出院小结）。")))
    if facts.claim_type is ClaimType.CRITICAL_ILLNESS:
        if not facts.disease:
            missing.append(("disease", N_("请从目录中选择所患重大疾病。")))
        if not facts.diagnosis_date:
            missing.append(("diagnosis_date", N_("请填写确诊日期。")))
    if facts.claim_type is ClaimType.ACCIDENT:
        if not facts.accident_date:
            missing.append(("accident_date", N_("请填写事故日期。")))
        if not facts.accident_description:
            missing.append(("accident_description", N_("请简要说明事故经过。")))
        if not (facts.medical_costs_fen or facts.disability_grade or facts.is_death):
            missing.append(("medical_costs", N_("请填写医疗费用，或伤残等级。")))
    if facts.disability_grade is not None and not 1 <= facts.disability_grade <= 10:
        missing.append(("disability_grade", N_("伤残等级应为1到10级。")))
    return missing


# --- bank cards -------------------------------------------------------------------------------


def parse_bank_card(raw: object) -> str:
    """A payee's bank card number: 16 to 19 digits with a valid Luhn check digit."""
    digits = "".join(ch for ch in str(raw or "") if not ch.isspace() and ch != "-")
    if not digits:
        raise InvalidInput(N_("请填写收款银行卡号。"), code="bank_card_missing", field="bank_card")
    if not digits.isdigit():
        raise InvalidInput(N_("银行卡号只能包含数字。"), code="bank_card_format", field="bank_card")
    if not 16 <= len(digits) <= 19:
        raise InvalidInput(N_("银行卡号应为16到19位，您填写的是%(length)s位，请核对。"), length=len(digits),
                           code="bank_card_length", field="bank_card")
    try:
        luhn.validate(digits)
    except StdnumError:
        raise InvalidInput(N_("银行卡号校验不通过，请逐位核对（常见于抄错一位数字）。"),
                           code="bank_card_checksum", field="bank_card") from None
    return digits


def mask_bank_card(value: str | None) -> str:
    """``6222 **** **** 1234``: the bank and the last four, enough to recognise one's card."""
    if not value:
        return ""
    return f"{value[:4]} **** **** {value[-4:]}"


# --- uploads ----------------------------------------------------------------------------------

# Content types recognised by their first bytes, never by the file name.
MAGIC_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def sniff_content_type(head: bytes) -> str | None:
    """JPEG, PNG or PDF by magic bytes; ``None`` for anything else."""
    for magic, content_type in MAGIC_TYPES:
        if head.startswith(magic):
            return content_type
    return None


# --- payouts ---------------------------------------------------------------------------------


class PayoutBatchStatus(StrEnum):
    OPEN = "open"  # built, may still be exported again
    PAID = "paid"  # the bank confirmed the transfer; final


PAYOUT_BATCH_STATUS_LABELS = {PayoutBatchStatus.OPEN: N_("待付款"), PayoutBatchStatus.PAID: N_("已付款")}


class PayoutBatchAction(StrEnum):
    PAY = "pay"


PAYOUT_BATCH_MACHINE = StateMachine(
    name="payout_batch", statuses=PayoutBatchStatus, labels=PAYOUT_BATCH_STATUS_LABELS,
    transitions={(PayoutBatchStatus.OPEN, PayoutBatchAction.PAY): PayoutBatchStatus.PAID},
    action_labels={PayoutBatchAction.PAY: N_("登记付款")}, initial=PayoutBatchStatus.OPEN,
)


# --- bulk approval and reminders --------------------------------------------------------------


def sample_for_full_review(claim_ids: Sequence[int], rng: random.Random,
                           percent: int = BULK_SAMPLE_PERCENT) -> set[int]:
    """A random ``percent`` of the claims (rounded up: any non-empty bulk holds one back)."""
    if not claim_ids:
        return set()
    count = math.ceil(len(claim_ids) * percent / 100)
    return set(rng.sample(sorted(claim_ids), count))


# The columns of a hospital-discharge list as the medical-insurance side sends it, in order.
DISCHARGE_LIST_HEADERS = ("身份证号", "入院日期", "出院日期", "医院", "诊断")


class DischargeOutcome(StrEnum):
    """What importing one line of a discharge list did (kept per line on the import, not a status)."""

    INVITED = "invited"
    HELD = "held"
    DRAFT_ONLY = "draft_only"
    REINVITED = "reinvited"
    RECENTLY_INVITED = "recently_invited"
    ALREADY_CLAIMED = "already_claimed"
    NOT_MEMBER = "not_member"
    NOT_COVERED = "not_covered"
    INVALID = "invalid"


DISCHARGE_OUTCOME_LABELS = {
    DischargeOutcome.INVITED: N_("已建草稿并发送邀请短信"),
    DischargeOutcome.HELD: N_("已建草稿，邀请短信将于早上8点发送"),
    DischargeOutcome.DRAFT_ONLY: N_("已建草稿（本人未同意接收短信）"),
    DischargeOutcome.REINVITED: N_("草稿仍未提交，已再次提醒"),
    DischargeOutcome.RECENTLY_INVITED: N_("7天内已提醒过，不再重复"),
    DischargeOutcome.ALREADY_CLAIMED: N_("该次住院已有理赔申请"),
    DischargeOutcome.NOT_MEMBER: N_("不是本平台会员"),
    DischargeOutcome.NOT_COVERED: N_("入院时没有有效保障"),
    DischargeOutcome.INVALID: N_("数据有误"),
}
# Outcomes that created a draft claim.
DRAFT_OUTCOMES = (DischargeOutcome.INVITED, DischargeOutcome.HELD, DischargeOutcome.DRAFT_ONLY)


@dataclass
class DischargeRow:
    """One line of a hospital-discharge list after parsing; ``error`` when it cannot be used."""

    line: int
    id_number: str
    admission_date: date | None
    discharge_date: date | None
    hospital: str
    diagnosis: str
    error: str | None = None
    notes: list[str] = field(default_factory=list)

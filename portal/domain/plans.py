"""The benefit schedule of the one-year "住院+重疾+意外" plan, as plain data.

Administrators edit it in the portal (each edit makes a new plan version); rules elsewhere in
the domain read it through ``BenefitSchedule`` so they never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.domain.eligibility import WORKING_AGE_MAX, WORKING_AGE_MIN, EligibilityRules

# Grade 1 is the most severe: 100% of the death / disability amount; grade 10 pays 10%.
DEFAULT_DISABILITY_PERCENTAGES = (100, 90, 80, 70, 60, 50, 40, 30, 20, 10)

DEFAULT_CRITICAL_DISEASES = (
    "恶性肿瘤", "急性心肌梗塞", "脑中风后遗症", "重大器官移植术或造血干细胞移植术", "冠状动脉搭桥术",
    "终末期肾病", "多个肢体缺失", "急性或亚急性重症肝炎", "良性脑肿瘤", "慢性肝功能衰竭失代偿期",
    "脑炎后遗症或脑膜炎后遗症", "深度昏迷", "双耳失聪", "双目失明", "瘫痪", "心脏瓣膜手术",
    "严重阿尔茨海默病", "严重脑损伤", "严重帕金森病", "严重Ⅲ度烧伤", "严重原发性肺动脉高压",
    "严重运动神经元病", "语言能力丧失", "重型再生障碍性贫血", "主动脉手术",
)

DEFAULT_EXCLUSIONS = (
    "下列情形不属于互助保障范围：1. 参保前已患有的疾病及其并发症（续保除外）；2. 首次参保等待期（30天）内发生的疾病"
    "（意外伤害除外）；3. 故意自伤、自杀、斗殴、醉酒、吸毒、酒后驾驶或无证驾驶；4. 违法犯罪或拒捕；"
    "5. 美容、整形、矫形、康复、体检、生育及其并发症；6. 战争、军事行动、核辐射；"
    "7. 非医保定点医疗机构的住院；8. 超过申请期限提出的申请。"
)

# Documents a claim needs, per claim type (kept on the plan so administrators can change them).
DEFAULT_DOCUMENT_CHECKLIST = {
    "hospital": ["id_card", "discharge_summary", "invoice", "bank_card"],
    "critical_illness": ["id_card", "discharge_summary", "pathology_report", "invoice", "bank_card"],
    "accident": ["id_card", "accident_certificate", "invoice", "bank_card"],
}


@dataclass(frozen=True)
class BenefitSchedule:
    """One plan version's figures, money in integer fen."""

    contribution_fen: int = 6_000
    # The hospital benefit's three parts, each optional (zero: the version does not have it):
    # eligible out-of-pocket costs above the deductible (起付线) at a ratio, capped per plan year;
    # a daily allowance; a condolence payment per stay. The demo plan has a zero deductible (零起付线).
    medical_deductible_fen: int = 0
    medical_ratio_percent: int = 50
    medical_annual_cap_fen: int = 2_000_000
    hospital_daily_fen: int = 5_000
    hospital_days_cap: int = 180
    condolence_fen: int = 20_000
    critical_illness_fen: int = 1_000_000
    critical_diseases: tuple[str, ...] = DEFAULT_CRITICAL_DISEASES
    accident_medical_cap_fen: int = 500_000
    accident_death_fen: int = 3_000_000
    disability_percentages: tuple[int, ...] = DEFAULT_DISABILITY_PERCENTAGES
    illness_waiting_days: int = 30
    claim_deadline_days: int = 180
    exclusions: str = DEFAULT_EXCLUSIONS
    document_checklist: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_DOCUMENT_CHECKLIST))
    # Who the version covers (see ``portal.domain.eligibility``): the "三合一" plan is for employees
    # who pay social insurance, of working age. A gifted campaign sets its own social-insurance rule.
    requires_social_insurance: bool = True
    min_age: int | None = WORKING_AGE_MIN
    max_age: int | None = WORKING_AGE_MAX

    @property
    def eligibility(self) -> EligibilityRules:
        """The version's rules as the eligibility check reads them (every door asks the same)."""
        return EligibilityRules(requires_social_insurance=self.requires_social_insurance,
                                min_age=self.min_age, max_age=self.max_age)


def cover_period(confirmed_on: date) -> tuple[date, date]:
    """Cover starts the day after confirmation and lasts one year (last day inclusive)."""
    start = confirmed_on + timedelta(days=1)
    try:
        next_year = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        next_year = start.replace(year=start.year + 1, day=28)
    return start, next_year - timedelta(days=1)

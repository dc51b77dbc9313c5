"""What a dashboard shows: which sections each role sees, the period asked for, the months of a
trend, the buckets of the review queue's ageing and the median of a list of durations.

Plain rules, no database: ``portal.services.dashboards`` computes the figures in SQL and uses these
to decide what to compute and how to group it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.domain.claims import ClaimStatus
from portal.domain.enrollment import EnrollmentStatus
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.roles import Role


class Section:
    ENROLMENT = "enrolment"
    CLAIMS = "claims"
    CAMPAIGNS = "campaigns"
    JOBS = "jobs"
    CHILDCARE = "childcare"
    KIOSKS = "kiosks"
    TRENDS = "trends"
    AGEING = "ageing"


ALL_SECTIONS = frozenset({Section.ENROLMENT, Section.CLAIMS, Section.CAMPAIGNS, Section.JOBS, Section.CHILDCARE,
                          Section.KIOSKS, Section.TRENDS, Section.AGEING})

# What each role's dashboard shows (its scope is decided by ``services.access``).
SECTIONS_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.ADMIN: ALL_SECTIONS,
    Role.UNION_OFFICER: ALL_SECTIONS,
    Role.REVIEWER: frozenset({Section.ENROLMENT, Section.CLAIMS, Section.CAMPAIGNS, Section.TRENDS, Section.AGEING}),
    Role.CHILDCARE_ORGANISER: frozenset({Section.CHILDCARE}),
    Role.ENTERPRISE: frozenset({Section.JOBS}),
}

# Roles whose dashboard can be narrowed to a union of their scope, and who may download the monthly report.
UNION_FILTER_ROLES = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER)
REPORT_ROLES = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)

# A year of cover that was given (confirmed, whether still running or over), and claims granted.
CONFIRMED_COVER = (EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)
GRANTED = (ClaimStatus.APPROVED, ClaimStatus.PAYOUT_PENDING, ClaimStatus.PAID)

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def sections_for(role: Role | None) -> frozenset[str]:
    return SECTIONS_BY_ROLE.get(role, frozenset()) if role else frozenset()


@dataclass(frozen=True)
class Period:
    """A calendar year (plan years are calendar years), or every year when ``year`` is None."""

    year: int | None = None

    @property
    def start(self) -> date | None:
        return date(self.year, 1, 1) if self.year else None

    @property
    def end(self) -> date | None:  # exclusive
        return date(self.year + 1, 1, 1) if self.year else None


def parse_year(text: str | None) -> int | None:
    """``"2026"`` → 2026; empty or ``"all"`` → None (every year). Refuses anything else."""
    text = (text or "").strip()
    if text in ("", "all"):
        return None
    if not text.isdigit() or len(text) != 4 or not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
        raise InvalidInput(N_("请选择正确的年份。"), code="dashboard_year")
    return int(text)


def parse_month(text: str | None, *, today: date) -> date:
    """``"2026-06"`` → the first day of that month; empty → the month before ``today``'s (the last whole one)."""
    text = (text or "").strip()
    if not text:
        first = today.replace(day=1)
        return date(first.year - 1, 12, 1) if first.month == 1 else first.replace(month=first.month - 1)
    parts = text.split("-")
    if (len(parts) != 2 or not all(part.isdigit() for part in parts) or len(parts[0]) != 4
            or not EARLIEST_YEAR <= int(parts[0]) <= LATEST_YEAR or not 1 <= int(parts[1]) <= 12):
        raise InvalidInput(N_("请选择正确的月份。"), code="dashboard_month")
    return date(int(parts[0]), int(parts[1]), 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def trend_months(period: Period, *, today: date) -> list[date]:
    """The twelve months a trend shows: the year's, or the twelve up to ``today``'s month."""
    first = date(period.year, 1, 1) if period.year else add_months(today.replace(day=1), -11)
    return [add_months(first, offset) for offset in range(12)]


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


# The review queue's ageing: days since submission, lower bound inclusive, upper bound exclusive.
AGE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (0, 3, N_("3天内")),
    (3, 8, N_("3–7天")),
    (8, 15, N_("8–14天")),
    (15, 31, N_("15–30天")),
    (31, None, N_("30天以上")),
)


def median(values: list[float]) -> float | None:
    """The median of ``values`` (the mean of the middle two for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percent(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` in whole percent, rounded half up; None when there is no whole."""
    if not whole:
        return None
    return (part * 200 + whole) // (whole * 2)

"""The figures of the staff dashboard, computed live with aggregate SQL inside the actor's scope.

Every figure is one grouped query (no rows sent to Python to be counted, no query per row); the
scope is a WHERE on the table's union column (``Scope.where``), the same literal subtree ids
``services.access.union_scope`` uses. A union officer's figures therefore equal a direct query over
its subtree, which ``tests/services/test_dashboards.py`` checks on both databases.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, distinct, false, func, literal, select

from portal import clock
from portal.domain.claims import OPEN_FOR_REVIEW, ClaimStatus
from portal.domain.dashboards import (
    AGE_BUCKETS,
    CONFIRMED_COVER,
    GRANTED,
    Period,
    Section,
    month_key,
    percent,
    sections_for,
    trend_months,
)
from portal.domain.enrollment import EnrollmentStatus
from portal.domain.errors import InvalidInput, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.jobs import ApplicationStatus, EnterpriseStatus, PlacementStatus, PositionStatus
from portal.domain.roles import Role
from portal.domain.sync import KioskStatus
from portal.extensions import db
from portal.models import (
    Application,
    Attendance,
    Campaign,
    ChildcareClass,
    Claim,
    Enrollment,
    Enterprise,
    Kiosk,
    Placement,
    Position,
    Registration,
    Station,
    Union,
    UnionKind,
)
from portal.models.base import UtcDateTime
from portal.services.access import role_of, scope_union
from portal.services.dashboards import summary
from portal.services.dashboards.sql import days_between, median_of, month_of

DECIDED = (ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.PAYOUT_PENDING, ClaimStatus.PAID)
RUNNING_CLASS = ("published",)  # drafts are not offered yet, cancelled ones never ran
SUMMARISED_SECTIONS = frozenset({Section.ENROLMENT, Section.CLAIMS, Section.CAMPAIGNS, Section.TRENDS})
STALE_AFTER = timedelta(hours=24)  # a kiosk silent this long is shown as needing a look
UNKNOWN_UNION = N_("没有这个工会，或它不在您的工作范围内。")


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What the figures are restricted to: a union's subtree (``union_ids``), one enterprise, or all."""

    union: Union | None  # the union shown (None: the whole federation)
    union_ids: tuple[int, ...] | None  # None: no restriction
    enterprise_id: int | None = None

    def where(self, stmt: Select, column) -> Select:
        if self.union_ids is None:
            return stmt
        return stmt.where(column.in_(self.union_ids)) if self.union_ids else stmt.where(false())


def resolve_scope(actor, union_code: str | None = None) -> Scope:
    """The actor's scope, narrowed to ``union_code`` when given (it must lie inside that scope)."""
    role = role_of(actor)
    if role is None or role is Role.MEMBER:
        raise PermissionDenied()
    if role is Role.ENTERPRISE:
        if not actor.enterprise_id:
            raise PermissionDenied(N_("该账号未关联爱心企业，请联系管理员。"))
        return Scope(union=None, union_ids=None, enterprise_id=actor.enterprise_id)
    own = scope_union(actor)  # None for federation-wide roles
    union = own
    if union_code:
        chosen = db.session.scalar(select(Union).where(Union.code == union_code.strip()[:32]))
        # An unknown union and one outside the scope answer alike: the filter tells nothing.
        if chosen is None or (own is not None and not own.contains(chosen)):
            raise InvalidInput(UNKNOWN_UNION, code="dashboard_union")
        union = chosen
    if union is None:
        return Scope(union=None, union_ids=None)
    return Scope(union=union, union_ids=tuple(union.subtree_ids()))


def unions_to_choose(actor) -> list[Union]:
    """The unions the filter offers: the actor's own and the federation, district and street unions
    below it (grassroots unions are reached by their code in the address, not a list of thousands)."""
    role = role_of(actor)
    if role not in (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER):
        return []
    own = scope_union(actor)
    stmt = select(Union).where(Union.kind != UnionKind.GRASSROOTS)
    if own is not None:
        stmt = select(Union).where(Union.path.startswith(own.path),
                                   (Union.kind != UnionKind.GRASSROOTS) | (Union.id == own.id))
    return list(db.session.scalars(stmt.order_by(Union.path).limit(500)))


# --------------------------------------------------------------------------- the figures


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    sections: frozenset[str]
    now: datetime
    enrolment: dict | None = None
    claims: dict | None = None
    campaigns: list[dict] = field(default_factory=list)
    jobs: dict | None = None
    childcare: dict | None = None
    kiosks: dict | None = None
    trends: dict | None = None
    ageing: list[dict] = field(default_factory=list)
    summary_taken_at: datetime | None = None  # when the enrolment summary these figures read was taken

    def shows(self, section: str) -> bool:
        return section in self.sections


def dashboard(actor, *, year: int | None = None, union_code: str | None = None,
              now: datetime | None = None) -> Dashboard:
    """Everything the actor's dashboard shows, for ``year`` (None: every year) inside its scope."""
    scope = resolve_scope(actor, union_code)
    now = now or clock.now()
    period = Period(year)
    sections = sections_for(role_of(actor))
    board = Dashboard(scope=scope, period=period, sections=sections, now=now)
    # The enrolment and claim figures read the summary (not every enrolment and claim of the city).
    counts = summary.read(scope) if sections & SUMMARISED_SECTIONS else None
    board.summary_taken_at = counts.taken_at if counts else None
    if Section.ENROLMENT in sections:
        board.enrolment = enrolment_figures(scope, period, counts)
    if Section.CLAIMS in sections:
        board.claims = claim_figures(scope, period, counts)
    if Section.CAMPAIGNS in sections:
        board.campaigns = campaign_uptake(scope, period, counts)
    if Section.JOBS in sections:
        board.jobs = job_figures(scope, period)
    if Section.CHILDCARE in sections:
        board.childcare = childcare_figures(scope, period)
    if Section.KIOSKS in sections:
        board.kiosks = kiosk_figures(scope, now)
    if Section.TRENDS in sections:
        board.trends = monthly_trends(scope, period, today=now.astimezone(clock.CHINA).date(), counts=counts)
    if Section.AGEING in sections:
        board.ageing = queue_ageing(scope, now)
    return board


def _moment_in(column, period: Period):
    """``column`` (a UTC moment) within the period's year in China's time."""
    if period.year is None:
        return literal(True)
    return month_of(column).between(f"{period.year:04d}-01", f"{period.year:04d}-12")


def _day_in(column, period: Period):
    if period.year is None:
        return literal(True)
    return and_(column >= period.start, column < period.end)


def enrolment_figures(scope: Scope, period: Period, counts: summary.Summary | None = None) -> dict:
    """Confirmed enrolments (人次) and people covered, by plan year and by channel: from the summary
    ``counts`` when given, otherwise live (the reference the summary is tested against)."""
    if counts is not None:
        return counts.enrolment_figures(period)
    base = scope.where(select(Enrollment.id).where(Enrollment.status.in_(CONFIRMED_COVER)), Enrollment.union_id)
    if period.year:
        base = base.where(Enrollment.plan_year == period.year)
    # A member has one live cover per plan year (a unique index), so within a year people = enrolments.
    by_year = db.session.execute(base.with_only_columns(Enrollment.plan_year, func.count(Enrollment.id))
                                 .group_by(Enrollment.plan_year).order_by(Enrollment.plan_year)).all()
    by_channel = db.session.execute(base.with_only_columns(Enrollment.channel, func.count(Enrollment.id))
                                    .group_by(Enrollment.channel)
                                    .order_by(func.count(Enrollment.id).desc(), Enrollment.channel)).all()
    if len(by_year) <= 1:  # one plan year (or none): one cover per member in it
        people = by_year[0][1] if by_year else 0
    else:  # several years: the members covered in any of them
        people = db.session.scalar(base.with_only_columns(func.count(distinct(Enrollment.member_id))))
    gig = db.session.scalar(base.with_only_columns(func.count(Enrollment.id))
                            .where(Enrollment.campaign_id.is_not(None)))
    return {
        "enrolments": sum(count for _year, count in by_year), "people": people, "gifted": gig,
        "by_year": [{"year": year, "enrolments": count, "people": count} for year, count in by_year],
        "by_channel": [{"channel": channel, "enrolments": count} for channel, count in by_channel],
    }


def claim_figures(scope: Scope, period: Period, counts: summary.Summary | None = None) -> dict:
    """Claims filed in the period by status, payouts made in it, and the median days to decide and pay:
    from the summary ``counts`` when given (a subtree's medians are still asked live), otherwise live."""
    if counts is not None:
        by_status, (paid_count, paid_fen) = counts.claims_by_status(period), counts.paid(period)
    else:
        filed = scope.where(select(Claim.id).where(Claim.status != ClaimStatus.DRAFT,
                                                   Claim.submitted_at.is_not(None)),
                            Claim.union_id).where(_moment_in(Claim.submitted_at, period))
        by_status = dict(db.session.execute(filed.with_only_columns(Claim.status, func.count(Claim.id))
                                            .group_by(Claim.status)).all())
        paid_count, paid_fen = db.session.execute(_paid_claims(scope, period).with_only_columns(
            func.count(Claim.id), func.coalesce(func.sum(Claim.approved_fen), 0))).one()
    medians = counts.medians(period) if counts is not None else None
    days_to_decision, days_to_payment = medians if medians is not None else claim_medians(scope, period)
    statuses = [status for status in ClaimStatus if status != ClaimStatus.DRAFT]
    return {
        "filed": sum(by_status.values()),
        "by_status": [{"status": status, "count": by_status.get(status, 0)} for status in statuses],
        "open": sum(by_status.get(status, 0) for status in OPEN_FOR_REVIEW),
        "granted": sum(by_status.get(status, 0) for status in GRANTED),
        "paid": paid_count, "paid_fen": int(paid_fen),
        "median_days_to_decision": None if days_to_decision is None else round(float(days_to_decision), 1),
        "median_days_to_payment": None if days_to_payment is None else round(float(days_to_payment), 1),
    }


def _paid_claims(scope: Scope, period: Period) -> Select:
    return scope.where(select(Claim.id).where(Claim.status == ClaimStatus.PAID, Claim.paid_at.is_not(None)),
                       Claim.union_id).where(_moment_in(Claim.paid_at, period))


def claim_medians(scope: Scope, period: Period) -> tuple[float | None, float | None]:
    """Live: the median days from filing to decision (claims decided in the period) and to payment
    (claims paid in it)."""
    decided = scope.where(select(Claim.id).where(Claim.status.in_(DECIDED), Claim.decided_at.is_not(None),
                                                 Claim.submitted_at.is_not(None)),
                          Claim.union_id).where(_moment_in(Claim.decided_at, period))
    to_decision = db.session.scalar(median_of(days_between(Claim.decided_at, Claim.submitted_at), decided))
    to_payment = db.session.scalar(median_of(days_between(Claim.paid_at, Claim.submitted_at),
                                             _paid_claims(scope, period).where(Claim.submitted_at.is_not(None))))
    return (None if to_decision is None else float(to_decision)), (None if to_payment is None else float(to_payment))


def campaign_uptake(scope: Scope, period: Period, counts: summary.Summary | None = None) -> list[dict]:
    """Each gifted campaign with uptake in the scope (or run by a union in it): claimed against its
    quota, and the claims its workers had granted (from the summary ``counts`` when given)."""
    if counts is not None:
        taken_by = counts.per_campaign(summary.TAKEN, period)
        granted_by = counts.per_campaign(summary.GRANTED_CLAIMS, period)
    else:
        taken_by, granted_by = _campaign_counts(scope, period)
    owned = scope.where(select(Campaign.id), Campaign.union_id)
    if period.year:
        owned = owned.where(Campaign.opens_on < period.end, Campaign.closes_on >= period.start)
    ids = set(taken_by) | set(db.session.scalars(owned))
    if not ids:
        return []
    campaigns = db.session.scalars(select(Campaign).where(Campaign.id.in_(ids)).order_by(Campaign.opens_on.desc()))
    return [{"id": campaign.id, "name": campaign.name, "quota": campaign.quota,
             "claimed": taken_by.get(campaign.id, 0), "claims_granted": granted_by.get(campaign.id, 0),
             "percent": percent(taken_by.get(campaign.id, 0), campaign.quota)} for campaign in campaigns]


def _campaign_counts(scope: Scope, period: Period) -> tuple[dict[int, int], dict[int, int]]:
    """Live: gifted covers taken per campaign, and claims granted on them."""
    taken = scope.where(select(Enrollment.campaign_id, func.count(Enrollment.id))
                        .where(Enrollment.campaign_id.is_not(None), Enrollment.status != EnrollmentStatus.CANCELLED),
                        Enrollment.union_id)
    if period.year:
        taken = taken.where(Enrollment.plan_year == period.year)
    taken_by = dict(db.session.execute(taken.group_by(Enrollment.campaign_id)).all())
    granted = scope.where(select(Enrollment.campaign_id, func.count(Claim.id))
                          .join(Enrollment, Enrollment.id == Claim.enrollment_id)
                          .where(Enrollment.campaign_id.is_not(None), Claim.status.in_(GRANTED)), Claim.union_id)
    if period.year:
        granted = granted.where(Enrollment.plan_year == period.year)
    granted_by = dict(db.session.execute(granted.group_by(Enrollment.campaign_id)).all())
    return taken_by, granted_by


def job_figures(scope: Scope, period: Period) -> dict:
    """Work-study: caring enterprises, positions and their places, applications, placements."""
    def scoped(stmt, union_column, enterprise_column):
        if scope.enterprise_id is not None:
            return stmt.where(enterprise_column == scope.enterprise_id)
        return scope.where(stmt, union_column)

    enterprises = db.session.scalar(scoped(
        select(func.count(Enterprise.id)).where(Enterprise.status == EnterpriseStatus.APPROVED),
        Enterprise.union_id, Enterprise.id))
    # Positions offered: published ones (open or since closed), not those waiting for or refused by the union.
    positions = scoped(select(Position.id), Position.union_id, Position.enterprise_id).where(
        _day_in(Position.starts_on, period), Position.status.in_((PositionStatus.OPEN, PositionStatus.CLOSED)))
    position_count, places, filled = db.session.execute(positions.with_only_columns(
        func.count(Position.id), func.coalesce(func.sum(Position.places), 0),
        func.coalesce(func.sum(Position.filled), 0))).one()
    offering = db.session.scalar(positions.with_only_columns(func.count(distinct(Position.enterprise_id))))
    applications = dict(db.session.execute(scoped(
        select(Application.status, func.count(Application.id)).join(Position, Position.id == Application.position_id),
        Position.union_id, Position.enterprise_id).where(_day_in(Position.starts_on, period))
        .group_by(Application.status)).all())
    placements = dict(db.session.execute(scoped(
        select(Placement.status, func.count(Placement.id)), Placement.union_id, Placement.enterprise_id)
        .where(_day_in(Placement.starts_on, period)).group_by(Placement.status)).all())
    return {
        "enterprises": enterprises, "enterprises_offering": offering, "positions": position_count,
        "places": int(places), "filled": int(filled),
        "applications": sum(applications.values()),
        "applications_waiting": applications.get(ApplicationStatus.SUBMITTED, 0),
        "placements": sum(placements.values()),
        "placements_by_status": [{"status": status, "count": placements.get(status, 0)} for status in PlacementStatus],
    }


def childcare_figures(scope: Scope, period: Period) -> dict:
    """Summer childcare: classes and the unions running them, seats, children admitted, attendance."""
    def classes(*columns, join=None):
        stmt = select(*columns).select_from(ChildcareClass)
        if join is not None:
            stmt = stmt.join(join, join.class_id == ChildcareClass.id)
        stmt = stmt.where(ChildcareClass.status.in_(RUNNING_CLASS), _day_in(ChildcareClass.starts_on, period))
        return scope.where(stmt, ChildcareClass.union_id)

    class_count, unions, seats = db.session.execute(classes(
        func.count(ChildcareClass.id), func.count(distinct(ChildcareClass.union_id)),
        func.coalesce(func.sum(ChildcareClass.seats), 0))).one()
    registrations = dict(db.session.execute(classes(Registration.status, func.count(Registration.id), join=Registration)
                                            .group_by(Registration.status)).all())
    children = db.session.scalar(classes(func.count(distinct(Registration.child_id)), join=Registration)
                                 .where(Registration.status == "confirmed"))
    present, recorded = db.session.execute(classes(
        func.coalesce(func.sum(case((Attendance.status == "present", 1), else_=0)), 0), func.count(Attendance.id),
        join=Attendance)).one()
    return {
        "classes": class_count, "unions": unions, "seats": int(seats), "children": children,
        "confirmed": registrations.get("confirmed", 0), "waitlisted": registrations.get("waitlisted", 0),
        "requested": registrations.get("requested", 0),
        "attendance_present": int(present), "attendance_recorded": recorded,
        "attendance_percent": percent(int(present), recorded),
    }


def kiosk_figures(scope: Scope, now: datetime, *, listed: int = 8) -> dict:
    """Active kiosks at the scope's stations, how many synced in the last day, and the longest silent."""
    active = scope.where(select(Kiosk.id).join(Station, Station.id == Kiosk.station_id)
                         .where(Kiosk.status == KioskStatus.ACTIVE), Station.union_id)
    since = literal(now - STALE_AFTER, UtcDateTime())
    total, fresh = db.session.execute(active.with_only_columns(
        func.count(Kiosk.id), func.coalesce(func.sum(case((Kiosk.last_sync_at >= since, 1), else_=0)), 0))).one()
    silent = db.session.execute(active.with_only_columns(Kiosk.id, Kiosk.name, Station.name, Kiosk.last_sync_at)
                                .order_by(Kiosk.last_sync_at.is_not(None), Kiosk.last_sync_at, Kiosk.id)
                                .limit(listed)).all()
    return {
        "active": total, "synced_today": int(fresh), "stale": total - int(fresh),
        "longest_silent": [{"id": kiosk_id, "name": name, "station": station, "last_sync_at": last,
                            "stale": last is None or now - last >= STALE_AFTER}
                           for kiosk_id, name, station, last in silent],
    }


def monthly_trends(scope: Scope, period: Period, *, today: date, counts: summary.Summary | None = None) -> dict:
    """Twelve months: enrolments starting, claims filed, claims paid and the amount paid (from the
    summary ``counts`` when given, otherwise live)."""
    months = trend_months(period, today=today)
    first, last = month_key(months[0]), month_key(months[-1])

    def per_month(stmt, month_expression, *values):
        month = month_expression.label("month")
        rows = db.session.execute(stmt.with_only_columns(month, *values)
                                  .where(month_expression.between(first, last)).group_by(month)).all()
        return {row[0]: row[1:] for row in rows}

    if counts is not None:
        enrolments = {month: (count,) for month, count in counts.started_by_month(first, last).items()}
        filed_counts, paid = counts.claims_by_month(first, last)
        filed = {month: (count,) for month, count in filed_counts.items()}
        return _trend_rows(months, enrolments, filed, paid)
    enrolments = per_month(
        scope.where(select(Enrollment.id).where(Enrollment.status.in_(CONFIRMED_COVER),
                                                Enrollment.starts_on.is_not(None)), Enrollment.union_id),
        month_of(Enrollment.starts_on, local=False), func.count(Enrollment.id))
    filed = per_month(
        scope.where(select(Claim.id).where(Claim.status != ClaimStatus.DRAFT, Claim.submitted_at.is_not(None)),
                    Claim.union_id),
        month_of(Claim.submitted_at), func.count(Claim.id))
    paid = per_month(
        scope.where(select(Claim.id).where(Claim.status == ClaimStatus.PAID, Claim.paid_at.is_not(None)),
                    Claim.union_id),
        month_of(Claim.paid_at), func.count(Claim.id), func.coalesce(func.sum(Claim.approved_fen), 0))
    return _trend_rows(months, enrolments, filed, paid)


def _trend_rows(months: list[date], enrolments: dict, filed: dict, paid: dict) -> dict:
    rows = []
    for month in months:
        key = month_key(month)
        rows.append({"month": month, "key": key, "enrolments": enrolments.get(key, (0,))[0],
                     "claims_filed": filed.get(key, (0,))[0], "claims_paid": paid.get(key, (0, 0))[0],
                     "paid_fen": int(paid.get(key, (0, 0))[1])})
    return {"months": rows}


def queue_ageing(scope: Scope, now: datetime) -> list[dict]:
    """Claims waiting for a reviewer, by days since they were submitted."""
    age = days_between(literal(now, UtcDateTime()), Claim.submitted_at)
    bucket = case(*[((age >= low) if high is None else and_(age >= low, age < high), index)
                    for index, (low, high, _label) in enumerate(AGE_BUCKETS)], else_=0).label("bucket")
    stmt = scope.where(select(bucket, func.count(Claim.id)).where(Claim.status.in_(OPEN_FOR_REVIEW),
                                                                 Claim.submitted_at.is_not(None)), Claim.union_id)
    counts = defaultdict(int, db.session.execute(stmt.group_by(bucket)).all())
    return [{"label": label, "low": low, "high": high, "count": counts[index]}
            for index, (low, high, label) in enumerate(AGE_BUCKETS)]

"""Read models of the enrolment pages: my cover, the certificate check, staff lists and filters,
plans, rosters and campaigns as the pages list them. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import enrollment as rules
from portal.domain.errors import InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.identity import mask_name, normalise
from portal.domain.plans import cover_period
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Campaign, Enrollment, EnrollmentStatus, Member, Plan, RosterImport, Union
from portal.pii import lookup_hash
from portal.services.access import require_role, require_union_in_scope, scope_union, union_scope
from portal.services.enrollment.enrolments import (
    CERTIFICATE_SALT,
    CONFIRMERS,
    STAFF_READERS,
    blocking_stmt,
    has_later_cover,
    renewal_candidates_stmt,
)
from portal.services.enrollment.rosters import ROSTER_ROLES

COVERING = (EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)


# --- Plans --------------------------------------------------------------------------------------

def list_plans(actor) -> list[Plan]:
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(Plan).order_by(Plan.code, Plan.version.desc())))


def plan_versions(actor, code: str) -> list[Plan]:
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(Plan).where(Plan.code == code).order_by(Plan.version.desc())))


# --- A member's own cover -------------------------------------------------------------------

@dataclass
class MyCover:
    current: Enrollment | None  # covering today
    upcoming: Enrollment | None  # confirmed, starting later (a renewal)
    pending: Enrollment | None
    history: list[Enrollment]
    can_apply: bool


# A member's enrolments, newest first, with what the cover page shows of each: built once, with its
# cache key (the three joinedloads made building it a third of the page's query time).
_MEMBER_ENROLLMENTS = (
    select(Enrollment).where(Enrollment.member_id == bindparam("member_id"))
    .options(joinedload(Enrollment.plan), joinedload(Enrollment.union), joinedload(Enrollment.campaign))
    .order_by(Enrollment.starts_on.desc().nulls_first(), Enrollment.id.desc())
)


def my_cover(member: Member, *, today: date | None = None) -> MyCover:
    today = today or clock.today()
    enrollments = list(db.session.scalars(_MEMBER_ENROLLMENTS, {"member_id": member.id}))
    current = next((e for e in enrollments if e.covers(today)), None)
    upcoming = next((e for e in enrollments if e.status == EnrollmentStatus.ACTIVE
                     and e.starts_on and e.starts_on > today), None)
    pending = next((e for e in enrollments if e.status == EnrollmentStatus.PENDING), None)
    start, _ = cover_period(today)
    blocked = any(e.status == EnrollmentStatus.PENDING or
                  (e.status == EnrollmentStatus.ACTIVE and e.ends_on and e.ends_on >= start) for e in enrollments)
    return MyCover(current=current, upcoming=upcoming, pending=pending, history=enrollments, can_apply=not blocked)


@dataclass(frozen=True)
class Verification:
    masked_name: str
    plan_name: str
    plan_year: int
    starts_on: date
    ends_on: date
    state: str  # valid | not_started | expired | cancelled
    state_label: str


VERIFICATION_LABELS = {"valid": N_("有效，保障中"), "not_started": N_("有效，尚未生效"),
                       "expired": N_("已过保障期"), "cancelled": N_("已取消")}


def verify_certificate(token: str, *, today: date | None = None) -> Verification:
    """What a scanned certificate proves, masked; ``NotFound`` for a forged or mistyped token."""
    today = today or clock.today()
    try:
        enrollment_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CERTIFICATE_SALT).loads(token)
    except BadSignature:
        raise NotFound(N_("凭证无效：二维码不完整或不是本平台签发的，请向持证人核实。")) from None
    enrollment = db.session.get(Enrollment, enrollment_id) if isinstance(enrollment_id, int) else None
    if enrollment is None or enrollment.starts_on is None:
        raise NotFound(N_("凭证无效：找不到对应的参保记录。"))
    if enrollment.status == EnrollmentStatus.CANCELLED:
        state = "cancelled"
    elif today < enrollment.starts_on:
        state = "not_started"
    elif today > enrollment.ends_on:
        state = "expired"
    else:
        state = "valid"
    return Verification(
        masked_name=mask_name(enrollment.member.name),
        plan_name=enrollment.plan.name, plan_year=enrollment.plan_year, starts_on=enrollment.starts_on,
        ends_on=enrollment.ends_on, state=state, state_label=VERIFICATION_LABELS[state],
    )


# --- Applications and renewal -------------------------------------------------------------------

def list_applications(actor, *, page: int = 1, per_page: int = 50):
    require_role(actor, *CONFIRMERS)
    stmt = union_scope(
        select(Enrollment).where(Enrollment.status == EnrollmentStatus.PENDING), actor, Enrollment.union_id
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.options(joinedload(Enrollment.member), joinedload(Enrollment.union))
        .order_by(Enrollment.applied_at, Enrollment.id).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def renewal_preview(actor, union: Union, *, today: date | None = None) -> int:
    """How many covers a renewal run would carry into the next period."""
    today = today or clock.today()
    require_role(actor, *CONFIRMERS)
    require_union_in_scope(actor, union)
    stmt = renewal_candidates_stmt(union, today).where(~has_later_cover())
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


# --- Staff lists ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EnrollmentFilters:
    q: str = ""  # a name, or a full ID number / mobile (matched by hash)
    status: str = ""
    plan_year: int | None = None
    channel: str = ""
    union_code: str = ""


@dataclass(frozen=True)
class MemberFilters:
    q: str = ""
    union_code: str = ""
    cover: str = ""  # covered | uncovered
    gig: str = ""  # yes | no


def _person_filter(q: str, name_column, id_hash_column, mobile_hash_column):
    text = normalise(q)
    if len(text) == 18 or (len(text) == 11 and text.isdigit()):
        digest = lookup_hash(text)
        return or_(id_hash_column == digest, mobile_hash_column == digest)
    return name_column.contains(q.strip())


def union_by_code(actor, code: str) -> Union:
    """The union with ``code``, if the actor may act for it; ``InvalidInput`` on the code field."""
    union = db.session.scalar(select(Union).where(Union.code == (code or "").strip()))
    if union is None:
        raise InvalidInput(N_("找不到工会代码 %(union_code)s。"), field="union_code", union_code=code)
    require_union_in_scope(actor, union)
    return union


def _union_filter(stmt: Select, actor, union_code: str, column) -> Select:
    if not union_code:
        return stmt
    union = union_by_code(actor, union_code)
    return stmt.where(column.in_(select(Union.id).where(Union.path.startswith(union.path))))


def enrollments_stmt(actor, filters: EnrollmentFilters) -> Select:
    require_role(actor, *STAFF_READERS)
    stmt = union_scope(select(Enrollment), actor, Enrollment.union_id)
    if filters.q.strip():
        # Joined only to search by person: counting a district's 90,000 covers through a join with
        # the members took a second at city scale; without it, an index scan (bench/explain_hot.py).
        stmt = stmt.join(Enrollment.member).where(
            _person_filter(filters.q, Member.name, Member.id_number_hash, Member.mobile_hash))
    if filters.status:
        stmt = stmt.where(Enrollment.status == filters.status)
    if filters.plan_year:
        stmt = stmt.where(Enrollment.plan_year == filters.plan_year)
    if filters.channel:
        stmt = stmt.where(Enrollment.channel == filters.channel)
    return _union_filter(stmt, actor, filters.union_code, Enrollment.union_id)


def list_enrollments(actor, filters: EnrollmentFilters, *, page: int = 1, per_page: int = 50):
    stmt = enrollments_stmt(actor, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.options(joinedload(Enrollment.member), joinedload(Enrollment.union), joinedload(Enrollment.plan))
        .order_by(Enrollment.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def members_stmt(actor, filters: MemberFilters, *, today: date) -> Select:
    require_role(actor, *STAFF_READERS)
    stmt = union_scope(select(Member), actor, Member.union_id)
    if filters.q.strip():
        stmt = stmt.where(_person_filter(filters.q, Member.name, Member.id_number_hash, Member.mobile_hash))
    stmt = _union_filter(stmt, actor, filters.union_code, Member.union_id)
    covered = select(Enrollment.id).where(
        Enrollment.member_id == Member.id, Enrollment.status.in_(COVERING),
        Enrollment.starts_on <= today, Enrollment.ends_on >= today,
    ).exists()
    if filters.cover == "covered":
        stmt = stmt.where(covered)
    elif filters.cover == "uncovered":
        stmt = stmt.where(~covered)
    if filters.gig in ("yes", "no"):
        stmt = stmt.where(Member.is_gig_worker.is_(filters.gig == "yes"))
    return stmt


def list_members(actor, filters: MemberFilters, *, page: int = 1, per_page: int = 50, today: date | None = None):
    today = today or clock.today()
    stmt = members_stmt(actor, filters, today=today)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    members = list(db.session.scalars(
        stmt.options(joinedload(Member.union), joinedload(Member.hardship)).order_by(Member.id)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    # Each member's cover as every page words it (``rules.person_cover_status``): covered today,
    # about to start, or waiting for confirmation; absent means 未参保.
    covers = {}
    if members:
        by_member: dict[int, list[Enrollment]] = {}
        for enrollment in db.session.scalars(
            select(Enrollment).where(
                Enrollment.member_id.in_([m.id for m in members]),
                or_(Enrollment.status == EnrollmentStatus.PENDING,
                    Enrollment.status.in_(COVERING) & (Enrollment.ends_on >= today)),
            )
        ):
            by_member.setdefault(enrollment.member_id, []).append(enrollment)
        for member_id, enrollments in by_member.items():
            status, enrollment = rules.person_cover_status(enrollments, today)
            if enrollment is not None:
                covers[member_id] = (status, enrollment)
    return members, total, covers


def unions_in_scope(actor) -> list[Union]:
    """The unions an actor may act for, for pickers (the whole tree for federation-wide roles)."""
    scope = scope_union(actor)
    stmt = select(Union).order_by(Union.path)
    if scope is not None:
        stmt = stmt.where(Union.path.startswith(scope.path))
    return list(db.session.scalars(stmt))


# --- Rosters ------------------------------------------------------------------------------------

def list_rosters(actor, *, page: int = 1, per_page: int = 20):
    require_role(actor, *ROSTER_ROLES)
    stmt = union_scope(select(RosterImport), actor, RosterImport.union_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.options(joinedload(RosterImport.union)).order_by(RosterImport.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


# --- Campaigns ----------------------------------------------------------------------------------

CAMPAIGN_READERS = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)


@dataclass(frozen=True)
class Uptake:
    campaign: Campaign
    claimed_in_scope: int  # by members of the actor's subtree (everyone for federation staff)


def list_campaigns(actor) -> list[Uptake]:
    require_role(actor, *CAMPAIGN_READERS)
    campaigns = list(db.session.scalars(select(Campaign).options(joinedload(Campaign.union))
                                        .order_by(Campaign.id.desc())))
    counts = dict(db.session.execute(
        union_scope(select(Enrollment.campaign_id, func.count(Enrollment.id)), actor, Enrollment.union_id)
        .where(Enrollment.campaign_id.is_not(None), Enrollment.status != EnrollmentStatus.CANCELLED)
        .group_by(Enrollment.campaign_id)
    ).all())
    return [Uptake(campaign, counts.get(campaign.id, 0)) for campaign in campaigns]


def campaign(campaign_id: int) -> Campaign:
    found = db.session.get(Campaign, campaign_id)
    if found is None:
        raise NotFound(N_("找不到该赠送项目。"))
    return found


def get_campaign(actor, campaign_id: int) -> Campaign:
    require_role(actor, *CAMPAIGN_READERS)
    return campaign(campaign_id)


def open_campaigns(*, today: date | None = None) -> list[Campaign]:
    today = today or clock.today()
    return list(db.session.scalars(
        select(Campaign).where(Campaign.is_closed.is_(False), Campaign.opens_on <= today, Campaign.closes_on >= today)
        .order_by(Campaign.id)
    ))


def eligible_unclaimed(actor, campaign_id: int, *, today: date | None = None, limit: int = 50) -> list[Member]:
    """Members in the actor's scope who qualify and are not yet covered: whom an officer can nominate."""
    today = today or clock.today()
    gift = get_campaign(actor, campaign_id)
    start, _ = cover_period(today)
    stmt = union_scope(select(Member), actor, Member.union_id).join(Member.union).where(
        Union.path.startswith(gift.union.path),
        ~blocking_stmt(start).where(Enrollment.member_id == Member.id).exists(),
    )
    if gift.requires_gig_worker:
        stmt = stmt.where(Member.is_gig_worker.is_(True))
    if gift.occupations:
        stmt = stmt.where(Member.occupation.in_(gift.occupations))
    if gift.requires_social_insurance:
        stmt = stmt.where(Member.has_social_insurance.is_(True))
    return list(db.session.scalars(stmt.order_by(Member.id).limit(limit)))

"""Enrolment actions: plans, self-service applications, confirmation, renewal, my cover, staff lists.

Rosters live in ``services/rosters.py`` and gifted campaigns in ``services/campaigns.py``; the
helpers they share (who already covers a person, the current plan version) are here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from portal import clock
from portal.domain import enrollment as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.identity import mask_name, normalise
from portal.domain.plans import BenefitSchedule, cover_period
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, EnrollmentChannel, EnrollmentStatus, Member, Payer, Plan, Union
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, scope_union, union_scope
from portal.services.sms import queue_text

DEFAULT_PLAN_CODE = "SANHEYI"
STAFF_READERS = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)
LIVE_STATUSES = (EnrollmentStatus.PENDING, EnrollmentStatus.ACTIVE)
CERTIFICATE_SALT = "enrollment-certificate"


# --- Shared helpers -------------------------------------------------------------------------

def current_plan(code: str = DEFAULT_PLAN_CODE) -> Plan:
    plan = db.session.scalar(select(Plan).where(Plan.code == code, Plan.is_current.is_(True)))
    if plan is None:
        raise NotFound(N_("尚未设置保障项目，请联系管理员。"))
    return plan


def blocking_stmt(start_day: date) -> Select:
    """Enrolments that stop a new cover starting on ``start_day``: a pending application, or
    a confirmed cover still running on that day (or starting later)."""
    return select(Enrollment).where(or_(
        Enrollment.status == EnrollmentStatus.PENDING,
        and_(Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.ends_on >= start_day),
    ))


def covered_message(enrollment: Enrollment) -> str:
    """Who covers this person already, said so that the other union knows whom to call."""
    who = enrollment.union.name if enrollment.union else "互助会"
    if enrollment.campaign is not None:
        who = f"“{enrollment.campaign.name}”赠送项目"
    if enrollment.status == EnrollmentStatus.PENDING:
        return f"已提交参保申请，正在等待{who}确认，无需重复办理。"
    return f"已参保：由{who}办理，保障期至{enrollment.ends_on:%Y年%m月%d日}，无需重复办理。"


def blocking_enrollment(member_id: int, start_day: date) -> Enrollment | None:
    return db.session.scalar(
        blocking_stmt(start_day).where(Enrollment.member_id == member_id)
        .options(joinedload(Enrollment.union), joinedload(Enrollment.campaign)).limit(1)
    )


def previous_cover_end(member_id: int) -> date | None:
    return db.session.scalar(
        select(func.max(Enrollment.ends_on)).where(
            Enrollment.member_id == member_id,
            Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
        )
    )


def _staff_enrollment(actor, enrollment_id: int) -> Enrollment:
    require_role(actor, *STAFF_READERS)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(N_("找不到该参保记录。"))
    require_union_in_scope(actor, enrollment.union)
    return enrollment


def _notify(member: Member, body: str, *, kind: str, enrollment: Enrollment) -> None:
    """The answer to the member's own application: sent whatever their reminder consent says,
    like claim decisions (the consent switch promises exactly that)."""
    if member.mobile:
        queue_text(member.mobile, body, kind=kind, member=member, subject=("enrollment", enrollment.id))


# --- Plans ----------------------------------------------------------------------------------

def list_plans(actor) -> list[Plan]:
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(Plan).order_by(Plan.code, Plan.version.desc())))


def edit_plan(actor, code: str, *, name: str, schedule: BenefitSchedule, based_on_version: int) -> Plan:
    """Save an edited schedule as a new version; enrolments keep the version they were made under.

    ``based_on_version`` is the version the administrator edited: if someone saved another version
    meanwhile, the edit is refused instead of silently replacing their figures.
    """
    require_role(actor, Role.ADMIN)
    rules.check_schedule(schedule)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(N_("请填写项目名称。"), field="name")
    current = db.session.scalar(
        select(Plan).where(Plan.code == code, Plan.is_current.is_(True)).with_for_update()
    )
    if current is None:
        raise NotFound(N_("找不到该保障项目。"))
    if current.version != based_on_version:
        raise Conflict(f"在您编辑期间，该项目已更新为第{current.version}版，请刷新后在新版本上修改。")
    if current.schedule() == schedule and current.name == name:
        raise InvalidInput(N_("没有任何修改，无需保存新版本。"))
    current.is_current = False
    plan = Plan.from_schedule(code, name, schedule, version=current.version + 1)
    plan.created_by_id = actor.id
    db.session.add(plan)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("该项目刚刚被他人更新，请刷新后重试。")) from None
    audit.record(actor, "enrollment.plan_edit", "plan", plan.id, code=code, version=plan.version)
    db.session.commit()
    return plan


def plan_versions(actor, code: str) -> list[Plan]:
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(Plan).where(Plan.code == code).order_by(Plan.version.desc())))


def schedule_with(schedule: BenefitSchedule, **changes) -> BenefitSchedule:
    return replace(schedule, **changes)


# --- Self-service -----------------------------------------------------------------------------

def apply_for_cover(member: Member, *, today: date | None = None) -> Enrollment:
    """A member asks their union to enrol them for the coming year; a repeat gives the same application."""
    today = today or clock.today()
    start, _ = cover_period(today)
    existing = blocking_enrollment(member.id, start)
    if existing is not None:
        if existing.status == EnrollmentStatus.PENDING and existing.channel == EnrollmentChannel.SELF_SERVICE:
            return existing  # a double submit: the first application stands
        raise Conflict(covered_message(existing))
    if member.union_id is None:
        raise InvalidInput(N_("您尚未登记所在工会，请先联系工会经办人登记会员信息后再申请。"))
    if not member.is_verified:
        raise InvalidInput(N_("您的手机号尚未验证，请先完成短信验证。"))
    plan = current_plan()
    enrollment = Enrollment(
        member_id=member.id, plan_id=plan.id, union_id=member.union_id, plan_year=rules.plan_year_for(today),
        status=EnrollmentStatus.PENDING, channel=EnrollmentChannel.SELF_SERVICE, payer=Payer.MEMBER,
        contribution_fen=plan.contribution_fen, applied_at=utcnow(),
    )
    db.session.add(enrollment)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the same member, at the same moment, from another tab
        existing = blocking_enrollment(member.id, start)
        if existing is not None and existing.status == EnrollmentStatus.PENDING:
            return existing
        raise Conflict(N_("您本年度已有参保记录，无需重复申请。")) from None
    audit.record(member, "enrollment.apply", "enrollment", enrollment.id)
    db.session.commit()
    return enrollment


def list_applications(actor, *, page: int = 1, per_page: int = 50):
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    stmt = union_scope(
        select(Enrollment).where(Enrollment.status == EnrollmentStatus.PENDING), actor, Enrollment.union_id
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.options(joinedload(Enrollment.member), joinedload(Enrollment.union))
        .order_by(Enrollment.applied_at, Enrollment.id).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def confirm_application(actor, enrollment_id: int, *, today: date | None = None) -> Enrollment:
    """The union confirms a self-service application: cover starts tomorrow for a year."""
    today = today or clock.today()
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    enrollment = _staff_enrollment(actor, enrollment_id)
    if enrollment.status != EnrollmentStatus.PENDING:
        raise Conflict(N_("该申请已处理过，无需重复操作。"))
    start, end = cover_period(today)
    enrollment.status = EnrollmentStatus.ACTIVE
    enrollment.starts_on, enrollment.ends_on = start, end
    enrollment.is_renewal = rules.is_continuation(previous_cover_end(enrollment.member_id), start)
    enrollment.confirmed_at = utcnow()
    enrollment.confirmed_by_id = actor.id
    audit.record(actor, "enrollment.confirm", "enrollment", enrollment.id, member_id=enrollment.member_id)
    _notify(enrollment.member, f"您的互助保障参保申请已确认，保障期{start:%Y年%m月%d日}至{end:%Y年%m月%d日}。"
            "可登录平台查看电子参保凭证。", kind="enrollment_confirmed", enrollment=enrollment)
    db.session.commit()
    return enrollment


def reject_application(actor, enrollment_id: int, *, reason: str) -> Enrollment:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写不予确认的原因，会员会收到这条说明。"), field="reason")
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    enrollment = _staff_enrollment(actor, enrollment_id)
    if enrollment.status != EnrollmentStatus.PENDING:
        raise Conflict(N_("该申请已处理过，无需重复操作。"))
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.cancelled_reason = reason[:200]
    audit.record(actor, "enrollment.reject", "enrollment", enrollment.id, reason=reason[:200])
    _notify(enrollment.member, f"您的互助保障参保申请未获确认：{reason[:60]}。如有疑问请联系所在工会。",
            kind="enrollment_rejected", enrollment=enrollment)
    db.session.commit()
    return enrollment


# --- My cover -------------------------------------------------------------------------------

@dataclass
class MyCover:
    current: Enrollment | None  # covering today
    upcoming: Enrollment | None  # confirmed, starting later (a renewal)
    pending: Enrollment | None
    history: list[Enrollment]
    can_apply: bool


def my_cover(member: Member, *, today: date | None = None) -> MyCover:
    today = today or clock.today()
    enrollments = list(db.session.scalars(
        select(Enrollment).where(Enrollment.member_id == member.id)
        .options(joinedload(Enrollment.plan), joinedload(Enrollment.union), joinedload(Enrollment.campaign))
        .order_by(Enrollment.starts_on.desc().nulls_first(), Enrollment.id.desc())
    ))
    current = next((e for e in enrollments if e.covers(today)), None)
    upcoming = next((e for e in enrollments if e.status == EnrollmentStatus.ACTIVE
                     and e.starts_on and e.starts_on > today), None)
    pending = next((e for e in enrollments if e.status == EnrollmentStatus.PENDING), None)
    start, _ = cover_period(today)
    blocked = any(e.status == EnrollmentStatus.PENDING or
                  (e.status == EnrollmentStatus.ACTIVE and e.ends_on and e.ends_on >= start) for e in enrollments)
    return MyCover(current=current, upcoming=upcoming, pending=pending, history=enrollments, can_apply=not blocked)


def member_enrollment(member: Member, enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.member_id != member.id:
        raise NotFound(N_("找不到该参保记录。"))
    return enrollment


def certificate_token(enrollment: Enrollment) -> str:
    """A signed token naming only the enrolment's number: the QR code shows nothing personal."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CERTIFICATE_SALT).dumps(enrollment.id)


def certificate_for(member: Member, enrollment_id: int) -> Enrollment:
    enrollment = member_enrollment(member, enrollment_id)
    if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED) or enrollment.starts_on is None:
        raise InvalidInput(N_("参保确认后才能查看电子参保凭证。"))
    audit.record(member, "enrollment.certificate_view", "enrollment", enrollment.id)
    db.session.commit()
    return enrollment


@dataclass(frozen=True)
class Verification:
    masked_name: str
    plan_name: str
    plan_year: int
    starts_on: date
    ends_on: date
    state: str  # valid | not_started | expired | cancelled
    state_label: str


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
    labels = {"valid": "有效，保障中", "not_started": "有效，尚未生效", "expired": "已过保障期", "cancelled": "已取消"}
    return Verification(
        masked_name=mask_name(enrollment.member.name),
        plan_name=enrollment.plan.name, plan_year=enrollment.plan_year, starts_on=enrollment.starts_on,
        ends_on=enrollment.ends_on, state=state, state_label=labels[state],
    )


# --- Renewal --------------------------------------------------------------------------------

@dataclass
class RunReport:
    created: int = 0
    already_covered: int = 0
    errors: list[dict] | None = None

    def as_dict(self) -> dict:
        return {"created": self.created, "already_covered": self.already_covered, "errors": self.errors or []}


def renewal_candidates_stmt(union: Union, today: date) -> Select:
    return select(Enrollment).where(
        Enrollment.union_id == union.id,
        Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
        Enrollment.ends_on <= today + timedelta(days=rules.RENEWAL_WINDOW_DAYS),
        Enrollment.ends_on >= today - timedelta(days=rules.RENEWAL_GRACE_DAYS),
    )


def renewal_preview(actor, union: Union, *, today: date | None = None) -> int:
    today = today or clock.today()
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    require_union_in_scope(actor, union)
    stmt = renewal_candidates_stmt(union, today).where(~_has_later_cover())
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def _has_later_cover():
    later = aliased(Enrollment)
    return select(later.id).where(
        later.member_id == Enrollment.member_id, later.id != Enrollment.id,
        later.status.in_(LIVE_STATUSES), or_(later.starts_on.is_(None), later.starts_on > Enrollment.ends_on),
    ).exists()


def renew_union(actor, union: Union, *, today: date | None = None) -> RunReport:
    """Carry the union's covers that end soon (or just ended) into the next period, in one transaction.

    Members someone else already covers for the next period are counted as already covered;
    running it twice creates nothing the second time.
    """
    today = today or clock.today()
    require_role(actor, Role.ADMIN, Role.UNION_OFFICER)
    require_union_in_scope(actor, union)
    plan = current_plan()
    candidates = list(db.session.execute(
        renewal_candidates_stmt(union, today).with_only_columns(
            Enrollment.id, Enrollment.member_id, Enrollment.ends_on, Enrollment.plan_year)
    ))
    report = RunReport(errors=[])
    rows = []
    seen: set[int] = set()
    for enrollment_id, member_id, ends_on, plan_year in candidates:
        if member_id in seen:
            continue
        seen.add(member_id)
        start, end = rules.renewal_period(ends_on, today)
        later = db.session.scalar(
            blocking_stmt(start).where(Enrollment.member_id == member_id, Enrollment.id != enrollment_id).limit(1)
        )
        if later is not None:
            report.already_covered += 1
            continue
        rows.append({
            "member_id": member_id, "plan_id": plan.id, "union_id": union.id, "plan_year": plan_year + 1,
            "status": EnrollmentStatus.ACTIVE, "channel": EnrollmentChannel.RENEWAL, "payer": Payer.UNION,
            "is_renewal": True, "contribution_fen": plan.contribution_fen, "starts_on": start, "ends_on": end,
            "confirmed_at": utcnow(), "confirmed_by_id": getattr(actor, "id", None), "renews_id": enrollment_id,
            "created_at": utcnow(), "updated_at": utcnow(),
        })
    try:
        for chunk_start in range(0, len(rows), 1000):
            db.session.execute(insert(Enrollment), rows[chunk_start:chunk_start + 1000])
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("续保过程中有人为其中的会员办理了下一年度参保，本次续保未写入任何数据，请重试。")) from None
    report.created = len(rows)
    audit.record(actor, "enrollment.renew", "union", union.id, created=report.created,
                 already_covered=report.already_covered)
    db.session.commit()
    return report


def expire_lapsed(*, today: date | None = None) -> int:
    """Mark covers whose year is over as expired (the daily sweep); returns how many changed."""
    today = today or clock.today()
    result = db.session.execute(
        update(Enrollment).where(Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.ends_on < today)
        .values(status=EnrollmentStatus.EXPIRED, updated_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


# --- Staff lists and exports ----------------------------------------------------------------

@dataclass(frozen=True)
class EnrollmentFilters:
    q: str = ""  # a name, or a full ID number / mobile (matched by hash)
    status: str = ""
    plan_year: int | None = None
    channel: str = ""
    union_code: str = ""


def _person_filter(q: str, name_column, id_hash_column, mobile_hash_column):
    text = normalise(q)
    if len(text) == 18 or (len(text) == 11 and text.isdigit()):
        digest = lookup_hash(text)
        return or_(id_hash_column == digest, mobile_hash_column == digest)
    return name_column.contains(q.strip())


def _union_filter(stmt: Select, actor, union_code: str, column) -> Select:
    if not union_code:
        return stmt
    union = db.session.scalar(select(Union).where(Union.code == union_code.strip()))
    if union is None:
        raise InvalidInput(f"找不到工会代码 {union_code}。", field="union_code")
    require_union_in_scope(actor, union)
    return stmt.where(column.in_(select(Union.id).where(Union.path.startswith(union.path))))


def enrollments_stmt(actor, filters: EnrollmentFilters) -> Select:
    require_role(actor, *STAFF_READERS)
    stmt = union_scope(select(Enrollment).join(Enrollment.member), actor, Enrollment.union_id)
    if filters.q.strip():
        stmt = stmt.where(_person_filter(filters.q, Member.name, Member.id_number_hash, Member.mobile_hash))
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


EXPORT_LIMIT = 200_000


def export_enrollments(actor, filters: EnrollmentFilters) -> bytes:
    """The filtered enrolments as Excel, personal numbers masked; the export itself is audited."""
    from portal.integrations.spreadsheets import write_xlsx

    stmt = enrollments_stmt(actor, filters).options(
        joinedload(Enrollment.member), joinedload(Enrollment.union), joinedload(Enrollment.plan)
    ).order_by(Enrollment.id).limit(EXPORT_LIMIT)
    headers = ["姓名", "身份证号", "手机号", "工会", "保障项目", "版本", "保障年度", "状态", "渠道", "缴费方",
               "开始日期", "结束日期"]

    def rows():
        for e in db.session.scalars(stmt).yield_per(1000):
            yield [e.member.name, e.member.masked_id_number, e.member.masked_mobile, e.union.name if e.union else "",
                   e.plan.name, e.plan.version, e.plan_year, rules.STATUS_LABELS.get(e.status, e.status),
                   rules.CHANNEL_LABELS.get(e.channel, e.channel), rules.PAYER_LABELS.get(e.payer, e.payer),
                   e.starts_on, e.ends_on]

    content = write_xlsx(headers, rows(), sheet="参保名单", text_columns=(1, 2))
    audit.record(actor, "enrollment.export", "enrollment", None, filters=filters.__dict__)
    db.session.commit()
    return content


@dataclass(frozen=True)
class MemberFilters:
    q: str = ""
    union_code: str = ""
    cover: str = ""  # covered | uncovered
    gig: str = ""  # yes | no


def members_stmt(actor, filters: MemberFilters, *, today: date) -> Select:
    require_role(actor, *STAFF_READERS)
    stmt = union_scope(select(Member), actor, Member.union_id)
    if filters.q.strip():
        stmt = stmt.where(_person_filter(filters.q, Member.name, Member.id_number_hash, Member.mobile_hash))
    stmt = _union_filter(stmt, actor, filters.union_code, Member.union_id)
    covered = select(Enrollment.id).where(
        Enrollment.member_id == Member.id, Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
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
        stmt.options(joinedload(Member.union)).order_by(Member.id).offset((page - 1) * per_page).limit(per_page)
    ))
    covers = {}
    if members:
        for enrollment in db.session.scalars(
            select(Enrollment).where(
                Enrollment.member_id.in_([m.id for m in members]),
                Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
                Enrollment.starts_on <= today, Enrollment.ends_on >= today,
            )
        ):
            covers[enrollment.member_id] = enrollment
    return members, total, covers


def export_members(actor, filters: MemberFilters, *, today: date | None = None) -> bytes:
    from portal.integrations.spreadsheets import write_xlsx

    today = today or clock.today()
    stmt = members_stmt(actor, filters, today=today).options(joinedload(Member.union)).order_by(Member.id) \
        .limit(EXPORT_LIMIT)
    headers = ["姓名", "身份证号", "手机号", "工会", "职业", "是否新就业形态劳动者", "是否参加社保"]

    def rows():
        for m in db.session.scalars(stmt).yield_per(1000):
            yield [m.name, m.masked_id_number, m.masked_mobile, m.union.name if m.union else "", m.occupation or "",
                   "是" if m.is_gig_worker else "否", "是" if m.has_social_insurance else "否"]

    content = write_xlsx(headers, rows(), sheet="会员名单", text_columns=(1, 2))
    audit.record(actor, "enrollment.member_export", "member", None, filters=filters.__dict__)
    db.session.commit()
    return content


def unions_in_scope(actor) -> list[Union]:
    """The unions an actor may act for, for pickers (the whole tree for federation-wide roles)."""
    scope = scope_union(actor)
    stmt = select(Union).order_by(Union.path)
    if scope is not None:
        stmt = stmt.where(Union.path.startswith(scope.path))
    return list(db.session.scalars(stmt))


def union_by_code(actor, code: str) -> Union:
    union = db.session.scalar(select(Union).where(Union.code == (code or "").strip()))
    if union is None:
        raise InvalidInput(f"找不到工会代码 {code}。", field="union_code")
    require_union_in_scope(actor, union)
    return union

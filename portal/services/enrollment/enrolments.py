"""Enrolments: who already covers a person, a member's own application and the union's answer,
the certificate, renewal and the nightly expiry.

The rosters and campaigns write covers too; they ask this module who already covers a person
(``blocking_stmt``, ``covered_conflict``), so the refusal reads the same wherever it comes from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from portal import clock
from portal.domain import enrollment as rules
from portal.domain.enrollment import ENROLMENT, EnrollmentAction
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_, Msgid, interpolate
from portal.domain.plans import cover_period
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, EnrollmentChannel, EnrollmentStatus, Member, Payer, Union
from portal.models.base import utcnow
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope
from portal.services.enrollment.plans import current_plan, eligibility_refusal
from portal.services.sms import queue_text
from portal.services.unit_of_work import savepoint, unit_of_work

STAFF_READERS = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)
CONFIRMERS = (Role.ADMIN, Role.UNION_OFFICER)
LIVE_STATUSES = (EnrollmentStatus.PENDING, EnrollmentStatus.ACTIVE)
CERTIFICATE_SALT = "enrollment-certificate"
ALREADY_DECIDED = N_("该申请已处理过，无需重复操作。")
APPLY_CHANNELS = (EnrollmentChannel.SELF_SERVICE, EnrollmentChannel.KIOSK)  # where a member applies


# --- Who already covers a person --------------------------------------------------------------

def blocking_stmt(start_day: date) -> Select:
    """Enrolments that stop a new cover starting on ``start_day``: a pending application, or
    a confirmed cover still running on that day (or starting later)."""
    return select(Enrollment).where(or_(
        Enrollment.status == EnrollmentStatus.PENDING,
        and_(Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.ends_on >= start_day),
    ))


def covered_reason(enrollment: Enrollment) -> tuple[Msgid, dict]:
    """Who covers this person already (msgid and parameters), said so that the other union
    knows whom to call."""
    pending = enrollment.status == EnrollmentStatus.PENDING
    if enrollment.campaign is not None:
        params = {"campaign": enrollment.campaign.name}
        if pending:
            return N_("已提交参保申请，正在等待“%(campaign)s”赠送项目确认，无需重复办理。"), params
        return (N_("已参保：由“%(campaign)s”赠送项目办理，保障期至%(ends_on)s，无需重复办理。"),
                {**params, "ends_on": enrollment.ends_on})
    params = {"who": enrollment.union.name if enrollment.union else N_("互助会")}
    if pending:
        return N_("已提交参保申请，正在等待%(who)s确认，无需重复办理。"), params
    return N_("已参保：由%(who)s办理，保障期至%(ends_on)s，无需重复办理。"), {**params, "ends_on": enrollment.ends_on}


def covered_message(enrollment: Enrollment) -> str:
    """The same in Chinese, for a roster's report (stored with the import, like every row's issue)."""
    msgid, params = covered_reason(enrollment)
    return interpolate(msgid, params)


def covered_conflict(enrollment: Enrollment, *, code: str | None = None) -> Conflict:
    msgid, params = covered_reason(enrollment)
    return Conflict(msgid, code=code, **params)


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


def staff_enrollment(actor, enrollment_id: int, *roles: Role) -> Enrollment:
    """An enrolment a staff member may see (or, with ``roles``, act on); ``NotFound`` otherwise."""
    require_role(actor, *(roles or STAFF_READERS))
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(N_("找不到该参保记录。"))
    require_union_in_scope(actor, enrollment.union)
    return enrollment


def member_enrollment(member: Member, enrollment_id: int) -> Enrollment:
    """One of the member's own enrolments; another person's is as good as missing."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.member_id != member.id:
        raise NotFound(N_("找不到该参保记录。"))
    return enrollment


def _notify(member: Member, enrollment: Enrollment, kind: str, **params) -> None:
    """The answer to the member's own application: sent whatever their reminder consent says,
    like claim decisions (the consent switch promises exactly that)."""
    if member.mobile:
        queue_text(member.mobile, kind=kind, params=params, member=member, subject=("enrollment", enrollment.id))


# --- Self-service -----------------------------------------------------------------------------

@unit_of_work
def apply_for_cover(member: Member, *, channel: str = EnrollmentChannel.SELF_SERVICE,
                    today: date | None = None) -> Enrollment:
    """A member asks their union to enrol them for the coming year, in the browser or at a kiosk
    (``channel``); a repeat, from either, gives the same application."""
    if channel not in APPLY_CHANNELS:
        raise ValueError(f"apply_for_cover: {channel!r} is not a channel a member applies through")
    today = today or clock.today()
    start, _ = cover_period(today)
    existing = blocking_enrollment(member.id, start)
    if existing is not None:
        if existing.status == EnrollmentStatus.PENDING and existing.channel in APPLY_CHANNELS:
            return existing  # a double submit: the first application stands
        raise covered_conflict(existing)
    if member.union_id is None:
        raise InvalidInput(N_("您尚未登记所在工会，请先联系工会经办人登记会员信息后再申请。"))
    if not member.is_verified:
        raise InvalidInput(N_("您的手机号尚未验证，请先完成短信验证。"))
    plan = current_plan()
    refusal = eligibility_refusal(plan.schedule().eligibility, member, on=start)
    if refusal is not None:
        raise refusal
    enrollment = Enrollment(
        member_id=member.id, plan_id=plan.id, union_id=member.union_id, plan_year=rules.plan_year_for(today),
        status=ENROLMENT.initial, channel=channel, payer=Payer.MEMBER,
        contribution_fen=plan.contribution_fen, applied_at=utcnow(),
    )
    try:
        with savepoint():  # the same member, at the same moment, from another tab
            db.session.add(enrollment)
    except Conflict as error:
        if error.code != "duplicate":
            raise
        existing = blocking_enrollment(member.id, start)
        if existing is not None and existing.status == EnrollmentStatus.PENDING:
            return existing
        raise Conflict(N_("您本年度已有参保记录，无需重复申请。")) from None
    audit.record(member, "enrollment.apply", "enrollment", enrollment.id, channel=channel)
    return enrollment


@unit_of_work
def confirm_application(actor, enrollment_id: int, *, today: date | None = None) -> Enrollment:
    """The union confirms a self-service application: cover starts tomorrow for a year."""
    today = today or clock.today()
    enrollment = staff_enrollment(actor, enrollment_id, *CONFIRMERS)
    if not ENROLMENT.can(enrollment.status, EnrollmentAction.CONFIRM):
        raise Conflict(ALREADY_DECIDED)
    start, end = cover_period(today)
    ENROLMENT.move(enrollment, EnrollmentAction.CONFIRM)
    enrollment.starts_on, enrollment.ends_on = start, end
    enrollment.is_renewal = rules.is_continuation(previous_cover_end(enrollment.member_id), start)
    enrollment.confirmed_at = utcnow()
    enrollment.confirmed_by_id = actor.id
    audit.record(actor, "enrollment.confirm", "enrollment", enrollment.id, member_id=enrollment.member_id)
    _notify(enrollment.member, enrollment, "enrollment_confirmed", starts_on=start, ends_on=end)
    return enrollment


@unit_of_work
def reject_application(actor, enrollment_id: int, *, reason: str) -> Enrollment:
    """The union does not confirm an application; the member is told why in the officer's words."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写不予确认的原因，会员会收到这条说明。"), field="reason")
    enrollment = staff_enrollment(actor, enrollment_id, *CONFIRMERS)
    if not ENROLMENT.can(enrollment.status, EnrollmentAction.REJECT):
        raise Conflict(ALREADY_DECIDED)
    ENROLMENT.move(enrollment, EnrollmentAction.REJECT)
    enrollment.cancelled_reason = reason[:200]
    audit.record(actor, "enrollment.reject", "enrollment", enrollment.id, reason_given=True)  # words: encrypted above
    _notify(enrollment.member, enrollment, "enrollment_rejected", reason=reason[:60])
    return enrollment


# --- The certificate ----------------------------------------------------------------------------

def certificate_token(enrollment: Enrollment) -> str:
    """A signed token naming only the enrolment's number: the QR code shows nothing personal."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CERTIFICATE_SALT).dumps(enrollment.id)


@unit_of_work
def certificate_for(member: Member, enrollment_id: int) -> Enrollment:
    """The member opens their certificate: a document view, so it is audited."""
    enrollment = member_enrollment(member, enrollment_id)
    if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED) or enrollment.starts_on is None:
        raise InvalidInput(N_("参保确认后才能查看电子参保凭证。"))
    audit.record(member, "enrollment.certificate_view", "enrollment", enrollment.id)
    return enrollment


# --- Renewal and expiry -------------------------------------------------------------------------

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


def has_later_cover():
    """Whether the enrolment's member already has a live cover after it (a correlated EXISTS)."""
    later = aliased(Enrollment)
    return select(later.id).where(
        later.member_id == Enrollment.member_id, later.id != Enrollment.id,
        later.status.in_(LIVE_STATUSES), or_(later.starts_on.is_(None), later.starts_on > Enrollment.ends_on),
    ).exists()


@dataclass(frozen=True)
class RenewalLine:
    member: Member
    ends_on: date  # the cover that ends
    starts_on: date  # the new one
    new_ends_on: date


@dataclass(frozen=True)
class RenewalPlan:
    """What 一键续保 would do, shown before it is done: who, until when, at what cost to the union."""

    lines: list[RenewalLine]
    already_covered: int
    contribution_fen: int  # per member
    total_fen: int
    fingerprint: str  # of the members listed: the confirmation renews exactly this list


def _fingerprint(member_ids) -> str:
    return hashlib.sha256(",".join(str(i) for i in sorted(member_ids)).encode()).hexdigest()[:32]


def renewal_plan(actor, union: Union, *, today: date | None = None) -> RenewalPlan:
    """The members a renewal run would carry into the next period, with the cost, for the officer to
    check before confirming."""
    today = today or clock.today()
    require_role(actor, *CONFIRMERS)
    require_union_in_scope(actor, union)
    report = RunReport(errors=[])
    plan = current_plan()
    rows = _renewal_rows(actor, union, plan, today, report)
    members = {member.id: member for member in db.session.scalars(
        select(Member).where(Member.id.in_([row["member_id"] for row in rows])))} if rows else {}
    previous = {enrollment_id: ends_on for enrollment_id, ends_on in db.session.execute(
        select(Enrollment.id, Enrollment.ends_on).where(Enrollment.id.in_([row["renews_id"] for row in rows])))}
    lines = sorted((RenewalLine(members[row["member_id"]], previous[row["renews_id"]], row["starts_on"],
                                row["ends_on"]) for row in rows), key=lambda line: (line.ends_on, line.member.id))
    return RenewalPlan(lines=lines, already_covered=report.already_covered, contribution_fen=plan.contribution_fen,
                       total_fen=plan.contribution_fen * len(rows),
                       fingerprint=_fingerprint(row["member_id"] for row in rows))


@unit_of_work
def renew_union(actor, union: Union, *, expected: str | None = None, today: date | None = None) -> RunReport:
    """Carry the union's covers that end soon (or just ended) into the next period, in one transaction.

    Members someone else already covers for the next period are counted as already covered;
    running it twice creates nothing the second time. ``expected``: the fingerprint of the list the
    officer checked (``renewal_plan``); when the list has changed since, nothing is renewed and the
    officer is asked to check it again — a confirmation never renews people nobody saw.
    """
    today = today or clock.today()
    require_role(actor, *CONFIRMERS)
    require_union_in_scope(actor, union)
    report = RunReport(errors=[])
    rows = _renewal_rows(actor, union, current_plan(), today, report)
    if expected is not None and expected != _fingerprint(row["member_id"] for row in rows):
        raise Conflict(N_("续保名单已有变化（有人参保、到期或调动），本次没有续保任何人。请重新核对名单后再确认。"),
                       code="renewal_list_changed")
    try:
        with savepoint():
            for chunk_start in range(0, len(rows), 1000):
                db.session.execute(insert(Enrollment), rows[chunk_start:chunk_start + 1000])
    except Conflict as error:
        if error.code != "duplicate":
            raise
        raise Conflict(N_("续保过程中有人为其中的会员办理了下一年度参保，本次续保未写入任何数据，请重试。")) from None
    report.created = len(rows)
    audit.record(actor, "enrollment.renew", "union", union.id, created=report.created,
                 already_covered=report.already_covered)
    return report


def _renewal_rows(actor, union: Union, plan, today: date, report: RunReport) -> list[dict]:
    """The new covers of a renewal run, one per member; members someone else already covers for
    the next period are counted in ``report`` instead."""
    candidates = db.session.execute(
        renewal_candidates_stmt(union, today).with_only_columns(
            Enrollment.id, Enrollment.member_id, Enrollment.ends_on, Enrollment.plan_year)
    )
    rows = []
    seen: set[int] = set()
    now = utcnow()
    for enrollment_id, member_id, ends_on, plan_year in list(candidates):
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
            "confirmed_at": now, "confirmed_by_id": getattr(actor, "id", None), "renews_id": enrollment_id,
            "created_at": now, "updated_at": now,
        })
    return rows


@unit_of_work
def expire_lapsed(*, today: date | None = None) -> int:
    """Mark covers whose year is over as expired (the daily sweep); returns how many changed."""
    today = today or clock.today()
    result = db.session.execute(
        update(Enrollment).where(Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.ends_on < today)
        .values(status=ENROLMENT.next(EnrollmentStatus.ACTIVE, EnrollmentAction.EXPIRE), updated_at=utcnow())
    )
    return result.rowcount

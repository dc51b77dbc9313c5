"""The work waiting for the signed-in staff member, counted in its scope: shown in the staff
navigation (refreshed by htmx) and on the dashboard. One COUNT per queue, on indexed status columns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.domain.claims import OPEN_FOR_REVIEW, ClaimStatus
from portal.domain.enrollment import EnrollmentStatus
from portal.domain.errors import PermissionDenied
from portal.domain.i18n import N_
from portal.domain.jobs import ApplicationStatus, ConcernStatus
from portal.domain.joining import JoinStatus
from portal.domain.roles import Role
from portal.domain.sync import EnvelopeStatus
from portal.extensions import db
from portal.models import Application, Claim, Concern, Enrollment, JoinRequest, Kiosk, Position, Station, SyncEnvelope
from portal.services.access import role_of, union_scope


@dataclass(frozen=True)
class QueueCount:
    key: str
    label: str  # N_-marked
    count: int
    endpoint: str
    args: dict


def _count(stmt) -> int:
    return db.session.scalar(stmt) or 0


def queue_counts(actor) -> list[QueueCount]:
    """The queues of the actor's role, each with how much is waiting in its scope (none for an account
    that has no union or enterprise to be scoped to)."""
    try:
        return _queue_counts(actor)
    except PermissionDenied:
        return []


def _queue_counts(actor) -> list[QueueCount]:
    role = role_of(actor)
    counts: list[QueueCount] = []
    if role in (Role.REVIEWER, Role.ADMIN):
        counts.append(QueueCount("claims_waiting", N_("待审理赔"), _count(
            select(func.count(Claim.id)).where(Claim.status.in_(OPEN_FOR_REVIEW))), "review.queue", {}))
    if role is Role.UNION_OFFICER:
        counts.append(QueueCount("claims_documents", N_("理赔待补材料"), _count(union_scope(
            select(func.count(Claim.id)).where(Claim.status == ClaimStatus.NEEDS_DOCUMENTS), actor, Claim.union_id)),
            "claims.index", {"status": ClaimStatus.NEEDS_DOCUMENTS.value}))
    if role in (Role.UNION_OFFICER, Role.ADMIN):
        counts.append(QueueCount("concerns", N_("学生反映待处理"), _count(union_scope(
            select(func.count(Concern.id)).where(Concern.status == ConcernStatus.OPEN), actor, Concern.union_id)),
            "jobs.union.overview", {}))
        counts.append(QueueCount("applications", N_("自助参保待确认"), _count(union_scope(
            select(func.count(Enrollment.id)).where(Enrollment.status == EnrollmentStatus.PENDING), actor,
            Enrollment.union_id)), "enrollment.applications", {}))
        counts.append(QueueCount("join_requests", N_("入会申请待确认"), _count(union_scope(
            select(func.count(JoinRequest.id)).where(JoinRequest.status == JoinStatus.SUBMITTED), actor,
            JoinRequest.union_id)), "joining.requests", {}))
        counts.append(QueueCount("kiosk_rejected", N_("终端未能办理的提交"), _count(union_scope(
            select(func.count(SyncEnvelope.id)).join(Kiosk, Kiosk.id == SyncEnvelope.kiosk_id)
            .join(Station, Station.id == Kiosk.station_id)
            .where(SyncEnvelope.status == EnvelopeStatus.REJECTED, SyncEnvelope.handled_at.is_(None)),
            actor, Station.union_id)), "stations.kiosks", {}))
    if role is Role.ENTERPRISE and actor.enterprise_id:
        counts.append(QueueCount("applications_to_answer", N_("学生报名待答复"), _count(
            select(func.count(Application.id)).join(Position, Position.id == Application.position_id)
            .where(Position.enterprise_id == actor.enterprise_id, Application.status == ApplicationStatus.SUBMITTED)),
            "jobs.enterprise.dashboard", {}))
    return counts

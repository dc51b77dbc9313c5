"""Concerns: a student's problem at work (unpaid wages, safety, hours) goes straight to the union
that watches over the enterprise, never through the enterprise, and the union answers by text."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_mobile
from portal.domain.jobs import ConcernAction, ConcernCategory, ConcernStatus, PlacementStatus
from portal.extensions import db
from portal.models import Concern, Placement, Union
from portal.models.base import utcnow
from portal.services import audit
from portal.services.jobs import access
from portal.services.sms import queue_text
from portal.services.unit_of_work import unit_of_work

MIN_LENGTH = 5  # fewer characters cannot say what happened
LATE_AFTER = timedelta(days=90)  # after the end, the union is reached directly
TEXT_EXCERPT = 60  # what of an answer fits in a text


@unit_of_work
def raise_concern(placement: Placement, *, category: str, description: str, via: str, actor=None) -> Concern:
    """A concern goes to the union that watches over the enterprise, never through the enterprise.

    ``placement`` was already authorised by the caller (the student's link or the parent's account).
    """
    category, description = _checked_concern(placement, category=category, description=description)
    concern = Concern(placement_id=placement.id, union_id=placement.union_id, category=category,
                      description=description, raised_via=via, status=rules.CONCERN.initial)
    db.session.add(concern)
    db.session.flush()
    officer_phone = _officer_mobile(db.session.get(Union, placement.union_id))
    if officer_phone:
        queue_text(officer_phone, kind="jobs_concern_raised", subject=("concern", concern.id),
                   params={"category": concern.category_label})
    audit.record(actor, "jobs.concern_raise", "concern", concern.id, placement_id=placement.id, via=via,
                 category=category.value)
    return concern


def _checked_concern(placement: Placement, *, category: str, description: str) -> tuple[ConcernCategory, str]:
    try:
        category = ConcernCategory(category)
    except ValueError:
        raise InvalidInput(N_("请选择问题类型。"), field="category") from None
    description = description.strip()
    if len(description) < MIN_LENGTH:
        raise InvalidInput(N_("请具体说明遇到的问题（至少5个字），工会经办人会尽快联系您。"), field="description")
    if (placement.status == PlacementStatus.FINISHED and placement.finished_at
            and (utcnow() - placement.finished_at).days > LATE_AFTER.days):
        raise Conflict(N_("实践结束已超过90天，请直接联系所在工会。"), code="too_late")
    description = description[:4000]
    already = db.session.scalar(select(Concern.id).where(
        Concern.placement_id == placement.id, Concern.status == ConcernStatus.OPEN,
        Concern.category == category, Concern.description == description))
    if already:
        raise Conflict(N_("同样的问题已提交，工会正在处理，请耐心等待答复。"), code="duplicate_concern")
    return category, description


def _officer_mobile(union: Union) -> str | None:
    try:
        return parse_mobile(union.contact_phone) if union.contact_phone else None
    except InvalidInput:
        return None  # a landline: the concern waits at the top of the union's list


@unit_of_work
def answer_concern(actor, concern_id, *, answer: str, now: datetime | None = None) -> Concern:
    """The union officer answers; the student is told by text."""
    concern = access.concern_in_scope(actor, concern_id, for_update=True)
    rules.check_move(rules.CONCERN, concern.status, ConcernAction.ANSWER, N_("该问题已答复。"), code="already_answered")
    answer = answer.strip()
    if len(answer) < MIN_LENGTH:
        raise InvalidInput(N_("请写明处理结果或下一步安排（至少5个字），学生会收到短信。"), field="answer")
    rules.CONCERN.move(concern, ConcernAction.ANSWER)
    concern.answer = answer[:4000]
    concern.answered_by_id = actor.id
    concern.answered_at = now or utcnow()
    student = concern.placement.student
    excerpt = answer[:TEXT_EXCERPT] + ("…" if len(answer) > TEXT_EXCERPT else "")
    queue_text(student.mobile, kind="jobs_concern_answered", subject=("concern", concern.id),
               params={"student": student.name, "category": concern.category_label, "answer": excerpt})
    audit.record(actor, "jobs.concern_answer", "concern", concern.id)
    return concern

"""Notices: the organiser texts the parents of every confirmed child of a class."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal import clock
from portal.domain.childcare import RegistrationStatus, notice_words
from portal.extensions import db
from portal.models.childcare import ClassNotice, Registration
from portal.services import audit
from portal.services.childcare.permissions import get_class, require_organiser_of
from portal.services.sms import queue_text
from portal.services.unit_of_work import unit_of_work

NOTICE_REPEAT_WINDOW = timedelta(minutes=2)


@unit_of_work
def send_notice(actor, class_id: int, body: str, *, now: datetime | None = None) -> ClassNotice:
    """Text a notice to the parents of every confirmed child (a class notice is essential service)."""
    now = now or clock.now()
    cls = get_class(class_id)
    require_organiser_of(actor, cls)
    body = notice_words(body)
    recent = db.session.scalar(select(ClassNotice).where(
        ClassNotice.class_id == cls.id, ClassNotice.body == body,
        ClassNotice.created_at > now - NOTICE_REPEAT_WINDOW).limit(1))
    if recent is not None:
        return recent  # a double submit: the parents already have it
    parents = {r.parent_id: r.parent for r in db.session.scalars(select(Registration).where(
        Registration.class_id == cls.id, Registration.status == RegistrationStatus.CONFIRMED))}
    notice = ClassNotice(class_id=cls.id, body=body, sent_by_id=actor.id, created_at=now)
    db.session.add(notice)
    db.session.flush()
    sent = 0
    for parent in parents.values():
        if parent.mobile:
            queue_text(parent.mobile, kind="childcare_notice", params={"class_name": cls.name, "notice": body},
                       member=parent, subject=("childcare_notice", notice.id))
            sent += 1
    notice.recipients = sent
    audit.record(actor, "childcare.notice", "childcare_class", cls.id, notice_id=notice.id, recipients=sent)
    return notice

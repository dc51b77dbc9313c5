"""The texts a parent receives about a child's place. Their words are templates in the childcare
section of ``portal.domain.texts``; here each kind gets its values. They are essential service
messages, sent whatever ``sms_consent`` says."""

from __future__ import annotations

from portal.domain.childcare import RegistrationStatus
from portal.extensions import db
from portal.models import Member
from portal.models.childcare import Registration
from portal.services.childcare.queries import waitlist_position
from portal.services.sms import queue_text


def _text_parent(registration: Registration, kind: str, **params) -> None:
    parent = registration.parent or db.session.get(Member, registration.parent_id)
    if parent is not None and parent.mobile:
        cls = registration.childcare_class
        queue_text(parent.mobile, kind=kind, member=parent, subject=("childcare_registration", registration.id),
                   params={"child": registration.child.masked_name, "class_name": cls.name, **params})


def _class_facts(registration: Registration) -> dict:
    cls = registration.childcare_class
    return {"starts_on": cls.starts_on, "hours": cls.hours_label, "site": cls.site_name}


def text_status(registration: Registration) -> None:
    """Where the registration stands now: requested for the draw, confirmed or wait-listed."""
    status = RegistrationStatus(registration.status)
    if status is RegistrationStatus.CONFIRMED:
        _text_parent(registration, "childcare_confirmed", number=registration.number, **_class_facts(registration))
    elif status is RegistrationStatus.WAITLISTED:
        _text_parent(registration, "childcare_waitlisted", position=waitlist_position(registration))
    elif status is RegistrationStatus.REQUESTED:
        _text_parent(registration, "childcare_requested", number=registration.number,
                     closes_on=registration.childcare_class.registration_closes_on)


def text_promoted(registration: Registration) -> None:
    _text_parent(registration, "childcare_promoted", **_class_facts(registration))


def text_cancelled_by_class(registration: Registration) -> None:
    """The class cancelled the registration; the organiser's reason, if any, goes along as typed."""
    reason = registration.cancel_reason
    _text_parent(registration, "childcare_cancelled", because=f"：{reason}" if reason else "")

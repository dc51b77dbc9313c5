"""Applications (报名): a parent applies for a child, withdraws, and the enterprise answers.

An answer moves the application from "submitted" with one conditional UPDATE, so a double click
(or two enterprise sessions) decides once; accepting takes a place first (``positions.take_place``)
and opens the placement, and the last place taken answers everyone still waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number
from portal.domain.jobs import ApplicationAction, ApplicationStatus
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Placement, Position, Student
from portal.models.base import utcnow
from portal.services import audit
from portal.services.access import require_role
from portal.services.jobs import access, placements, positions
from portal.services.sms import queue_text
from portal.services.unit_of_work import savepoint, unit_of_work

FULL_NOTE = N_("名额已满，感谢报名，欢迎关注其他爱心岗位。")
ALREADY_DECIDED = N_("该报名已被处理，请刷新页面查看。")
CANNOT_WITHDRAW = N_("企业已答复该报名，不能撤回。如需放弃实践，请联系企业和工会。")


# ---------------------------------------------------------------- applying

def submit(student: Student, position: Position, *, motivation: str, channel: str, actor, today: date) -> Application:
    """The checks and the row every channel shares (member, student with verification, kiosk)."""
    rules.check_student_age(parse_id_number(student.id_number, today=today), position.starts_on,
                            minimum_age=position.min_age)
    already = db.session.scalar(select(Application.id).where(
        Application.student_id == student.id, Application.position_id == position.id))
    live = db.session.scalar(select(func.count(Application.id)).where(
        Application.student_id == student.id, Application.status.in_(rules.LIVE_APPLICATION_STATUSES)))
    rules.check_can_apply(closed_reason=position.closed_reason_on(today), already_applied=already is not None,
                          live_applications=live)
    application = Application(student_id=student.id, position_id=position.id, status=rules.APPLICATION.initial,
                              motivation=motivation.strip()[:1000] or None, channel=channel,
                              is_priority=student.is_hardship_family)
    try:
        with savepoint():  # a double submit racing the check above
            db.session.add(application)
    except Conflict as lost:
        if lost.code != "duplicate":
            raise
        raise Conflict(N_("该学生已报名过这个岗位，无需重复报名。"), code="duplicate_application") from None
    audit.record(actor, "jobs.apply", "application", application.id, position_id=position.id, channel=channel)
    return application


@unit_of_work
def apply_for_child(member, student_id, position_id, *, motivation: str = "", today: date | None = None,
                    channel: str = "member") -> Application:
    """A member applies for their registered child (on the web, or at a kiosk: ``channel="kiosk"``)."""
    require_role(member, Role.MEMBER)
    student = access.child_of(member, student_id)
    position = access.public_position(position_id)
    return submit(student, position, motivation=motivation, channel=channel, actor=member,
                  today=today or clock.today())


@unit_of_work
def withdraw_application(member, application_id) -> Application:
    """The parent takes back an application the enterprise has not answered yet."""
    application = access.application_of_child(member, application_id)
    if not _answer(application, ApplicationAction.WITHDRAW):
        raise Conflict(CANNOT_WITHDRAW, code="already_decided")
    audit.record(member, "jobs.withdraw", "application", application.id)
    return application


def _answer(application: Application, action: ApplicationAction, **values) -> bool:
    """Move a submitted application along ``action`` in one conditional UPDATE; whether this call
    moved it (of two racing, the database lets one through)."""
    if not rules.APPLICATION.can(application.status, action):
        return False
    moved = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == ApplicationStatus.SUBMITTED)
        .values(status=rules.APPLICATION.next(ApplicationStatus.SUBMITTED, action), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(application)
    return bool(moved)


# ---------------------------------------------------------------- the enterprise's answer

@dataclass
class Decision:
    application: Application
    placement: Placement | None
    student_link_token: str | None  # shown once (it is texted to the student); only its hash is kept


@unit_of_work
def decide_application(actor, application_id, *, accept: bool, note: str = "",
                       link_for: Callable[[str], str] | None = None, today: date | None = None) -> Decision:
    """The enterprise accepts (a place is filled, a placement begins) or declines, with a note.

    ``link_for`` turns the student's new link token into the full address texted to them (the
    view knows the host name; a service never reads the request).
    """
    application = access.own_application(actor, application_id)
    position = application.position
    note = _checked_decision(application, position, accept=accept, note=note, today=today or clock.today())
    if accept:
        decision = _accept(actor, application, position, note=note, link_for=link_for)
    else:
        decision = _decline(actor, application, position, note=note)
    audit.record(actor, "jobs.accept" if accept else "jobs.decline", "application", application.id,
                 position_id=position.id, note_given=bool(note) or None)  # the words: on the application, encrypted
    return decision


def _checked_decision(application: Application, position: Position, *, accept: bool, note: str, today: date) -> str:
    rules.check_decision(application.status, accept=accept)
    note = note.strip()
    if not accept and not note:
        raise InvalidInput(N_("不录用时请写明原因或建议，学生会收到短信。"), field="note")
    if accept and position.ends_on < today:
        raise Conflict(N_("该岗位的实践期已经结束，不能再录用。"), code="position_over")
    return note


def _decided(actor, note: str) -> dict:
    return {"decision_note": note[:300] or None, "decided_at": utcnow(), "decided_by_id": actor.id}


def _accept(actor, application: Application, position: Position, *, note: str,
            link_for: Callable[[str], str] | None) -> Decision:
    # The position row first, then application rows: every accept locks in this order, so
    # closing a full position (which answers the others still waiting) cannot deadlock.
    positions.take_place(position)
    if not _answer(application, ApplicationAction.ACCEPT, **_decided(actor, note)):
        raise Conflict(ALREADY_DECIDED, code="already_decided")
    placement, token = placements.open_placement(application, position)
    if positions.close_if_full(position):
        _decline_waiting(position, actor)
    _tell_student(application, "accepted", enterprise=position.enterprise.name, month=position.starts_on.month,
                  day=position.starts_on.day, link=link_for(token) if link_for else f"/jobs/s/{token}")
    return Decision(application, placement, token)


def _decline(actor, application: Application, position: Position, *, note: str) -> Decision:
    if not _answer(application, ApplicationAction.DECLINE, **_decided(actor, note)):
        raise Conflict(ALREADY_DECIDED, code="already_decided")
    _tell_student(application, "declined", enterprise=position.enterprise.name, note=note[:60])
    return Decision(application, None, None)


def _decline_waiting(position: Position, actor) -> None:
    """A position just filled: answer everyone still waiting rather than leave them hoping."""
    waiting = db.session.scalars(select(Application).where(
        Application.position_id == position.id, Application.status == ApplicationStatus.SUBMITTED))
    for other in list(waiting):
        rules.APPLICATION.move(other, ApplicationAction.DECLINE)
        for name, value in _decided(actor, FULL_NOTE).items():
            setattr(other, name, value)
        _tell_student(other, "full")
        audit.record(actor, "jobs.decline", "application", other.id, position_id=position.id, note="full")


def _tell_student(application: Application, outcome: str, **params) -> None:
    student = application.student
    queue_text(student.mobile, kind="jobs_application_decided", subject=("application", application.id),
               params={"outcome": outcome, "student": student.name, "position": application.position.title,
                       **params})

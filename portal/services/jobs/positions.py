"""Caring positions (爱心岗位): posting, closing, and the places an accepted student takes.

Places are kept by the database, not by a read-then-write in Python: accepting moves
``positions.filled`` with one conditional UPDATE (``filled < places``), which PostgreSQL
re-evaluates after a concurrent writer commits, so two accepts for the last place cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.jobs import PayUnit, PositionAction, PositionStatus
from portal.domain.money import yuan_to_fen
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enterprise, Position
from portal.models.base import utcnow
from portal.services import audit
from portal.services.access import role_of
from portal.services.jobs import access
from portal.services.sms import queue_text
from portal.services.unit_of_work import unit_of_work

REPOST_WINDOW = timedelta(minutes=10)  # the same position posted again this soon is a double submit
REQUIRED_TEXTS = (("title", N_("岗位名称")), ("description", N_("岗位内容")), ("address", N_("工作地点")),
                  ("majors", N_("适合专业或技能")), ("hours", N_("工作时间")), ("safety_notes", N_("安全须知")))


@dataclass
class PositionDetails:
    title: str
    description: str
    district: str
    address: str
    majors: str
    places: int
    pay_yuan: str
    pay_unit: str
    starts_on: date
    ends_on: date
    apply_by: date
    hours: str
    min_age: int
    safety_notes: str
    agreement_confirmed: bool


@unit_of_work
def post_position(actor, details: PositionDetails, *, today: date | None = None) -> Position:
    """An approved enterprise posts a position; it waits for its union's approval before it is
    public (``review_position``)."""
    enterprise = access.enterprise_of(actor)
    pay_unit, pay_fen = _checked_terms(details, today=today or clock.today())
    repeat = _just_posted(enterprise, details, pay_fen)
    if repeat is not None:
        return repeat  # a double submit: the position is already published, once
    position = Position(
        enterprise_id=enterprise.id, union_id=enterprise.union_id, title=details.title.strip(),
        description=details.description.strip(), district=details.district.strip() or enterprise.district,
        address=details.address.strip(), majors=details.majors.strip(), places=details.places, filled=0,
        pay_fen=pay_fen, pay_unit=pay_unit, starts_on=details.starts_on, ends_on=details.ends_on,
        apply_by=details.apply_by, hours=details.hours.strip(), min_age=details.min_age,
        safety_notes=details.safety_notes.strip(), agreement_confirmed=True, status=rules.POSITION.initial,
        posted_by_id=actor.id,
    )
    db.session.add(position)
    db.session.flush()
    audit.record(actor, "jobs.position_post", "position", position.id, places=position.places, pay_fen=pay_fen)
    return position


def _checked_terms(details: PositionDetails, *, today: date) -> tuple[PayUnit, int]:
    """The pay unit and the pay in fen, once the terms are ones the programme accepts."""
    try:
        pay_unit = PayUnit(details.pay_unit)
    except ValueError:
        raise InvalidInput(N_("请选择报酬单位（元/天或元/月）。"), field="pay_unit") from None
    try:
        pay_fen = yuan_to_fen(details.pay_yuan)
    except InvalidInput as error:
        error.field = "pay"
        raise
    for field, label in REQUIRED_TEXTS:
        if not str(getattr(details, field) or "").strip():
            raise InvalidInput(N_("请填写%(label)s。"), field=field, label=label)
    rules.PositionTerms(
        places=details.places, pay_fen=pay_fen, pay_unit=pay_unit, starts_on=details.starts_on,
        ends_on=details.ends_on, apply_by=details.apply_by, min_age=details.min_age,
        agreement_and_insurance_confirmed=details.agreement_confirmed,
    ).check(today=today)
    return pay_unit, pay_fen


def _just_posted(enterprise: Enterprise, details: PositionDetails, pay_fen: int) -> Position | None:
    return db.session.scalar(select(Position).where(
        Position.enterprise_id == enterprise.id, Position.title == details.title.strip(),
        Position.starts_on == details.starts_on, Position.ends_on == details.ends_on,
        Position.places == details.places, Position.pay_fen == pay_fen,
        Position.created_at > utcnow() - REPOST_WINDOW).limit(1))


@unit_of_work
def review_position(actor, position_id, *, approve: bool, note: str = "", today: date | None = None,
                    now: datetime | None = None) -> Position:
    """The union approves a position of its area (it is public from now on) or turns it down with a
    reason; the enterprise's contact is told by text either way and reads the reason on its page."""
    position = access.position_in_scope(actor, position_id)
    action = PositionAction.APPROVE if approve else PositionAction.REJECT
    rules.check_move(rules.POSITION, position.status, action, N_("该岗位已审核（%(status)s），无需再次处理。"),
                     code="already_reviewed")
    note = note.strip()
    if not approve and not note:
        raise InvalidInput(N_("不通过时请写明原因，企业会收到短信。"), field="note")
    if approve and position.apply_by < (today or clock.today()):
        raise Conflict(N_("该岗位的报名截止日期已过，不能再发布。请退回并请企业修改日期后重新发布。"),
                       code="deadline_past")
    rules.POSITION.move(position, action)
    position.reviewed_by_id = actor.id
    position.reviewed_at = now or utcnow()
    position.review_note = note[:200] or None
    enterprise = position.enterprise
    params = {"outcome": "approved"} if approve else {"outcome": "rejected", "note": note[:60],
                                                      "union": enterprise.union.name}
    queue_text(enterprise.contact_mobile, kind="jobs_position_reviewed",
               params={"enterprise": enterprise.name, "position": position.id, **params},
               subject=("position", position.id))
    audit.record(actor, "jobs.position_approve" if approve else "jobs.position_reject", "position", position.id,
                 note=note or None)
    return position


@unit_of_work
def close_position(actor, position_id, *, reason: str = "") -> Position:
    """Take a position down: its enterprise (no longer needed) or the union (unsafe, misleading)."""
    if role_of(actor) == Role.ENTERPRISE:
        position, action = access.own_position(actor, position_id), PositionAction.WITHDRAW
    else:
        position, action = access.position_in_scope(actor, position_id), PositionAction.TAKE_DOWN
    rules.check_move(rules.POSITION, position.status, action, N_("该岗位已停止报名。"), code="already_closed")
    rules.POSITION.move(position, action)
    position.closed_reason = rules.CLOSED_REASONS[action]
    audit.record(actor, "jobs.position_close", "position", position.id, reason=reason.strip() or None)
    return position


@unit_of_work
def close_expired_positions(*, today: date | None = None) -> int:
    """Close every open position whose deadline has passed (run daily by the task queue or the CLI)."""
    today = today or clock.today()
    closed = _close_where(PositionAction.EXPIRE, Position.apply_by < today)
    # Still waiting for the union when applications would have closed: nothing left to approve.
    closed += _close_where(PositionAction.EXPIRE, Position.apply_by < today, waiting=PositionStatus.PENDING)
    if closed:
        audit.record(None, "jobs.positions_expire", "position", None, count=closed, day=today.isoformat())
    return closed


def take_place(position: Position) -> None:
    """One place of ``position`` for an accepted student; refused when none is left."""
    taken = db.session.execute(
        update(Position)
        .where(Position.id == position.id, Position.filled < Position.places, Position.status == PositionStatus.OPEN)
        .values(filled=Position.filled + 1).execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise Conflict(N_("该岗位名额已满（或已停止招募），不能再录用。如需增加名额，请发布新的岗位。"),
                       code="position_full")
    db.session.expire(position, ["filled"])


def close_if_full(position: Position) -> bool:
    """Stop applications once the last place is taken; whether this call closed it."""
    closed = _close_where(PositionAction.FILL, Position.id == position.id, Position.filled >= Position.places)
    db.session.expire(position, ["status", "closed_reason"])
    return bool(closed)


def _close_where(action: PositionAction, *conditions, waiting: PositionStatus = PositionStatus.OPEN) -> int:
    """Move the positions in ``waiting`` (open ones by default) matching ``conditions`` along
    ``action`` in one UPDATE (the database decides which are still open, so a concurrent close is
    never undone)."""
    return db.session.execute(
        update(Position).where(Position.status == waiting, *conditions)
        .values(status=rules.POSITION.next(waiting, action), closed_reason=rules.CLOSED_REASONS[action])
        .execution_options(synchronize_session=False)
    ).rowcount

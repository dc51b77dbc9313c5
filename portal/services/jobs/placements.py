"""Placements (上岗): the student's own link, agreement and insurance, weekly attendance, the end
with days and pay, the certificate, and the audited views of a student's contact details."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number
from portal.domain.jobs import PlacementAction, PlacementStatus
from portal.domain.money import yuan_to_fen
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, AttendanceReport, Placement, Position
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import role_of
from portal.services.jobs import access
from portal.services.sms import queue_text
from portal.services.unit_of_work import unit_of_work

MAX_HOURS_PER_WEEK = 7 * 8  # a student works at most 8 hours a day


def link_token_hash(token: str) -> str:
    """What is kept of the student's link token: a keyed hash, never the token."""
    return lookup_hash(f"jobs-placement-link:{token}")


def open_placement(application: Application, position: Position) -> tuple[Placement, str]:
    """The placement of an accepted application and the token of the student's own link."""
    token = secrets.token_urlsafe(24)
    placement = Placement(
        application_id=application.id, position_id=position.id, student_id=application.student_id,
        enterprise_id=position.enterprise_id, union_id=position.union_id, status=rules.PLACEMENT.initial,
        starts_on=position.starts_on, ends_on=position.ends_on, access_token_hash=link_token_hash(token),
    )
    db.session.add(placement)
    db.session.flush()
    return placement, token


def placement_for_token(token: str) -> Placement:
    """The student's own link (texted on acceptance) opens their placement, without an account."""
    placement = db.session.scalar(select(Placement).where(Placement.access_token_hash == link_token_hash(token or "")))
    if placement is None:
        raise NotFound(N_("链接无效或已失效。请使用录用短信中的链接，或请家长登录后查看。"))
    return placement


@unit_of_work
def record_agreement(actor, placement_id, *, agreement_signed_on: date, insurer: str, policy_no: str,
                     starts_on: date, today: date | None = None) -> Placement:
    """The signed agreement and the accident insurance: only then does the placement start."""
    today = today or clock.today()
    placement = access.own_placement(actor, placement_id)
    rules.check_move(rules.PLACEMENT, placement.status, PlacementAction.START, N_("协议和保险已登记。"),
                     code="already_recorded")
    if not insurer.strip() or not policy_no.strip():
        raise InvalidInput(N_("请填写承保保险公司和意外伤害保险保单号：没有保险不能上岗。"), field="policy_no")
    if agreement_signed_on > today:
        raise InvalidInput(N_("协议签订日期不能晚于今天。"), field="agreement_signed_on")
    if starts_on > placement.ends_on:
        raise InvalidInput(N_("开始日期不能晚于岗位结束日期。"), field="starts_on")
    if starts_on < agreement_signed_on:
        raise InvalidInput(N_("须先签协议后上岗：开始日期不能早于协议签订日期。"), field="starts_on")
    rules.check_student_age(parse_id_number(placement.student.id_number, today=today), starts_on,
                            minimum_age=placement.position.min_age)
    rules.PLACEMENT.move(placement, PlacementAction.START)
    placement.agreement_signed_on = agreement_signed_on
    placement.insurer = insurer.strip()[:80]
    placement.insurance_policy_no = policy_no.strip()[:60]
    placement.starts_on = starts_on
    student = placement.student
    queue_text(student.mobile, kind="jobs_placement_confirmed", subject=("placement", placement.id),
               params={"student": student.name, "enterprise": placement.enterprise.name,
                       "insurer": placement.insurer, "month": starts_on.month, "day": starts_on.day})
    audit.record(actor, "jobs.placement_confirm", "placement", placement.id, insurer=placement.insurer)
    return placement


@unit_of_work
def report_attendance(actor, placement_id, *, week: date, days_present: int, hours_worked: int | None,
                      note: str = "", today: date | None = None) -> AttendanceReport:
    """This week's attendance; reporting the same week again corrects it (one row per week)."""
    today = today or clock.today()
    placement = access.own_placement(actor, placement_id)
    if placement.status != PlacementStatus.UNDER_WAY:
        raise Conflict(N_("实践尚未开始（须先登记协议和保险）或已结束，不能填报出勤。"), code="not_under_way")
    monday = rules.week_starting(week)
    rules.check_attendance(week=monday, days_present=days_present, starts_on=placement.starts_on, today=today)
    if hours_worked is not None and not 0 <= hours_worked <= MAX_HOURS_PER_WEEK:
        raise InvalidInput(N_("每周工作时长应在0到56小时之间（学生每天不超过8小时）。"), field="hours_worked")
    report = db.session.scalar(select(AttendanceReport).where(
        AttendanceReport.placement_id == placement.id, AttendanceReport.week_starting == monday))
    if report is None:
        report = AttendanceReport(placement_id=placement.id, week_starting=monday)
        db.session.add(report)
    report.days_present = days_present
    report.hours_worked = hours_worked
    report.note = note.strip()[:300] or None
    report.reported_by_id = actor.id
    report.reported_at = utcnow()
    db.session.flush()
    audit.record(actor, "jobs.attendance", "placement", placement.id, week=monday.isoformat(), days=days_present)
    return report


@unit_of_work
def finish_placement(actor, placement_id, *, ends_on: date, days_worked: int, pay_received_yuan: str,
                     today: date | None = None) -> Placement:
    """Days worked and pay received at the end; the certificate becomes printable."""
    today = today or clock.today()
    placement = access.own_placement(actor, placement_id)
    rules.check_move(rules.PLACEMENT, placement.status, PlacementAction.FINISH, N_("只有实践中的记录可以结束。"),
                     code="not_under_way")
    try:
        pay_fen = yuan_to_fen(pay_received_yuan)
    except InvalidInput as error:
        error.field = "pay_received"
        raise
    if ends_on > today:
        raise InvalidInput(N_("结束日期不能晚于今天。"), field="ends_on")
    rules.check_completion(days_worked=days_worked, pay_received_fen=pay_fen, starts_on=placement.starts_on,
                           ends_on=ends_on)
    rules.PLACEMENT.move(placement, PlacementAction.FINISH)
    placement.ends_on = ends_on
    placement.days_worked = days_worked
    placement.pay_received_fen = pay_fen
    placement.finished_at = utcnow()
    placement.certificate_no = rules.certificate_number(ends_on.year, placement.id)
    expected = rules.expected_pay_fen(pay_fen=placement.position.pay_fen, pay_unit=placement.position.pay_unit,
                                      days_worked=days_worked)
    audit.record(actor, "jobs.placement_finish", "placement", placement.id, days_worked=days_worked,
                 pay_received_fen=pay_fen, expected_pay_fen=expected)
    return placement


def certificate(placement: Placement) -> Placement:
    """The practice certificate (实践证明) exists once the enterprise has recorded the end."""
    if placement.status != PlacementStatus.FINISHED:
        raise Conflict(N_("实践结束、企业登记实践天数和报酬后才能打印实践证明。"), code="not_finished")
    return placement


# ---------------------------------------------------------------- audited reads

@unit_of_work
def placement_contact(actor, placement_id) -> dict[str, str]:
    """The student's full mobile and ID number, for the accepting enterprise or the union; audited."""
    if role_of(actor) == Role.ENTERPRISE:
        placement = access.own_placement(actor, placement_id)
    else:
        placement = access.placement_in_scope(actor, placement_id)
    student = placement.student
    audit.record(actor, "jobs.contact_view", "student", student.id, placement_id=placement.id)
    return {"name": student.name, "mobile": student.mobile, "id_number": student.id_number}

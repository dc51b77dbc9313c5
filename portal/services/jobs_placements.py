"""Work-study placements: the enterprise's decision, agreement and insurance, weekly attendance,
the student's concerns, the end-of-placement record, the certificate and the union's view.

Capacity is kept by the database, not by a read-then-write in Python: accepting moves
``positions.filled`` with one conditional UPDATE (``filled < places``), which PostgreSQL
re-evaluates after a concurrent writer commits, so two accepts for the last place cannot both win.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.identity import mask_id_number, mask_name, parse_id_number, parse_mobile
from portal.domain.jobs import (
    ApplicationStatus,
    ConcernCategory,
    ConcernStatus,
    EnterpriseStatus,
    PlacementStatus,
    PositionStatus,
)
from portal.domain.money import fen_to_yuan, yuan_to_fen
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models import (
    Application,
    AttendanceReport,
    Concern,
    Enterprise,
    Placement,
    Position,
    Student,
    Union,
)
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, role_of, union_scope
from portal.services.jobs import enterprise_of, own_position, require_union_staff
from portal.services.sms import queue_text

FULL_NOTE = N_("名额已满，感谢报名，欢迎关注其他爱心岗位。")


def _token_hash(token: str) -> str:
    return lookup_hash(f"jobs-placement-link:{token}")


# ---------------------------------------------------------------- decisions

@dataclass
class Decision:
    application: Application
    placement: Placement | None
    student_link_token: str | None  # shown once (it is texted to the student); only its hash is kept


def decide_application(actor, application_id: int, *, accept: bool, note: str = "",
                       link_for: Callable[[str], str] | None = None, today: date | None = None) -> Decision:
    """The enterprise accepts (a place is filled, a placement begins) or declines, with a note.

    ``link_for`` turns the student's new link token into the full address texted to them (the
    view knows the host name; a service never reads the request).
    """
    today = today or clock.today()
    enterprise = enterprise_of(actor)
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound(N_("找不到该报名。"))
    position = own_position(actor, application.position_id)
    rules.check_decision(application.status, accept=accept)
    note = note.strip()
    if not accept and not note:
        raise InvalidInput(N_("不录用时请写明原因或建议，学生会收到短信。"), field="note")
    if accept and position.ends_on < today:
        raise Conflict(N_("该岗位的实践期已经结束，不能再录用。"), code="position_over")
    if accept:
        # The position row first, then application rows: every accept locks in this order, so
        # closing a full position (which answers the others still waiting) cannot deadlock.
        filled = db.session.execute(
            update(Position)
            .where(Position.id == position.id, Position.filled < Position.places,
                   Position.status == PositionStatus.OPEN)
            .values(filled=Position.filled + 1).execution_options(synchronize_session=False)
        ).rowcount
        if not filled:
            db.session.rollback()
            raise Conflict(N_("该岗位名额已满（或已停止招募），不能再录用。如需增加名额，请发布新的岗位。"),
                           code="position_full")
    # The application moves only from "submitted": a double click decides once.
    claimed = db.session.execute(
        update(Application).where(Application.id == application.id, Application.status == ApplicationStatus.SUBMITTED)
        .values(status=ApplicationStatus.ACCEPTED if accept else ApplicationStatus.DECLINED,
                decision_note=note[:300] or None, decided_at=utcnow(), decided_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Conflict(N_("该报名已被处理，请刷新页面查看。"), code="already_decided")
    student = application.student
    placement = token = None
    if accept:
        token = secrets.token_urlsafe(24)
        link = link_for(token) if link_for else f"/jobs/s/{token}"
        placement = Placement(
            application_id=application.id, position_id=position.id, student_id=student.id,
            enterprise_id=enterprise.id, union_id=position.union_id, status=PlacementStatus.CONFIRMED,
            starts_on=position.starts_on, ends_on=position.ends_on, access_token_hash=_token_hash(token),
        )
        db.session.add(placement)
        db.session.flush()
        now_full = db.session.execute(
            update(Position).where(Position.id == position.id, Position.filled >= Position.places)
            .values(status=PositionStatus.CLOSED, closed_reason="full").execution_options(synchronize_session=False)
        ).rowcount
        if now_full:
            _decline_waiting(position, actor)
        queue_text(student.mobile,
                   f"{student.name}同学，{enterprise.name}已录用您到“{position.title}”实践，"
                   f"{position.starts_on.month}月{position.starts_on.day}日开始。企业将与您签订协议并购买意外保险。"
                   f"您的实践页面（查看进度、反映问题、打印实践证明）：{link}",
                   kind="jobs_application_decided", subject=("application", application.id))
    else:
        queue_text(student.mobile,
                   f"{student.name}同学，您报名的“{position.title}”（{enterprise.name}）未被录用：{note[:60]}",
                   kind="jobs_application_decided", subject=("application", application.id))
    audit.record(actor, "jobs.accept" if accept else "jobs.decline", "application", application.id,
                 position_id=position.id, note=note or None)
    db.session.commit()
    db.session.refresh(application)
    return Decision(application, placement, token)


def _decline_waiting(position: Position, actor) -> None:
    """A position just filled: answer everyone still waiting rather than leave them hoping."""
    waiting = list(db.session.scalars(select(Application).where(
        Application.position_id == position.id, Application.status == ApplicationStatus.SUBMITTED)))
    for other in waiting:
        other.status = ApplicationStatus.DECLINED
        other.decision_note = FULL_NOTE
        other.decided_at = utcnow()
        other.decided_by_id = actor.id
        queue_text(other.student.mobile, f"{other.student.name}同学，您报名的“{position.title}”{FULL_NOTE}",
                   kind="jobs_application_decided", subject=("application", other.id))
        audit.record(actor, "jobs.decline", "application", other.id, position_id=position.id, note="full")


# ---------------------------------------------------------------- placements (enterprise)

def own_application(actor, application_id: int) -> Application:
    """An application to one of the actor's own positions."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound(N_("找不到该报名。"))
    own_position(actor, application.position_id)
    return application


def own_placement(actor, placement_id: int) -> Placement:
    enterprise = enterprise_of(actor)
    placement = db.session.get(Placement, placement_id)
    if placement is None:
        raise NotFound(N_("找不到该实践记录。"))
    if placement.enterprise_id != enterprise.id:
        raise PermissionDenied(N_("该学生不在您的企业实践，不能查看或处理。"))
    return placement


def enterprise_placements(actor) -> list[Placement]:
    enterprise = enterprise_of(actor)
    return list(db.session.scalars(
        select(Placement).where(Placement.enterprise_id == enterprise.id)
        .options(joinedload(Placement.student), joinedload(Placement.position)).order_by(Placement.id.desc())
    ))


def record_agreement(actor, placement_id: int, *, agreement_signed_on: date, insurer: str, policy_no: str,
                     starts_on: date, today: date | None = None) -> Placement:
    """The signed agreement and the accident insurance: only then does the placement start."""
    today = today or clock.today()
    placement = own_placement(actor, placement_id)
    if placement.status != PlacementStatus.CONFIRMED:
        raise Conflict(N_("协议和保险已登记。"), code="already_recorded")
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
    placement.agreement_signed_on = agreement_signed_on
    placement.insurer = insurer.strip()[:80]
    placement.insurance_policy_no = policy_no.strip()[:60]
    placement.starts_on = starts_on
    placement.status = PlacementStatus.UNDER_WAY
    student = placement.student
    queue_text(student.mobile,
               f"{student.name}同学，您在{placement.enterprise.name}的实践已确认：协议已签，意外保险已投保"
               f"（{placement.insurer}），{starts_on.month}月{starts_on.day}日上岗。遇到问题可在实践页面向工会反映。",
               kind="jobs_placement_confirmed", subject=("placement", placement.id))
    audit.record(actor, "jobs.placement_confirm", "placement", placement.id, insurer=placement.insurer)
    db.session.commit()
    return placement


def report_attendance(actor, placement_id: int, *, week: date, days_present: int, hours_worked: int | None,
                      note: str = "", today: date | None = None) -> AttendanceReport:
    """This week's attendance; reporting the same week again corrects it (one row per week)."""
    today = today or clock.today()
    placement = own_placement(actor, placement_id)
    if placement.status != PlacementStatus.UNDER_WAY:
        raise Conflict(N_("实践尚未开始（须先登记协议和保险）或已结束，不能填报出勤。"), code="not_under_way")
    monday = rules.week_starting(week)
    rules.check_attendance(week=monday, days_present=days_present, starts_on=placement.starts_on, today=today)
    if hours_worked is not None and not 0 <= hours_worked <= 7 * 8:
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
    db.session.commit()
    return report


def finish_placement(actor, placement_id: int, *, ends_on: date, days_worked: int, pay_received_yuan: str,
                     today: date | None = None) -> Placement:
    """Days worked and pay received at the end; the certificate becomes printable."""
    today = today or clock.today()
    placement = own_placement(actor, placement_id)
    if placement.status != PlacementStatus.UNDER_WAY:
        raise Conflict(N_("只有实践中的记录可以结束。"), code="not_under_way")
    try:
        pay_fen = yuan_to_fen(pay_received_yuan)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="pay_received") from None
    if ends_on > today:
        raise InvalidInput(N_("结束日期不能晚于今天。"), field="ends_on")
    rules.check_completion(days_worked=days_worked, pay_received_fen=pay_fen, starts_on=placement.starts_on,
                           ends_on=ends_on)
    placement.ends_on = ends_on
    placement.days_worked = days_worked
    placement.pay_received_fen = pay_fen
    placement.status = PlacementStatus.FINISHED
    placement.finished_at = utcnow()
    placement.certificate_no = rules.certificate_number(ends_on.year, placement.id)
    expected = rules.expected_pay_fen(pay_fen=placement.position.pay_fen, pay_unit=placement.position.pay_unit,
                                      days_worked=days_worked)
    audit.record(actor, "jobs.placement_finish", "placement", placement.id, days_worked=days_worked,
                 pay_received_fen=pay_fen, expected_pay_fen=expected)
    db.session.commit()
    return placement


def placement_contact(actor, placement_id: int) -> dict[str, str]:
    """The student's full mobile and ID number, for the accepting enterprise or the union; audited."""
    if role_of(actor) == Role.ENTERPRISE:
        placement = own_placement(actor, placement_id)
    else:
        placement = union_placement(actor, placement_id)
    student = placement.student
    audit.record(actor, "jobs.contact_view", "student", student.id, placement_id=placement.id)
    db.session.commit()
    return {"name": student.name, "mobile": student.mobile, "id_number": student.id_number}


# ---------------------------------------------------------------- the student's side

def placement_for_token(token: str) -> Placement:
    """The student's own link (texted on acceptance) opens their placement, without an account."""
    placement = db.session.scalar(select(Placement).where(Placement.access_token_hash == _token_hash(token or "")))
    if placement is None:
        raise NotFound(N_("链接无效或已失效。请使用录用短信中的链接，或请家长登录后查看。"))
    return placement


def member_placement(member, placement_id: int) -> Placement:
    require_role(member, Role.MEMBER)
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.student.parent_member_id != member.id:
        raise NotFound(N_("找不到该实践记录。"))
    return placement


def placements_of_member(member) -> list[Placement]:
    require_role(member, Role.MEMBER)
    return list(db.session.scalars(
        select(Placement).join(Student).where(Student.parent_member_id == member.id).order_by(Placement.id.desc())))


def raise_concern(placement: Placement, *, category: str, description: str, via: str,
                  actor=None) -> Concern:
    """A concern goes to the union that watches over the enterprise, never through the enterprise.

    ``placement`` was already authorised by the caller (the student's link or the parent's account).
    """
    try:
        category = ConcernCategory(category)
    except ValueError:
        raise InvalidInput(N_("请选择问题类型。"), field="category") from None
    description = description.strip()
    if len(description) < 5:
        raise InvalidInput(N_("请具体说明遇到的问题（至少5个字），工会经办人会尽快联系您。"), field="description")
    if placement.status == PlacementStatus.FINISHED and placement.finished_at and \
            (utcnow() - placement.finished_at).days > 90:
        raise Conflict(N_("实践结束已超过90天，请直接联系所在工会。"), code="too_late")
    recent_same = db.session.scalar(select(Concern.id).where(
        Concern.placement_id == placement.id, Concern.status == ConcernStatus.OPEN,
        Concern.category == category, Concern.description == description[:4000]))
    if recent_same:
        raise Conflict(N_("同样的问题已提交，工会正在处理，请耐心等待答复。"), code="duplicate_concern")
    concern = Concern(placement_id=placement.id, union_id=placement.union_id, category=category,
                      description=description[:4000], raised_via=via, status=ConcernStatus.OPEN)
    db.session.add(concern)
    db.session.flush()
    union = db.session.get(Union, placement.union_id)
    try:
        officer_phone = parse_mobile(union.contact_phone) if union.contact_phone else None
    except InvalidInput:
        officer_phone = None  # a landline: the concern waits at the top of the union's list
    if officer_phone:
        queue_text(officer_phone, f"勤工俭学学生反映问题（{concern.category_label}），请登录平台尽快处理。",
                   kind="jobs_concern_raised", subject=("concern", concern.id))
    audit.record(actor, "jobs.concern_raise", "concern", concern.id, placement_id=placement.id, via=via,
                 category=category.value)
    db.session.commit()
    return concern


def certificate(placement: Placement) -> Placement:
    """The practice certificate (实践证明) exists once the enterprise has recorded the end."""
    if placement.status != PlacementStatus.FINISHED:
        raise Conflict(N_("实践结束、企业登记实践天数和报酬后才能打印实践证明。"), code="not_finished")
    return placement


# ---------------------------------------------------------------- the union's side

def union_placement(actor, placement_id: int) -> Placement:
    require_union_staff(actor)
    placement = db.session.get(Placement, placement_id)
    if placement is None:
        raise NotFound(N_("找不到该实践记录。"))
    require_union_in_scope(actor, placement.union)
    return placement


def answer_concern(actor, concern_id: int, *, answer: str, now: datetime | None = None) -> Concern:
    """The union officer answers; the student is told by text."""
    require_union_staff(actor)
    concern = db.session.get(Concern, concern_id, with_for_update=True)
    if concern is None:
        raise NotFound(N_("找不到该问题。"))
    require_union_in_scope(actor, db.session.get(Union, concern.union_id))
    if concern.status != ConcernStatus.OPEN:
        raise Conflict(N_("该问题已答复。"), code="already_answered")
    answer = answer.strip()
    if len(answer) < 5:
        raise InvalidInput(N_("请写明处理结果或下一步安排（至少5个字），学生会收到短信。"), field="answer")
    concern.status = ConcernStatus.ANSWERED
    concern.answer = answer[:4000]
    concern.answered_by_id = actor.id
    concern.answered_at = now or utcnow()
    student = concern.placement.student
    queue_text(student.mobile, f"{student.name}同学，您反映的“{concern.category_label}”问题工会已答复："
                               f"{answer[:60]}{'…' if len(answer) > 60 else ''}",
               kind="jobs_concern_answered", subject=("concern", concern.id))
    audit.record(actor, "jobs.concern_answer", "concern", concern.id)
    db.session.commit()
    return concern


@dataclass
class Figures:
    """The figures the newspaper reports: enterprises, positions, students placed, average pay."""

    enterprises: int
    enterprises_pending: int
    positions: int
    places: int
    places_filled: int
    students_placed: int
    placements_under_way: int
    placements_finished: int
    average_pay_fen: int | None  # per finished placement
    average_daily_pay_fen: int | None  # total pay / total days worked
    open_concerns: int


def union_figures(actor) -> Figures:
    require_union_staff(actor)

    def count(stmt, column):
        return db.session.scalar(union_scope(stmt, actor, column)) or 0

    finished = list(db.session.execute(union_scope(
        select(Placement.pay_received_fen, Placement.days_worked).where(Placement.status == PlacementStatus.FINISHED),
        actor, Placement.union_id)).all())
    total_days = sum(days or 0 for _, days in finished)
    total_pay = sum(pay or 0 for pay, _ in finished)
    return Figures(
        enterprises=count(select(func.count(Enterprise.id)).where(Enterprise.status == EnterpriseStatus.APPROVED),
                          Enterprise.union_id),
        enterprises_pending=count(
            select(func.count(Enterprise.id)).where(Enterprise.status == EnterpriseStatus.PENDING),
            Enterprise.union_id),
        positions=count(select(func.count(Position.id)), Position.union_id),
        places=count(select(func.coalesce(func.sum(Position.places), 0)), Position.union_id),
        places_filled=count(select(func.coalesce(func.sum(Position.filled), 0)), Position.union_id),
        students_placed=count(select(func.count(func.distinct(Placement.student_id))), Placement.union_id),
        placements_under_way=count(select(func.count(Placement.id)).where(
            Placement.status == PlacementStatus.UNDER_WAY), Placement.union_id),
        placements_finished=len(finished),
        average_pay_fen=rules.average_fen(pay or 0 for pay, _ in finished),
        average_daily_pay_fen=rules.pay_per_day_fen(total_pay, total_days),
        open_concerns=count(select(func.count(Concern.id)).where(Concern.status == ConcernStatus.OPEN),
                            Concern.union_id),
    )


def union_concerns(actor, *, limit: int = 100) -> list[Concern]:
    """Open concerns first (oldest first: the longest waiting), then the latest answered ones."""
    require_union_staff(actor)
    stmt = union_scope(select(Concern), actor, Concern.union_id).options(
        joinedload(Concern.placement).joinedload(Placement.student),
        joinedload(Concern.placement).joinedload(Placement.enterprise))
    open_rows = db.session.scalars(stmt.where(Concern.status == ConcernStatus.OPEN).order_by(Concern.id)).all()
    answered = db.session.scalars(
        stmt.where(Concern.status != ConcernStatus.OPEN).order_by(Concern.id.desc()).limit(limit)).all()
    return [*open_rows, *answered]


def union_enterprises(actor, *, status: str | None = None) -> list[Enterprise]:
    """Pending enterprises first: they wait for this officer."""
    require_union_staff(actor)
    stmt = union_scope(select(Enterprise), actor, Enterprise.union_id)
    if status:
        stmt = stmt.where(Enterprise.status == status)
    rows = list(db.session.scalars(stmt.order_by(Enterprise.id)))
    rows.sort(key=lambda e: (e.status != EnterpriseStatus.PENDING, e.name))
    return rows


def union_positions(actor, *, limit: int = 500) -> list[Position]:
    require_union_staff(actor)
    return list(db.session.scalars(
        union_scope(select(Position), actor, Position.union_id).options(joinedload(Position.enterprise))
        .order_by(Position.id.desc()).limit(limit)))


def union_applications(actor, *, status: str | None = None, limit: int = 500) -> list[Application]:
    require_union_staff(actor)
    stmt = union_scope(select(Application).join(Position), actor, Position.union_id).options(
        joinedload(Application.student).joinedload(Student.parent), joinedload(Application.position))
    if status:
        stmt = stmt.where(Application.status == status)
    return list(db.session.scalars(stmt.order_by(Application.id.desc()).limit(limit)))


def union_placements(actor) -> list[Placement]:
    require_union_staff(actor)
    return list(db.session.scalars(
        union_scope(select(Placement), actor, Placement.union_id)
        .options(joinedload(Placement.student).joinedload(Student.parent), joinedload(Placement.enterprise),
                 joinedload(Placement.position))
        .order_by(Placement.status, Placement.id.desc())))


EXPORT_HEADERS = ["企业", "统一社会信用代码", "岗位", "学生", "身份证号码（脱敏）", "学校", "专业", "困难职工家庭",
                  "状态", "开始日期", "结束日期", "协议签订日期", "保险公司", "保单号", "出勤周数", "实践天数",
                  "报酬（元）", "待处理问题"]


def export_placements(actor) -> bytes:
    """The union's placements as an Excel file (ID numbers masked); the export is audited."""
    placements = union_placements(actor)
    rows = []
    for p in placements:
        rows.append([
            p.enterprise.name, p.enterprise.uscc, p.position.title, mask_name(p.student.name),
            mask_id_number(p.student.id_number), p.student.school, p.student.major,
            "是" if p.student.is_hardship_family else "否", p.status_label, p.starts_on, p.ends_on,
            p.agreement_signed_on, p.insurer, p.insurance_policy_no, len(p.reports), p.days_worked,
            None if p.pay_received_fen is None else fen_to_yuan(p.pay_received_fen),
            sum(1 for c in p.concerns if c.status == ConcernStatus.OPEN),
        ])
    audit.record(actor, "jobs.export", "placement", None, rows=len(rows))
    db.session.commit()
    return write_xlsx(EXPORT_HEADERS, rows, sheet="上岗情况", text_columns=(1, 4, 13))

"""Read models of the work-study pages: the public listing, a parent's children, an enterprise's
positions and applicants, and the union's overview. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import jobs as rules
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.jobs import (
    ApplicationStatus,
    ConcernStatus,
    EnterpriseStatus,
    PayUnit,
    PlacementStatus,
    PositionStatus,
)
from portal.domain.money import yuan_to_fen
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Concern, Enterprise, Placement, Position, Student
from portal.services.access import require_role, union_scope
from portal.services.jobs import access

DAYS_PER_MONTH = 21  # a monthly pay compared with daily ones in the listing's filter


# ---------------------------------------------------------------- the public listing

@dataclass
class PositionFilters:
    district: str = ""
    major: str = ""
    min_pay_yuan: str = ""  # per day; a monthly pay counts as a 21-day month
    available_from: date | None = None
    available_to: date | None = None

    def as_args(self) -> dict[str, str]:
        args = {"district": self.district, "major": self.major, "min_pay": self.min_pay_yuan,
                "from": self.available_from.isoformat() if self.available_from else "",
                "to": self.available_to.isoformat() if self.available_to else ""}
        return {key: value for key, value in args.items() if value}


def _open_positions(today: date):
    return (
        select(Position).join(Enterprise, Enterprise.id == Position.enterprise_id)
        .where(Position.status == PositionStatus.OPEN, Position.apply_by >= today,
               Position.filled < Position.places, Enterprise.status == EnterpriseStatus.APPROVED)
    )


def search_positions(filters: PositionFilters, *, today: date | None = None, page: int = 1,
                     per_page: int = 20) -> tuple[list[Position], int]:
    """Open positions anyone may browse, filtered; ``InvalidInput`` for a filter that makes no sense."""
    stmt = _open_positions(today or clock.today())
    if filters.district:
        stmt = stmt.where(Position.district == filters.district)
    if filters.major.strip():
        pattern = f"%{filters.major.strip()}%"
        stmt = stmt.where(or_(Position.majors.ilike(pattern), Position.title.ilike(pattern)))
    if filters.min_pay_yuan.strip():
        try:
            minimum = yuan_to_fen(filters.min_pay_yuan)
        except InvalidInput:
            raise InvalidInput(N_("最低日薪请填写数字，例如 120。"), field="min_pay") from None
        daily = case((Position.pay_unit == PayUnit.DAY, Position.pay_fen), else_=Position.pay_fen / DAYS_PER_MONTH)
        stmt = stmt.where(daily >= minimum)
    if filters.available_from and filters.available_to and filters.available_to < filters.available_from:
        raise InvalidInput(N_("“可实践至”不能早于“可实践自”。"), field="to")
    if filters.available_from:
        stmt = stmt.where(Position.starts_on >= filters.available_from)
    if filters.available_to:
        stmt = stmt.where(Position.ends_on <= filters.available_to)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(
        stmt.options(joinedload(Position.enterprise)).order_by(Position.starts_on, Position.id)
        .offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total


def listing_districts(*, today: date | None = None) -> list[str]:
    stmt = _open_positions(today or clock.today()).with_only_columns(Position.district).distinct()
    return list(db.session.scalars(stmt.order_by(Position.district)))


# ---------------------------------------------------------------- a parent's side

def students_of(member) -> list[Student]:
    require_role(member, Role.MEMBER)
    return list(db.session.scalars(select(Student).where(Student.parent_member_id == member.id).order_by(Student.id)))


def applications_of_member(member) -> list[Application]:
    require_role(member, Role.MEMBER)
    return list(db.session.scalars(
        select(Application).join(Student).where(Student.parent_member_id == member.id)
        .options(joinedload(Application.position).joinedload(Position.enterprise))
        .order_by(Application.id.desc())
    ))


def placements_of_member(member) -> list[Placement]:
    require_role(member, Role.MEMBER)
    return list(db.session.scalars(
        select(Placement).join(Student).where(Student.parent_member_id == member.id).order_by(Placement.id.desc())))


# ---------------------------------------------------------------- the enterprise's side

def enterprise_positions(actor) -> tuple[Enterprise, list[tuple[Position, int]]]:
    """The enterprise's positions with the number of applications waiting for an answer."""
    enterprise = access.enterprise_of(actor)
    waiting = (select(Application.position_id, func.count(Application.id).label("n"))
               .where(Application.status == ApplicationStatus.SUBMITTED).group_by(Application.position_id).subquery())
    rows = db.session.execute(
        select(Position, func.coalesce(waiting.c.n, 0)).outerjoin(waiting, waiting.c.position_id == Position.id)
        .where(Position.enterprise_id == enterprise.id).order_by(Position.id.desc())
    ).all()
    return enterprise, [(position, count) for position, count in rows]


def position_applications(actor, position_id) -> tuple[Position, list[Application]]:
    """Applications to one of the enterprise's positions: waiting ones first, hardship families first."""
    position = access.own_position(actor, position_id)
    applications = list(db.session.scalars(
        select(Application).where(Application.position_id == position.id)
        .options(joinedload(Application.student).joinedload(Student.parent))
    ))
    applications.sort(key=lambda a: (a.status != ApplicationStatus.SUBMITTED,
                                     rules.priority_key(is_hardship_family=a.is_priority, applied_order=a.id)))
    return position, applications


def enterprise_placements(actor) -> list[Placement]:
    enterprise = access.enterprise_of(actor)
    return list(db.session.scalars(
        select(Placement).where(Placement.enterprise_id == enterprise.id)
        .options(joinedload(Placement.student), joinedload(Placement.position)).order_by(Placement.id.desc())
    ))


# ---------------------------------------------------------------- the union's side

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
    access.require_union_staff(actor)

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
        # 实践中 as ``rules.placement_shown`` words it: started, not merely agreed and insured.
        placements_under_way=count(select(func.count(Placement.id)).where(
            Placement.status == PlacementStatus.UNDER_WAY, Placement.starts_on <= clock.today()), Placement.union_id),
        placements_finished=len(finished),
        average_pay_fen=rules.average_fen(pay or 0 for pay, _ in finished),
        average_daily_pay_fen=rules.pay_per_day_fen(total_pay, total_days),
        open_concerns=count(select(func.count(Concern.id)).where(Concern.status == ConcernStatus.OPEN),
                            Concern.union_id),
    )


def union_concerns(actor, *, limit: int = 100) -> list[Concern]:
    """Open concerns first (oldest first: the longest waiting), then the latest answered ones."""
    access.require_union_staff(actor)
    stmt = union_scope(select(Concern), actor, Concern.union_id).options(
        joinedload(Concern.placement).joinedload(Placement.student),
        joinedload(Concern.placement).joinedload(Placement.enterprise))
    open_rows = db.session.scalars(stmt.where(Concern.status == ConcernStatus.OPEN).order_by(Concern.id)).all()
    answered = db.session.scalars(
        stmt.where(Concern.status != ConcernStatus.OPEN).order_by(Concern.id.desc()).limit(limit)).all()
    return [*open_rows, *answered]


def union_enterprises_stmt(actor, *, status: str | None = None) -> Select:
    """The area's enterprises, pending ones first (they wait for this officer), then by name."""
    access.require_union_staff(actor)
    stmt = union_scope(select(Enterprise).options(joinedload(Enterprise.union)), actor, Enterprise.union_id)
    if status:
        stmt = stmt.where(Enterprise.status == status)
    return stmt.order_by(case((Enterprise.status == EnterpriseStatus.PENDING, 0), else_=1), Enterprise.name,
                         Enterprise.id)


def union_enterprises(actor, *, status: str | None = None) -> list[Enterprise]:
    return list(db.session.scalars(union_enterprises_stmt(actor, status=status)))


def union_positions_stmt(actor, *, status: str | None = None) -> Select:
    """The area's positions, those waiting for the union's approval first, then the newest."""
    access.require_union_staff(actor)
    stmt = union_scope(select(Position), actor, Position.union_id).options(joinedload(Position.enterprise))
    if status:
        stmt = stmt.where(Position.status == status)
    return stmt.order_by(case((Position.status == PositionStatus.PENDING, 0), else_=1), Position.id.desc())


def union_positions(actor, *, status: str | None = None, limit: int = 500) -> list[Position]:
    return list(db.session.scalars(union_positions_stmt(actor, status=status).limit(limit)))


def union_applications_stmt(actor, *, status: str | None = None) -> Select:
    access.require_union_staff(actor)
    stmt = union_scope(select(Application).join(Position), actor, Position.union_id).options(
        joinedload(Application.student).joinedload(Student.parent),
        joinedload(Application.position).joinedload(Position.enterprise))
    if status:
        stmt = stmt.where(Application.status == status)
    return stmt.order_by(Application.id.desc())


def union_applications(actor, *, status: str | None = None, limit: int = 500) -> list[Application]:
    return list(db.session.scalars(union_applications_stmt(actor, status=status).limit(limit)))


def union_placements_stmt(actor) -> Select:
    access.require_union_staff(actor)
    return (union_scope(select(Placement), actor, Placement.union_id)
            .options(joinedload(Placement.student).joinedload(Student.parent), joinedload(Placement.enterprise),
                     joinedload(Placement.position))
            .order_by(Placement.status, Placement.id.desc()))


def union_placements(actor) -> list[Placement]:
    return list(db.session.scalars(union_placements_stmt(actor)))

"""Builders for test data: real rows through the real models, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date

from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, StaffUser, Union, UnionKind, add_union

PASSWORD = "correct-horse-42"
TODAY = date(2026, 7, 1)
_sequence = itertools.count(1)


def create_union(code: str | None = None, name: str | None = None, parent: Union | None = None,
                 kind: UnionKind = UnionKind.GRASSROOTS) -> Union:
    number = next(_sequence)
    union = add_union(code or f"U{number:04d}", name or f"测试工会{number}", kind, parent)
    db.session.commit()
    return union


def create_member(*, union: Union | None = None, name: str = "张三", birth: date = date(1990, 3, 15),
                  region: str = "320213", mobile: str | None = None, **fields) -> Member:
    number = next(_sequence)
    member = Member(name=name, union=union, **fields)
    member.set_identity(parse_id_number(compose_id_number(region, birth, 100 + number), today=TODAY))
    member.set_mobile(mobile or f"138{number:08d}")
    db.session.add(member)
    db.session.commit()
    return member


def create_staff(username: str | None = None, role: Role = Role.ADMIN, union: Union | None = None,
                 password: str = PASSWORD) -> StaffUser:
    user = StaffUser(username=username or f"{role.value}{next(_sequence)}", display_name="测试人员",
                     role=role, union=union)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def create_plan(code: str = "SANHEYI", name: str = "职工住院+重疾+意外三合一互助保障", **figures):
    """A plan version with the demo figures (``BenefitSchedule`` defaults), overridable per test."""
    from portal.domain.plans import BenefitSchedule
    from portal.models import Plan

    plan = Plan.from_schedule(code, name, BenefitSchedule(**figures))
    db.session.add(plan)
    db.session.commit()
    return plan


def create_enrollment(member: Member, plan=None, *, starts_on: date = date(2026, 1, 1), is_renewal: bool = False,
                      status: str = "active", union: Union | None = None):
    """A confirmed one-year cover of ``member`` from ``starts_on``."""
    from datetime import timedelta

    from portal.domain.plans import cover_period
    from portal.models import Enrollment

    plan = plan or create_plan(code=f"P{next(_sequence)}")
    start, end = cover_period(starts_on - timedelta(days=1))
    enrollment = Enrollment(member=member, plan=plan, union=union or member.union, plan_year=start.year,
                            status=status, channel="roster", payer="union", is_renewal=is_renewal,
                            contribution_fen=plan.contribution_fen, starts_on=start, ends_on=end)
    db.session.add(enrollment)
    db.session.commit()
    return enrollment

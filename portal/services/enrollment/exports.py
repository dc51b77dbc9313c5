"""The enrolment and member lists as Excel through the shared export helper: the very statements
of the list pages (``queries.enrollments_stmt`` / ``members_stmt``), so the file is what the
screen shows for the same filters; personal numbers masked for everyone; every export audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import enrollment as rules
from portal.models import Enrollment, Member
from portal.services import exports
from portal.services.enrollment.queries import EnrollmentFilters, MemberFilters, enrollments_stmt, members_stmt
from portal.services.exports import Column, Sheet, yes_no

ENROLLMENTS = Sheet(name="参保名单", action="enrollment.export", entity="enrollment", columns=(
    Column("姓名", lambda e: e.member.name),
    Column("身份证号", lambda e: e.member.masked_id_number, text=True),
    Column("手机号", lambda e: e.member.masked_mobile, text=True),
    Column("工会", lambda e: e.union.name if e.union else ""),
    Column("保障项目", lambda e: e.plan.name),
    Column("版本", lambda e: e.plan.version),
    Column("保障年度", lambda e: e.plan_year),
    Column("状态", lambda e: str(rules.STATUS_LABELS.get(e.status, e.status))),
    Column("渠道", lambda e: str(rules.CHANNEL_LABELS.get(e.channel, e.channel))),
    Column("缴费方", lambda e: str(rules.PAYER_LABELS.get(e.payer, e.payer))),
    Column("开始日期", lambda e: e.starts_on),
    Column("结束日期", lambda e: e.ends_on),
))

MEMBERS = Sheet(name="会员名单", action="enrollment.member_export", entity="member", columns=(
    Column("姓名", lambda m: m.name),
    Column("身份证号", lambda m: m.masked_id_number, text=True),
    Column("手机号", lambda m: m.masked_mobile, text=True),
    Column("工会", lambda m: m.union.name if m.union else ""),
    Column("职业", lambda m: m.occupation or ""),
    Column("是否新就业形态劳动者", lambda m: yes_no(m.is_gig_worker)),
    Column("是否参加社保", lambda m: yes_no(m.has_social_insurance)),
))


def export_enrollments(actor, filters: EnrollmentFilters) -> exports.Export:
    stmt = enrollments_stmt(actor, filters).options(
        joinedload(Enrollment.member), joinedload(Enrollment.union), joinedload(Enrollment.plan)
    ).order_by(Enrollment.id)
    return exports.export(actor, ENROLLMENTS, stmt, filters=filters)


def export_members(actor, filters: MemberFilters, *, today: date | None = None) -> exports.Export:
    stmt = members_stmt(actor, filters, today=today or clock.today()).options(joinedload(Member.union)) \
        .order_by(Member.id)
    return exports.export(actor, MEMBERS, stmt, filters=filters)

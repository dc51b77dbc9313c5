"""The staff lists as Excel, personal numbers masked; every export is audited (personal data
leaves the portal), so each is an action in a unit of work of its own."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import joinedload

from portal import clock
from portal.domain import enrollment as rules
from portal.extensions import db
from portal.models import Enrollment, Member
from portal.services import audit
from portal.services.enrollment.queries import EnrollmentFilters, MemberFilters, enrollments_stmt, members_stmt
from portal.services.unit_of_work import unit_of_work

EXPORT_LIMIT = 200_000


@unit_of_work
def export_enrollments(actor, filters: EnrollmentFilters) -> bytes:
    """The filtered enrolments as Excel, personal numbers masked; the export itself is audited."""
    from portal.integrations.spreadsheets import write_xlsx

    stmt = enrollments_stmt(actor, filters).options(
        joinedload(Enrollment.member), joinedload(Enrollment.union), joinedload(Enrollment.plan)
    ).order_by(Enrollment.id).limit(EXPORT_LIMIT)
    headers = ["姓名", "身份证号", "手机号", "工会", "保障项目", "版本", "保障年度", "状态", "渠道", "缴费方",
               "开始日期", "结束日期"]

    def rows():
        for e in db.session.scalars(stmt).yield_per(1000):
            yield [e.member.name, e.member.masked_id_number, e.member.masked_mobile, e.union.name if e.union else "",
                   e.plan.name, e.plan.version, e.plan_year, rules.STATUS_LABELS.get(e.status, e.status),
                   rules.CHANNEL_LABELS.get(e.channel, e.channel), rules.PAYER_LABELS.get(e.payer, e.payer),
                   e.starts_on, e.ends_on]

    content = write_xlsx(headers, rows(), sheet="参保名单", text_columns=(1, 2))
    audit.record(actor, "enrollment.export", "enrollment", None, filters=filters.__dict__)
    return content


@unit_of_work
def export_members(actor, filters: MemberFilters, *, today: date | None = None) -> bytes:
    """The filtered members as Excel, personal numbers masked; audited like the enrolment export."""
    from portal.integrations.spreadsheets import write_xlsx

    today = today or clock.today()
    stmt = members_stmt(actor, filters, today=today).options(joinedload(Member.union)).order_by(Member.id) \
        .limit(EXPORT_LIMIT)
    headers = ["姓名", "身份证号", "手机号", "工会", "职业", "是否新就业形态劳动者", "是否参加社保"]

    def rows():
        for m in db.session.scalars(stmt).yield_per(1000):
            yield [m.name, m.masked_id_number, m.masked_mobile, m.union.name if m.union else "", m.occupation or "",
                   "是" if m.is_gig_worker else "否", "是" if m.has_social_insurance else "否"]

    content = write_xlsx(headers, rows(), sheet="会员名单", text_columns=(1, 2))
    audit.record(actor, "enrollment.member_export", "member", None, filters=filters.__dict__)
    return content

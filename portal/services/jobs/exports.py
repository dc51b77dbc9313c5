"""The union's work-study lists as Excel: enterprises, positions, applications, placements.

Each export runs the statement of the list's page (``portal.services.jobs.queries``) for the same
filters, so the file is what the screen shows, all of it; students' names, ID numbers and
mobiles are masked (no role needs them in full in a spreadsheet; the placement page shows the
contact, audited).
"""

from __future__ import annotations

from datetime import date

from portal import clock
from portal.domain.identity import mask_id_number, mask_name
from portal.domain.jobs import ConcernStatus
from portal.domain.money import fen_to_yuan
from portal.services import exports
from portal.services.exports import Column, Sheet, yes_no
from portal.services.jobs import queries


def _yuan(fen: int | None):
    return None if fen is None else float(fen_to_yuan(fen))


ENTERPRISES = Sheet(name="爱心企业", action="jobs.enterprises_export", entity="enterprise", columns=(
    Column("企业", lambda e: e.name),
    Column("统一社会信用代码", lambda e: e.uscc, text=True),
    Column("所在区", lambda e: e.district),
    Column("地址", lambda e: e.address),
    Column("所在工会", lambda e: e.union.name),
    Column("联系人", lambda e: e.contact_name),
    Column("联系电话", lambda e: e.masked_contact_mobile, text=True),
    Column("状态", lambda e: str(e.status_label)),
    Column("审核意见", lambda e: e.review_note or ""),
))


def positions_sheet(today: date) -> Sheet:
    return Sheet(name="爱心岗位", action="jobs.positions_export", entity="position", columns=(
        Column("岗位编号", lambda p: p.id),
        Column("岗位", lambda p: p.title),
        Column("企业", lambda p: p.enterprise.name),
        Column("所在区", lambda p: p.district),
        Column("报酬（元）", lambda p: _yuan(p.pay_fen)),
        Column("报酬单位", lambda p: str(p.pay_unit_label)),
        Column("开始日期", lambda p: p.starts_on),
        Column("结束日期", lambda p: p.ends_on),
        Column("报名截止", lambda p: p.apply_by),
        Column("名额", lambda p: p.places),
        Column("已录用", lambda p: p.filled),
        Column("状态", lambda p: str(p.closed_label_on(today) or p.status_label)),
        Column("审核意见", lambda p: p.review_note or ""),
    ))


APPLICATIONS = Sheet(name="岗位报名", action="jobs.applications_export", entity="application", columns=(
    Column("报名编号", lambda a: a.id),
    Column("报名时间", lambda a: a.created_at.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")),
    Column("学生", lambda a: mask_name(a.student.name)),
    Column("身份证号码（脱敏）", lambda a: mask_id_number(a.student.id_number), text=True),
    Column("学校", lambda a: a.student.school),
    Column("专业", lambda a: a.student.major),
    Column("困难职工家庭", lambda a: yes_no(a.is_priority)),
    Column("岗位", lambda a: a.position.title),
    Column("企业", lambda a: a.position.enterprise.name),
    Column("状态", lambda a: str(a.status_label)),
    Column("企业答复", lambda a: a.decision_note or ""),
))

PLACEMENTS = Sheet(name="上岗情况", action="jobs.export", entity="placement", columns=(
    Column("企业", lambda p: p.enterprise.name),
    Column("统一社会信用代码", lambda p: p.enterprise.uscc, text=True),
    Column("岗位", lambda p: p.position.title),
    Column("学生", lambda p: mask_name(p.student.name)),
    Column("身份证号码（脱敏）", lambda p: mask_id_number(p.student.id_number), text=True),
    Column("学校", lambda p: p.student.school),
    Column("专业", lambda p: p.student.major),
    Column("困难职工家庭", lambda p: yes_no(p.student.is_hardship_family)),
    Column("状态", lambda p: str(p.status_label)),
    Column("开始日期", lambda p: p.starts_on),
    Column("结束日期", lambda p: p.ends_on),
    Column("协议签订日期", lambda p: p.agreement_signed_on),
    Column("保险公司", lambda p: p.insurer),
    Column("保单号", lambda p: p.insurance_policy_no, text=True),
    Column("出勤周数", lambda p: len(p.reports)),
    Column("实践天数", lambda p: p.days_worked),
    Column("报酬（元）", lambda p: _yuan(p.pay_received_fen)),
    Column("待处理问题", lambda p: sum(1 for c in p.concerns if c.status == ConcernStatus.OPEN)),
))


def export_enterprises(actor, *, status: str | None = None) -> exports.Export:
    return exports.export(actor, ENTERPRISES, queries.union_enterprises_stmt(actor, status=status),
                          filters={"status": status})


def export_positions(actor, *, status: str | None = None, today: date | None = None) -> exports.Export:
    return exports.export(actor, positions_sheet(today or clock.today()),
                          queries.union_positions_stmt(actor, status=status), filters={"status": status})


def export_applications(actor, *, status: str | None = None) -> exports.Export:
    return exports.export(actor, APPLICATIONS, queries.union_applications_stmt(actor, status=status),
                          filters={"status": status})


def export_placements(actor) -> exports.Export:
    return exports.export(actor, PLACEMENTS, queries.union_placements_stmt(actor))

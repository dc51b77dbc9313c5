"""The monthly report workbook: the headline figures of one month per district (or, for a district,
per union under it), then one sheet per programme.

Each figure is one grouped query by union inside the scope; the unions' rows are then added up into
the report's rows (the scope's direct children, plus the scope union's own records as 本级) from
the unions' materialised paths — a sum over at most as many rows as there are unions, never over
records. The workbook is written by XlsxWriter in constant-memory mode to an anonymous temporary
file the view streams; the download is audited.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

import xlsxwriter
from sqlalchemy import and_, distinct, func, literal, select

from portal import clock
from portal.domain.claims import CLAIM_STATUS_LABELS, ClaimStatus
from portal.domain.dashboards import REPORT_ROLES, add_months, month_key, percent
from portal.domain.enrollment import CHANNEL_LABELS, EnrollmentStatus
from portal.domain.jobs import EnterpriseStatus
from portal.domain.money import fen_to_yuan
from portal.domain.sync import KioskStatus
from portal.extensions import db
from portal.models import (
    Application,
    Attendance,
    Campaign,
    ChildcareClass,
    Claim,
    Enrollment,
    Enterprise,
    Kiosk,
    Placement,
    Position,
    Registration,
    Station,
    Union,
)
from portal.models.base import UtcDateTime
from portal.services import audit
from portal.services.access import require_role, role_of
from portal.services.dashboards.queries import CONFIRMED_COVER, GRANTED, RUNNING_CLASS, STALE_AFTER, resolve_scope
from portal.services.unit_of_work import unit_of_work

# The workbook is in Chinese whatever the page's language: it is filed with the federation's papers.
OWN_LEVEL = "本级"
TOTAL = "合计"


@dataclass
class Rows:
    """The report's rows: each union of the scope belongs to one of them."""

    names: list[str]
    row_of: dict[int, int]  # union id → row index

    def add_up(self, per_union: list[tuple], width: int) -> list[list[int]]:
        """``[(union_id, value, value, …), …]`` (``width`` values) summed into the rows, as whole numbers."""
        sums = [[0] * width for _ in self.names]
        for union_id, *values in per_union:
            index = self.row_of.get(union_id)
            if index is None:
                continue
            for column, value in enumerate(values):
                sums[index][column] += int(value or 0)
        return sums


def report_rows(scope_union: Union | None) -> Rows:
    """The scope union's direct children, each standing for its subtree, then the scope union itself
    (本级) for records kept at its own level. The whole federation: the top union's children."""
    if scope_union is None:
        tops = list(db.session.scalars(select(Union).where(Union.parent_id.is_(None)).order_by(Union.code)))
        if len(tops) != 1:  # several trees: one row per tree
            return _rows_for(None, tops)
        scope_union = tops[0]
    children = list(db.session.scalars(select(Union).where(Union.parent_id == scope_union.id).order_by(Union.code)))
    return _rows_for(scope_union, children)


def _rows_for(own: Union | None, heads: list[Union]) -> Rows:
    names = [head.name for head in heads]
    prefix = {head.path: index for index, head in enumerate(heads)}
    if own is not None:
        names.append(f"{own.name}（{OWN_LEVEL}）")
    own_index = len(names) - 1
    row_of: dict[int, int] = {}
    stmt = select(Union.id, Union.path)
    if own is not None:
        stmt = stmt.where(Union.path.startswith(own.path))
    for union_id, path in db.session.execute(stmt):
        head_path = next((p for p in _prefixes(path) if p in prefix), None)
        if head_path is not None:
            row_of[union_id] = prefix[head_path]
        elif own is not None:
            row_of[union_id] = own_index
    return Rows(names=names, row_of=row_of)


def _prefixes(path: str) -> list[str]:
    """``/1/4/17/`` → ``/1/``, ``/1/4/``, ``/1/4/17/``."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:count]) + "/" for count in range(1, len(parts) + 1)]


def _in(column, start: datetime | date, end: datetime | date):
    return and_(column >= start, column < end)


def _moment(day: date) -> datetime:
    """Midnight of ``day`` in China, as an aware moment."""
    return datetime(day.year, day.month, day.day, tzinfo=clock.CHINA)


@unit_of_work
def monthly_report(actor, *, month: date, union_code: str | None = None, now: datetime | None = None) -> IO[bytes]:
    """The workbook of ``month`` (its first day) inside the actor's scope, as an open temporary file
    positioned at its start; the download is audited."""
    require_role(actor, *REPORT_ROLES)
    scope = resolve_scope(actor, union_code)
    now = now or clock.now()
    rows = report_rows(scope.union)
    start_day, end_day = month, add_months(month, 1)
    start, end = _moment(start_day), _moment(end_day)

    def grouped(union_column, *values, where=(), joins=()):
        stmt = select(union_column, *values)
        for target, on in joins:
            stmt = stmt.join(target, on)
        stmt = scope.where(stmt.where(*where), union_column).group_by(union_column)
        return rows.add_up(db.session.execute(stmt).all(), len(values))

    count = func.count
    paid_sum = func.coalesce(func.sum(Claim.approved_fen), 0)
    channels = list(CHANNEL_LABELS)
    statuses = [status for status in ClaimStatus if status != ClaimStatus.DRAFT]

    by_channel = [count(Enrollment.id).filter(Enrollment.channel == channel) for channel in channels]
    enrol_month = grouped(Enrollment.union_id, *by_channel,
                          where=[Enrollment.status.in_(CONFIRMED_COVER), _in(Enrollment.starts_on, start_day, end_day)])
    enrol_year = grouped(Enrollment.union_id, *by_channel,
                         where=[Enrollment.status.in_(CONFIRMED_COVER), Enrollment.plan_year == month.year])
    filed = grouped(Claim.union_id, *[count(Claim.id).filter(Claim.status == s) for s in statuses],
                    where=[_in(Claim.submitted_at, start, end), Claim.status != ClaimStatus.DRAFT])
    decided = grouped(Claim.union_id, count(Claim.id), where=[_in(Claim.decided_at, start, end)])
    paid = grouped(Claim.union_id, count(Claim.id), paid_sum,
                   where=[Claim.status == ClaimStatus.PAID, _in(Claim.paid_at, start, end)])
    paid_total = grouped(Claim.union_id, count(Claim.id), paid_sum,
                         where=[Claim.status == ClaimStatus.PAID, Claim.paid_at < end])
    enterprises = grouped(Enterprise.union_id, count(Enterprise.id),
                          where=[Enterprise.status == EnterpriseStatus.APPROVED, Enterprise.created_at < end])
    positions = grouped(Position.union_id, count(Position.id), func.coalesce(func.sum(Position.places), 0),
                        where=[Position.starts_on < end_day, Position.ends_on >= start_day])
    applications = grouped(Position.union_id, count(Application.id),
                           where=[_in(Application.created_at, start, end)],
                           joins=[(Application, Application.position_id == Position.id)])
    placements = grouped(Placement.union_id, count(Placement.id),
                         where=[Placement.starts_on < end_day, Placement.ends_on >= start_day])
    running = [ChildcareClass.status.in_(RUNNING_CLASS), ChildcareClass.starts_on < end_day,
               ChildcareClass.ends_on >= start_day]
    classes = grouped(ChildcareClass.union_id, count(ChildcareClass.id),
                      func.coalesce(func.sum(ChildcareClass.seats), 0), where=running)
    children = grouped(ChildcareClass.union_id, count(distinct(Registration.child_id)),
                       where=[*running, Registration.status == "confirmed"],
                       joins=[(Registration, Registration.class_id == ChildcareClass.id)])
    attendance = grouped(ChildcareClass.union_id, count(Attendance.id).filter(Attendance.status == "present"),
                         count(Attendance.id), where=[_in(Attendance.day, start_day, end_day)],
                         joins=[(Attendance, Attendance.class_id == ChildcareClass.id)])
    since = now - STALE_AFTER
    kiosks = grouped(Station.union_id, count(Kiosk.id),
                     count(Kiosk.id).filter(Kiosk.last_sync_at >= literal(since, UtcDateTime())),
                     where=[Kiosk.status == KioskStatus.ACTIVE], joins=[(Kiosk, Kiosk.station_id == Station.id)])
    campaigns = _campaign_rows(scope, start_day, end_day)

    label = f"{month.year}年{month.month}月"
    scope_name = scope.union.name if scope.union else "全市"
    file = tempfile.TemporaryFile()
    workbook = xlsxwriter.Workbook(file, {"constant_memory": True, "strings_to_numbers": False})
    sheet = _Sheets(workbook, title=f"{scope_name} · {label}")
    sheet.write("概览", "各单位主要数据", rows.names, [
        ("本月新参保人次", [sum(r) for r in enrol_month], "count"),
        ("本保障年度参保人次", [sum(r) for r in enrol_year], "count"),
        ("本月提交理赔", [sum(r) for r in filed], "count"),
        ("本月审核决定", [r[0] for r in decided], "count"),
        ("本月发放人次", [r[0] for r in paid], "count"),
        ("本月支付互助金（元）", [r[1] for r in paid], "money"),
        ("累计发放人次", [r[0] for r in paid_total], "count"),
        ("累计支付互助金（元）", [r[1] for r in paid_total], "money"),
        ("在岗勤工俭学学生", [r[0] for r in placements], "count"),
        ("开班暑托班", [r[0] for r in classes], "count"),
        ("录取儿童", [r[0] for r in children], "count"),
    ])
    sheet.write("职工互助保障", "本月新参保人次（按渠道）及本保障年度参保人次", rows.names, [
        *[(f"本月·{CHANNEL_LABELS[c]}", [r[i] for r in enrol_month], "count") for i, c in enumerate(channels)],
        ("本月合计", [sum(r) for r in enrol_month], "count"),
        *[(f"{month.year}年度·{CHANNEL_LABELS[c]}", [r[i] for r in enrol_year], "count")
          for i, c in enumerate(channels)],
        (f"{month.year}年度合计", [sum(r) for r in enrol_year], "count"),
    ])
    sheet.write("理赔", "本月提交的理赔申请（按当前状态）、审核决定和发放", rows.names, [
        *[(CLAIM_STATUS_LABELS[s], [r[i] for r in filed], "count") for i, s in enumerate(statuses)],
        ("本月提交合计", [sum(r) for r in filed], "count"),
        ("本月审核决定", [r[0] for r in decided], "count"),
        ("本月发放人次", [r[0] for r in paid], "count"),
        ("本月支付互助金（元）", [r[1] for r in paid], "money"),
    ])
    sheet.write_table("锡新保", "赠送项目领取情况（截至月末）",
                      ["赠送项目", "名额", "截至月末领取", "本月领取", "领取比例（%）", "核准理赔"], campaigns)
    sheet.write("勤工俭学", "“关爱·圆梦”勤工俭学（本月在期内的岗位和上岗）", rows.names, [
        ("爱心企业", [r[0] for r in enterprises], "count"),
        ("爱心岗位", [r[0] for r in positions], "count"),
        ("岗位名额", [r[1] for r in positions], "count"),
        ("本月学生报名", [r[0] for r in applications], "count"),
        ("上岗学生", [r[0] for r in placements], "count"),
    ])
    sheet.write("暑托班", "“工娃小家”暑托班（本月开班的班级）", rows.names, [
        ("开班", [r[0] for r in classes], "count"),
        ("名额", [r[1] for r in classes], "count"),
        ("录取儿童", [r[0] for r in children], "count"),
        ("本月签到（到）", [r[0] for r in attendance], "count"),
        ("本月签到记录", [r[1] for r in attendance], "count"),
        ("出勤率（%）", [percent(r[0], r[1]) for r in attendance], "percent"),
    ])
    sheet.write("自助终端", "服务站点自助终端（截至导出时）", rows.names, [
        ("在用终端", [r[0] for r in kiosks], "count"),
        ("24小时内同步", [r[1] for r in kiosks], "count"),
        ("超过24小时未同步", [r[0] - r[1] for r in kiosks], "count"),
    ])
    workbook.close()
    file.seek(0)
    audit.record(actor, "dashboard.monthly_report", "union", scope.union.id if scope.union else None,
                 month=month_key(month), role=str(role_of(actor)))
    return file


def _campaign_rows(scope, start_day: date, end_day: date) -> list[list]:
    """Each campaign with uptake in the scope: quota, taken by the month's end, taken in the month,
    claims granted to its workers."""
    taken = scope.where(select(Enrollment.campaign_id, func.count(Enrollment.id),
                               func.count(Enrollment.id).filter(_in(Enrollment.starts_on, start_day, end_day)))
                        .where(Enrollment.campaign_id.is_not(None), Enrollment.status != EnrollmentStatus.CANCELLED,
                               Enrollment.starts_on < end_day), Enrollment.union_id).group_by(Enrollment.campaign_id)
    taken_by = {row[0]: row[1:] for row in db.session.execute(taken)}
    granted = scope.where(select(Enrollment.campaign_id, func.count(Claim.id))
                          .join(Enrollment, Enrollment.id == Claim.enrollment_id)
                          .where(Enrollment.campaign_id.in_(list(taken_by) or [-1]), Claim.status.in_(GRANTED)),
                          Claim.union_id).group_by(Enrollment.campaign_id)
    granted_by = dict(db.session.execute(granted).all())
    campaigns = db.session.scalars(select(Campaign).where(Campaign.id.in_(list(taken_by) or [-1]))
                                   .order_by(Campaign.opens_on))
    return [[c.name, c.quota, taken_by[c.id][0], taken_by[c.id][1], percent(taken_by[c.id][0], c.quota),
             granted_by.get(c.id, 0)] for c in campaigns]


class _Sheets:
    """Writes the report's sheets in order (constant-memory mode writes each row once, top to bottom)."""

    def __init__(self, workbook, *, title: str):
        self.workbook, self.title = workbook, title
        self.heading = workbook.add_format({"bold": True, "font_size": 14})
        self.header = workbook.add_format({"bold": True, "bg_color": "#F0EFEB", "border": 1, "text_wrap": True})
        self.money = workbook.add_format({"num_format": "#,##0.00"})
        self.count = workbook.add_format({"num_format": "#,##0"})
        self.bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True})
        self.bold_count = workbook.add_format({"num_format": "#,##0", "bold": True})
        self.bold = workbook.add_format({"bold": True})

    def _start(self, name: str, caption: str, headers: list[str]):
        worksheet = self.workbook.add_worksheet(name)
        worksheet.set_column(0, 0, 28)
        worksheet.set_column(1, len(headers), 14)
        worksheet.write_string(0, 0, f"{self.title} · {caption}", self.heading)
        for column, header in enumerate(headers):
            worksheet.write_string(2, column, header, self.header)
        worksheet.freeze_panes(3, 1)
        return worksheet

    def _value(self, worksheet, row: int, column: int, value, kind: str, *, bold: bool = False):
        if value is None:
            worksheet.write_string(row, column, "—")
        elif kind == "money":
            worksheet.write_number(row, column, fen_to_yuan(int(value)), self.bold_money if bold else self.money)
        else:
            worksheet.write_number(row, column, value, self.bold_count if bold else self.count)

    def write(self, name: str, caption: str, names: list[str], columns: list[tuple[str, list, str]]):
        """One row per union of the report, one column per figure, and a total row (percentages are
        not added up: the total row recomputes nothing it cannot)."""
        worksheet = self._start(name, caption, ["单位", *[header for header, _values, _kind in columns]])
        for index, union_name in enumerate(names):
            worksheet.write_string(3 + index, 0, union_name)
            for column, (_header, values, kind) in enumerate(columns, start=1):
                self._value(worksheet, 3 + index, column, values[index], kind)
        total_row = 3 + len(names)
        worksheet.write_string(total_row, 0, TOTAL, self.bold)
        for column, (_header, values, kind) in enumerate(columns, start=1):
            if kind == "percent":
                worksheet.write_string(total_row, column, "")
                continue
            self._value(worksheet, total_row, column, sum(v for v in values if v is not None), kind, bold=True)

    def write_table(self, name: str, caption: str, headers: list[str], rows: list[list]):
        worksheet = self._start(name, caption, headers)
        for index, row in enumerate(rows):
            for column, value in enumerate(row):
                if isinstance(value, str):
                    worksheet.write_string(3 + index, column, value)
                else:
                    self._value(worksheet, 3 + index, column, value, "count")
        if not rows:
            worksheet.write_string(3, 0, "本月范围内没有赠送项目的领取记录")


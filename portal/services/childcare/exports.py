"""A class's registrations and a day's attendance as Excel, as the pages show them.

The organiser who runs the class sees the children's names and the parents' mobiles in full (they
call parents and hand children over); the union's officers and the federation read them masked.
Each export is audited.
"""

from __future__ import annotations

from datetime import date

from portal.clock import CHINA
from portal.domain.identity import mask_mobile, mask_name
from portal.domain.roles import Role
from portal.services import exports
from portal.services.childcare import queries
from portal.services.exports import Column, Sheet

RUNS_THE_CLASS = frozenset({Role.CHILDCARE_ORGANISER})


def _time(moment) -> str:
    return moment.astimezone(CHINA).strftime("%H:%M") if moment else ""


REGISTRATIONS = Sheet(name="暑托班报名", action="childcare.registrations_export", entity="childcare_class",
                      full_for=RUNS_THE_CLASS, columns=(
    Column("报名序号", lambda v: v.registration.number),
    Column("孩子", lambda v: mask_name(v.registration.child.name), full=lambda v: v.registration.child.name),
    Column("性别", lambda v: "男" if v.registration.child.gender == "M" else "女"),
    Column("出生日期", lambda v: v.registration.child.birth_date),
    Column("家长", lambda v: mask_name(v.registration.parent.name), full=lambda v: v.registration.parent.name),
    Column("家长手机", lambda v: mask_mobile(v.registration.parent.mobile), full=lambda v: v.registration.parent.mobile,
           text=True),
    Column("优先类别", lambda v: str(v.registration.category_label)),
    Column("状态", lambda v: str(v.registration.status_label)),
    Column("候补顺位", lambda v: v.waitlist_position),
    Column("取消原因", lambda v: v.registration.cancel_reason or ""),
))

ATTENDANCE = Sheet(name="暑托班出勤", action="childcare.attendance_export", entity="childcare_class",
                   full_for=RUNS_THE_CLASS, columns=(
    Column("报名序号", lambda r: r.registration.number),
    Column("孩子", lambda r: mask_name(r.registration.child.name), full=lambda r: r.registration.child.name),
    Column("出勤", lambda r: str(r.attendance.status_label) if r.attendance else "未登记"),
    Column("到班时间", lambda r: _time(r.attendance.checked_in_at) if r.attendance else ""),
    Column("接走时间", lambda r: _time(r.attendance.picked_up_at) if r.attendance else ""),
    Column("接送人", lambda r: mask_name(r.attendance.pickup_adult.name)
           if r.attendance and r.attendance.pickup_adult else "",
           full=lambda r: r.attendance.pickup_adult.name if r.attendance and r.attendance.pickup_adult else ""),
    Column("累计出勤天数", lambda r: r.present_days),
    Column("应出勤天数", lambda r: r.possible_days),
    Column("出勤率", lambda r: "" if r.rate is None else f"{r.rate:.1%}"),
))


def export_registrations(actor, class_id: int) -> exports.Export:
    cls = queries.class_for_staff(actor, class_id)
    return exports.export(actor, REGISTRATIONS, queries.class_roster(actor, class_id),
                          filters={"class_id": class_id}, name=f"{REGISTRATIONS.name}-{cls.name}",
                          record_id=cls.id)


def export_attendance(actor, class_id: int, day: date) -> exports.Export:
    cls = queries.class_for_staff(actor, class_id)
    return exports.export(actor, ATTENDANCE, queries.attendance_sheet(actor, class_id, day),
                          filters={"class_id": class_id, "day": day}, day=day, name=f"{ATTENDANCE.name}-{cls.name}",
                          record_id=cls.id)

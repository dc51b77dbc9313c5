"""The union's export of the childcare overview (an action: every export is audited)."""

from __future__ import annotations

from datetime import date

from portal.domain.childcare import PriorityCategory, RegistrationStatus
from portal.integrations.spreadsheets import write_xlsx
from portal.services import audit
from portal.services.childcare.queries import overview
from portal.services.unit_of_work import unit_of_work

HEADERS = ["组织", "区", "班级", "地点", "开班", "结班", "状态", "名额", "已录取", "候补", "待分配"]
TOTALS_HEADERS = ["出勤人次", "应出勤人次", "出勤率"]


@unit_of_work
def export_overview(actor, *, today: date | None = None) -> bytes:
    """The overview as an Excel sheet: one row per class, counts only (no child's personal data)."""
    data = overview(actor, today=today)
    categories = list(PriorityCategory)
    rows = []
    for summary in data.classes:
        cls = summary.cls
        rate = summary.attendance_rate
        rows.append([
            cls.union.name, cls.district or "", cls.name, cls.site_name, cls.starts_on.isoformat(),
            cls.ends_on.isoformat(), cls.status_label, cls.seats, summary.by_status[RegistrationStatus.CONFIRMED],
            summary.by_status[RegistrationStatus.WAITLISTED], summary.by_status[RegistrationStatus.REQUESTED],
            *[summary.by_category[c] for c in categories], summary.present_days, summary.possible_days,
            "" if rate is None else f"{rate:.1%}",
        ])
    rows.append(["合计", "", "", "", "", "", "", data.seats, data.seats_taken, data.waitlisted, "",
                 *[data.by_category[c] for c in categories], "", "", f"服务儿童{data.children_served}人"])
    audit.record(actor, "childcare.export", "childcare_class", None, classes=len(data.classes))
    return write_xlsx([*HEADERS, *[c.label for c in categories], *TOTALS_HEADERS], rows, sheet="暑托班")

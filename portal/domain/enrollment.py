"""Rules of enrolment (参保): plan years, renewal, plan edits, campaign eligibility, roster rows.

Pure: no Flask, no session, dates passed in. The roster part turns the rows of a messy
spreadsheet (title rows, columns in any order, full-width digits, ID numbers Excel turned into
numbers, merged cells, blank rows, duplicates) into checked rows or issues that name the row as the
spreadsheet numbers it and say what to do.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import IdNumber, mask_id_number, normalise, parse_mobile, parse_worker_id_number
from portal.domain.plans import BenefitSchedule, cover_period
from portal.domain.states import StateMachine

# A union may carry a cover into the next period once it ends within this many days.
RENEWAL_WINDOW_DAYS = 90
# A new cover starting at most this many days after the last one ended still counts as a renewal.
RENEWAL_GRACE_DAYS = 30



class EnrollmentStatus(StrEnum):
    PENDING = "pending"  # applied, waiting for the union (or campaign) to confirm
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class EnrollmentAction(StrEnum):
    CONFIRM = "confirm"  # the union confirms a self-service application
    REJECT = "reject"  # … or does not
    EXPIRE = "expire"  # the nightly sweep, once the cover's year is over


class RosterImportStatus(StrEnum):
    QUEUED = "queued"  # stored, waiting for the task queue to check it
    VALIDATING = "validating"
    VALIDATED = "validated"  # report ready, waiting for the officer to confirm
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"  # the file could not be read, or the import failed and wrote nothing


class RosterImportAction(StrEnum):
    CHECK = "check"  # the task queue starts checking the rows
    PASS = "pass"  # the check finished: the report is ready
    FAIL = "fail"  # the file could not be read, or the import failed and wrote nothing
    CONFIRM = "confirm"  # the officer confirms the report
    FINISH = "finish"  # the import wrote every row
    RECHECK = "recheck"  # check again (others enrolled some of its people, or the import failed)
    IMPORT_AT_ONCE = "import_at_once"  # the command line checks and imports in one go


STATUS_LABELS = {EnrollmentStatus.PENDING: N_("待确认"), EnrollmentStatus.ACTIVE: N_("保障中"),
                 EnrollmentStatus.EXPIRED: N_("已到期"), EnrollmentStatus.CANCELLED: N_("已取消")}
ROSTER_STATUS_LABELS = {
    RosterImportStatus.QUEUED: N_("排队中"), RosterImportStatus.VALIDATING: N_("校验中"),
    RosterImportStatus.VALIDATED: N_("待确认导入"), RosterImportStatus.IMPORTING: N_("导入中"),
    RosterImportStatus.DONE: N_("已完成"), RosterImportStatus.FAILED: N_("失败"),
}
CHANNEL_LABELS = {"roster": N_("工会批量参保"), "self_service": N_("会员自助申请"), "campaign": N_("赠送领取"),
                  "kiosk": N_("自助终端"), "renewal": N_("续保")}
PAYER_LABELS = {"union": N_("工会缴费"), "member": N_("个人缴费"), "campaign": N_("赠送")}
GIG_OCCUPATION_CHOICES = ("快递员", "外卖配送员", "网约车司机", "货车司机")

# ---------------------------------------------------------------- what a person sees
# One answer to "is this person covered?", the same on every page of every role: the member's own
# page and history, the officer's enrolment list and members list. A cover written by a roster or a
# gift starts tomorrow: it is 即将生效 until then, never 保障中 on one page and 未参保 on another.


class CoverStatus(StrEnum):
    PENDING = "pending"  # asked for, waiting for the union
    UPCOMING = "upcoming"  # confirmed, starts on a later day
    ACTIVE = "active"  # covers today
    ENDED = "ended"  # its year is over
    CANCELLED = "cancelled"
    NONE = "none"  # no cover at all


COVER_STATUS_LABELS = {
    CoverStatus.PENDING: N_("待确认"), CoverStatus.UPCOMING: N_("即将生效"), CoverStatus.ACTIVE: N_("保障中"),
    CoverStatus.ENDED: N_("已到期"), CoverStatus.CANCELLED: N_("已取消"), CoverStatus.NONE: N_("未参保"),
}
COVER_STATUS_TONES = {CoverStatus.ACTIVE: "ok", CoverStatus.UPCOMING: "warn", CoverStatus.PENDING: "warn"}


def cover_status(status: str | None, starts_on: date | None, ends_on: date | None, today: date) -> CoverStatus:
    """What one enrolment means on ``today``."""
    if status is None:
        return CoverStatus.NONE
    if status == EnrollmentStatus.PENDING:
        return CoverStatus.PENDING
    if status == EnrollmentStatus.CANCELLED:
        return CoverStatus.CANCELLED
    if starts_on is None or ends_on is None or ends_on < today:
        return CoverStatus.ENDED
    return CoverStatus.UPCOMING if starts_on > today else CoverStatus.ACTIVE


# Which of a person's enrolments speaks for them: covered today, else about to be, else asked for.
_PRECEDENCE = (CoverStatus.ACTIVE, CoverStatus.UPCOMING, CoverStatus.PENDING)


def person_cover_status(enrollments: Iterable, today: date):
    """(status, the enrolment it comes from or ``None``) for a person with these enrolments (objects
    with ``status``, ``starts_on``, ``ends_on``): covered today wins, then a cover about to start,
    then one waiting for confirmation; otherwise 未参保."""
    best = None
    for enrollment in enrollments:
        status = cover_status(enrollment.status, enrollment.starts_on, enrollment.ends_on, today)
        if status in _PRECEDENCE and (best is None or _PRECEDENCE.index(status) < _PRECEDENCE.index(best[0])):
            best = (status, enrollment)
    return best or (CoverStatus.NONE, None)


# ---------------------------------------------------------------- state machines
# Every status of an enrolment and of a roster import, and the only moves between them; the
# columns' CHECKs come from the same enums (``portal.models.enrollment``). Covers written in bulk
# (a roster, a renewal, a gift) start ACTIVE: confirmation is the act of writing them.

ENROLMENT = StateMachine(
    name="enrollment", statuses=EnrollmentStatus, labels=STATUS_LABELS, initial=EnrollmentStatus.PENDING,
    transitions={
        (EnrollmentStatus.PENDING, EnrollmentAction.CONFIRM): EnrollmentStatus.ACTIVE,
        (EnrollmentStatus.PENDING, EnrollmentAction.REJECT): EnrollmentStatus.CANCELLED,
        (EnrollmentStatus.ACTIVE, EnrollmentAction.EXPIRE): EnrollmentStatus.EXPIRED,
    },
    action_labels={EnrollmentAction.CONFIRM: N_("确认参保"), EnrollmentAction.REJECT: N_("不予确认"),
                   EnrollmentAction.EXPIRE: N_("到期")},
)

ROSTER_IMPORT = StateMachine(
    name="roster_import", statuses=RosterImportStatus, labels=ROSTER_STATUS_LABELS,
    initial=RosterImportStatus.QUEUED,
    transitions={
        (RosterImportStatus.QUEUED, RosterImportAction.CHECK): RosterImportStatus.VALIDATING,
        (RosterImportStatus.VALIDATING, RosterImportAction.PASS): RosterImportStatus.VALIDATED,
        (RosterImportStatus.VALIDATING, RosterImportAction.FAIL): RosterImportStatus.FAILED,
        (RosterImportStatus.VALIDATED, RosterImportAction.CONFIRM): RosterImportStatus.IMPORTING,
        (RosterImportStatus.IMPORTING, RosterImportAction.FINISH): RosterImportStatus.DONE,
        (RosterImportStatus.IMPORTING, RosterImportAction.FAIL): RosterImportStatus.FAILED,
        (RosterImportStatus.VALIDATED, RosterImportAction.RECHECK): RosterImportStatus.QUEUED,
        (RosterImportStatus.FAILED, RosterImportAction.RECHECK): RosterImportStatus.QUEUED,
        (RosterImportStatus.QUEUED, RosterImportAction.IMPORT_AT_ONCE): RosterImportStatus.DONE,
        (RosterImportStatus.VALIDATED, RosterImportAction.IMPORT_AT_ONCE): RosterImportStatus.DONE,
        (RosterImportStatus.FAILED, RosterImportAction.IMPORT_AT_ONCE): RosterImportStatus.DONE,
    },
    action_labels={
        RosterImportAction.CHECK: N_("校验"), RosterImportAction.PASS: N_("完成校验"),
        RosterImportAction.FAIL: N_("标记失败"), RosterImportAction.CONFIRM: N_("确认导入"),
        RosterImportAction.FINISH: N_("完成导入"), RosterImportAction.RECHECK: N_("重新校验"),
        RosterImportAction.IMPORT_AT_ONCE: N_("直接导入"),
    },
)


def plan_year_for(day: date) -> int:
    """The plan year (保障年度) an enrolment made on ``day`` belongs to."""
    return day.year


def renewal_period(previous_ends_on: date, today: date) -> tuple[date, date]:
    """A renewal starts the day after the old cover ends (no gap), or tomorrow if it has lapsed."""
    return cover_period(max(previous_ends_on, today))


def renewal_due(ends_on: date, today: date) -> bool:
    """A cover may be renewed from ``RENEWAL_WINDOW_DAYS`` before it ends, and after it lapsed."""
    return ends_on - today <= timedelta(days=RENEWAL_WINDOW_DAYS)


def is_continuation(previous_ends_on: date | None, starts_on: date) -> bool:
    """Cover that follows the last one within the grace period counts as a renewal (no waiting period)."""
    return previous_ends_on is not None and (starts_on - previous_ends_on).days <= RENEWAL_GRACE_DAYS + 1


def waiting_period_ends(starts_on: date, schedule: BenefitSchedule, *, is_renewal: bool) -> date | None:
    """The last day of the illness waiting period of a first enrolment; ``None`` for a renewal."""
    if is_renewal or schedule.illness_waiting_days <= 0:
        return None
    return starts_on + timedelta(days=schedule.illness_waiting_days - 1)


# --- Plan editing ---------------------------------------------------------------------------

def check_schedule(schedule: BenefitSchedule) -> BenefitSchedule:
    """Refuse a benefit schedule an administrator could not mean; returns it unchanged when sound."""
    money = {
        "contribution_fen": N_("年缴费"), "hospital_daily_fen": N_("住院津贴（每天）"),
        "condolence_fen": N_("住院慰问金"), "critical_illness_fen": N_("重大疾病保障金"),
        "accident_medical_cap_fen": N_("意外医疗限额"), "accident_death_fen": N_("意外身故/伤残保障金"),
    }
    for name, label in money.items():
        if getattr(schedule, name) < 0:
            raise InvalidInput(N_("%(label)s不能为负数。"), field=name, label=label)
    if schedule.contribution_fen == 0:
        raise InvalidInput(N_("年缴费不能为0；赠送保障请通过“赠送项目”由出资方缴费。"), field="contribution_fen")
    if not 1 <= schedule.hospital_days_cap <= 366:
        raise InvalidInput(N_("每年住院津贴天数上限应在1到366天之间。"), field="hospital_days_cap")
    grades = schedule.disability_percentages
    if len(grades) != 10:
        raise InvalidInput(N_("伤残等级比例应为10个数字（1级到10级），用逗号分隔。"), field="disability_percentages")
    if any(not 0 < value <= 100 for value in grades):
        raise InvalidInput(N_("伤残等级比例应在1到100之间。"), field="disability_percentages")
    if any(later > earlier for earlier, later in zip(grades, grades[1:], strict=False)):
        raise InvalidInput(N_("伤残等级比例应从1级到10级逐级递减（1级最重）。"), field="disability_percentages")
    if not schedule.critical_diseases:
        raise InvalidInput(N_("请至少列出一种保障的重大疾病。"), field="critical_diseases")
    if not 0 <= schedule.illness_waiting_days <= 180:
        raise InvalidInput(N_("疾病等待期应在0到180天之间。"), field="illness_waiting_days")
    if not 30 <= schedule.claim_deadline_days <= 3 * 366:
        raise InvalidInput(N_("申请期限应在30天到3年之间。"), field="claim_deadline_days")
    if not schedule.exclusions.strip():
        raise InvalidInput(N_("请填写免责条款。"), field="exclusions")
    return schedule


def parse_percentages(text: str) -> tuple[int, ...]:
    """``"100, 90，80 …"`` (any comma, space or 、) → integers; ``InvalidInput`` if one is not a number."""
    parts = [part for part in re.split(r"[\s,，、;；]+", normalise_text(text)) if part]
    try:
        return tuple(int(part.removesuffix("%")) for part in parts)
    except ValueError:
        raise InvalidInput(N_("伤残等级比例只能填写整数，例如 100,90,80,70,60,50,40,30,20,10。"),
                           field="disability_percentages") from None


def parse_disease_list(text: str) -> tuple[str, ...]:
    """One disease a line (or separated by 、), blanks and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\r\n、;；]+", text or ""):
        name = part.strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


# --- Gifted campaigns -----------------------------------------------------------------------

@dataclass(frozen=True)
class CampaignRules:
    occupations: tuple[str, ...]
    requires_gig_worker: bool
    requires_social_insurance: bool
    area_path: str  # the materialised path of the campaign's union


def campaign_refusal(rules: CampaignRules, *, occupation: str | None, is_gig_worker: bool,
                     has_social_insurance: bool, union_path: str | None) -> InvalidInput | None:
    """Why a member does not qualify for a campaign, in words they understand; ``None`` if they do.

    The refusal is returned, not raised: the member's page lists it beside each campaign, and a
    claim raises it.
    """
    if union_path is None or not union_path.startswith(rules.area_path):
        return InvalidInput(N_("该赠送项目只面向本地区工会会员，请先联系所在工会办理入会或会员信息登记。"),
                            code="not_eligible")
    if rules.requires_gig_worker and not is_gig_worker:
        return InvalidInput(N_("该赠送项目只面向新就业形态劳动者（快递员、外卖配送员、网约车司机、货车司机等）。"),
                            code="not_eligible")
    if rules.occupations and occupation not in rules.occupations:
        return InvalidInput(N_("该赠送项目面向以下职业：%(occupations)s。如职业登记有误，请联系所在工会更正。"),
                            code="not_eligible", occupations="、".join(rules.occupations))
    if rules.requires_social_insurance and not has_social_insurance:
        return InvalidInput(N_("该赠送项目要求参加社会保险。如已参保，请联系所在工会更正会员信息。"),
                            code="not_eligible")
    return None


# --- Rosters --------------------------------------------------------------------------------

TEMPLATE_HEADERS = ("姓名", "身份证号", "手机号", "职业", "是否新就业形态劳动者", "是否参加社保")

# Column key → header spellings seen in real rosters (compared after ``header_key``).
HEADER_ALIASES = {
    "name": ("姓名", "职工姓名", "会员姓名", "名字"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "身份证件号码"),
    "mobile": ("手机号", "手机号码", "手机", "联系电话", "联系方式", "电话"),
    "occupation": ("职业", "工种", "岗位", "职业类别"),
    "is_gig_worker": ("是否新就业形态劳动者", "新就业形态劳动者", "是否新就业形态", "新就业形态"),
    "has_social_insurance": ("是否参加社保", "参加社保", "是否参保社保", "社保", "是否缴纳社保", "社保情况"),
}
COLUMN_LABELS = {key: TEMPLATE_HEADERS[index] for index, key in enumerate(HEADER_ALIASES)}
REQUIRED_COLUMNS = ("name", "id_number")
HEADER_SEARCH_ROWS = 30  # title rows above the header are skipped, but not forever

YES = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "有", "已参加", "参加", "已缴纳"}
NO = {"否", "N", "NO", "FALSE", "0", "×", "✗", "无", "未参加", "不是", "没有", "未缴纳"}
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
OLD_NUMBER_AS_NUMBER_MESSAGE = (
    N_("这是15位的旧身份证号码，请填写现行18位身份证号码（可在身份证或户口簿上查到），"
       "并将身份证号列设置为文本格式后重新输入。")
)
EXCEL_NUMBER_MESSAGE = (
    N_("身份证号被Excel当成了数字（显示为科学计数法或末几位变成0），号码已不完整。"
       "请将身份证号列设置为文本格式后重新输入。")
)


def normalise_text(value: object) -> str:
    """Full-width to half-width (NFKC) and trimmed."""
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def header_key(value: object) -> str:
    """A header cell reduced to its words: no spaces, no ``*``, no ``（必填）``-style notes."""
    text = normalise_text(value)
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s*:：]+", "", text)


def _alias_lookup() -> dict[str, str]:
    return {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}


def match_header(cells: list[object]) -> dict[str, int] | None:
    """Column key → index when ``cells`` is the header row (name and ID columns at least)."""
    aliases = _alias_lookup()
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = aliases.get(header_key(cell))
        if key and key not in columns:
            columns[key] = index
    return columns if all(key in columns for key in REQUIRED_COLUMNS) else None


@dataclass(frozen=True)
class RosterRow:
    """A checked row, ready to become a member (if new) and an enrolment."""

    row: int  # as the spreadsheet numbers it
    name: str
    id_number: IdNumber
    mobile: str | None
    occupation: str | None
    is_gig_worker: bool
    has_social_insurance: bool


@dataclass(frozen=True)
class RowIssue:
    row: int
    column: str  # the Chinese header the person sees, or "" for the whole row
    message: str
    kind: str = "error"  # error | covered
    name: str = ""  # the row's name as typed (digits hidden), so the officer finds the person
    masked_id: str = ""  # the row's ID number masked as everywhere (``mask_id_number``), never in full

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "kind": self.kind,
                "name": self.name, "masked_id": self.masked_id}


STORED_ISSUES = 5000  # a roster's page lists this many issues; its counts and downloaded report are complete


def shown_name(value: object) -> str:
    """A row's name for the report: as typed, but with any digit hidden (an ID number typed in the
    name column must not reach the report in full) and cut to 30 characters."""
    return re.sub(r"\d", "*", clean_name(value))[:30]


def shown_id_number(value: object) -> str:
    """A row's ID number for the report, masked like every ID number the portal shows, whatever was
    typed (a number Excel rounded, a wrong length)."""
    if _is_number(value):
        value = str(int(value)) if float(value).is_integer() else str(value)
    return mask_id_number(normalise(value))


class RosterFileError(InvalidInput):
    """The file as a whole cannot be used (no header, empty): nothing row by row to report."""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_yes_no(value: object, *, column: str) -> bool | None:
    """是/否 and the ways people write it; ``None`` when blank."""
    text = normalise(value)
    if not text:
        return None
    if _is_number(value):
        text = str(int(value)) if float(value).is_integer() else text
    if text in YES:
        return True
    if text in NO:
        return False
    raise InvalidInput(N_("“%(column)s”请填写“是”或“否”，现在是“%(value)s”。"), column=column,
                       value=normalise_text(value))


def clean_name(value: object) -> str:
    """Names keep their middle dot (少数民族姓名) but lose every kind of space."""
    text = normalise_text(value)
    text = "".join(text.split())  # split() drops exactly the characters isspace() names
    return text.replace("•", "·").replace("．", "·")


@dataclass
class RosterValidator:
    """Checks the rows of one roster in order, remembering ID numbers to find duplicates.

    Feed it ``(row_number, cells)`` pairs; it finds the header, then yields a ``RosterRow`` per good
    data row, or a ``RowIssue`` for each problem of a row that has any. ``merged`` (row/column
    ranges, 0-based, inclusive) fills every cell of a merged block with its top-left value, which is
    what the person sees on screen.
    """

    today: date
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    columns: dict[str, int] | None = None
    header_row: int | None = None
    data_rows: int = 0
    _seen: dict[str, int] = field(default_factory=dict)

    def check(self, rows: Iterable[tuple[int, list[object]]]) -> Iterator[RosterRow | RowIssue]:
        for number, cells in fill_merged(rows, self.merged):
            if self.columns is None:
                self.columns = match_header(cells)
                if self.columns is not None:
                    self.header_row = number
                elif number >= HEADER_SEARCH_ROWS:
                    break
                continue
            values = {key: cells[index] if index < len(cells) else "" for key, index in self.columns.items()}
            # The ID number first: filled in nearly every row, and an ASCII cell normalises cheapest.
            if normalise(values["id_number"]) == "" and all(normalise(value) == "" for value in values.values()):
                continue  # a blank row, or one holding only a 序号
            self.data_rows += 1
            checked = self._check_row(number, values)
            if isinstance(checked, list):
                yield from checked
            else:
                yield checked
        if self.columns is None:
            raise RosterFileError(
                N_("没有找到表头行：表格中应有“姓名”和“身份证号”两列的标题。请使用下载的模板，"
                "或在数据上方加一行列标题。"), code="roster_no_header",
            )

    def _check_row(self, number: int, values: dict[str, object]) -> RosterRow | list[RowIssue]:
        """The row, or every problem it has (not only the first), each under its column and with the
        row's name and masked ID number so the officer can find the person."""
        problems: list[tuple[str, str]] = []

        def issue(key: str, message: str) -> None:
            problems.append((COLUMN_LABELS[key], message))

        name = clean_name(values.get("name"))
        if not name:
            issue("name", N_("请填写姓名。"))
        elif len(name) > 30 or (not name.isalpha() and any(ch.isdigit() for ch in name)):  # letters: no digit
            issue("name", N_("姓名不应含数字，且不超过30个字，请核对是否填错了列。"))
        raw_id = values.get("id_number")
        id_number = None
        if _is_number(raw_id) or SCIENTIFIC.match(normalise(raw_id)):
            if _is_number(raw_id) and float(raw_id).is_integer() and len(str(int(raw_id))) == 15:
                issue("id_number", OLD_NUMBER_AS_NUMBER_MESSAGE)
            else:
                issue("id_number", EXCEL_NUMBER_MESSAGE)
        else:
            try:
                id_number = parse_worker_id_number(raw_id, today=self.today)
            except InvalidInput as error:
                issue("id_number", error.message)
        if id_number is not None:
            first = self._seen.get(id_number.value)
            if first is not None:
                issue("id_number", f"与第{first}行的身份证号重复，同一人只需填写一次，请删除重复的行。")
            else:
                self._seen[id_number.value] = number
        mobile = None
        if normalise(values.get("mobile")):
            try:
                mobile = parse_mobile(values.get("mobile"))
            except InvalidInput as error:
                issue("mobile", error.message)
        occupation = normalise_text(values.get("occupation")) or None
        if occupation and len(occupation) > 40:
            issue("occupation", N_("职业不超过40个字。"))
        answers = {}
        for key in ("is_gig_worker", "has_social_insurance"):
            try:
                answers[key] = parse_yes_no(values.get(key), column=COLUMN_LABELS[key])
            except InvalidInput as error:
                issue(key, error.message)
        if problems:
            shown = (shown_name(values.get("name")),
                     mask_id_number(id_number.value) if id_number else shown_id_number(raw_id))
            return [RowIssue(number, column, message, name=shown[0], masked_id=shown[1])
                    for column, message in problems]
        gig, insured = answers["is_gig_worker"], answers["has_social_insurance"]
        if gig is None:
            gig = occupation in GIG_OCCUPATION_CHOICES
        return RosterRow(
            row=number, name=name, id_number=id_number, mobile=mobile, occupation=occupation,
            is_gig_worker=gig, has_social_insurance=True if insured is None else insured,
        )


def fill_merged(rows: Iterable[tuple[int, list[object]]],
                merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> Iterator[tuple[int, list[object]]]:
    """Copy each merged block's top-left value into its other cells, streaming row by row.

    Merged blocks are few; the top-left value is remembered when its row passes and written into
    the later rows of the block, so memory holds one value per block, not the sheet.
    """
    if not merged:
        yield from rows
        return
    starts: dict[int, list[tuple[int, int, int, int]]] = {}
    for (top, left), (bottom, right) in merged:
        starts.setdefault(top, []).append((top, left, bottom, right))
    active: list[tuple[int, int, int, object]] = []  # (bottom, left, right, value)
    for number, raw in rows:
        index = number - 1
        cells = list(raw)
        for _top, left, bottom, right in starts.get(index, ()):
            value = cells[left] if left < len(cells) else ""
            active.append((bottom, left, right, value))
        active = [block for block in active if block[0] >= index]
        for _bottom, left, right, value in active:
            for column in range(left, right + 1):
                while len(cells) <= column:
                    cells.append("")
                if cells[column] in ("", None):
                    cells[column] = value
        yield number, cells

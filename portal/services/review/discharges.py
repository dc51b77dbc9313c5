"""The proactive reminder: a hospital-discharge list from the medical-insurance side becomes
pre-filled draft claims for covered members who have not claimed, and a text inviting them.

"应赔尽赔": the member who qualifies should not have to know they can claim. Texts need the
member's consent, wait for the morning outside 08:00–20:00 and are never repeated for the same
stay within 7 days (a stay is identified by the draft claim it produced); each text's delivery
status stays visible on the import's page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal import clock
from portal.domain.claims import (
    CLAIM_MACHINE,
    DISCHARGE_LIST_HEADERS,
    DISCHARGE_OUTCOME_LABELS,
    DRAFT_OUTCOMES,
    INVITATION_REPEAT_DAYS,
    ClaimStatus,
    ClaimType,
    DischargeOutcome,
    DischargeRow,
)
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_, interpolate
from portal.domain.identity import parse_id_number
from portal.domain.texts import text_send_after
from portal.extensions import db
from portal.integrations.spreadsheets import cell_text, read_rows
from portal.models import Enrollment, Member, SmsMessage
from portal.models.claims import Claim, DischargeImport
from portal.services import audit
from portal.services.access import require_role
from portal.services.claims import assessment, timeline
from portal.services.review.queries import IMPORT_ROLES
from portal.services.sms import queue_text
from portal.services.unit_of_work import unit_of_work

MAX_ROWS = 20_000
_DATE = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})\D?$")
BAD_DATES = N_("入院日期或出院日期无法识别（应为 2026-07-01 这样的日期）。")
DISCHARGE_BEFORE_ADMISSION = N_("出院日期早于入院日期。")
ALREADY_CLAIMED = N_("该次住院已有理赔申请（%(reference)s）")


@dataclass(frozen=True)
class RowResult:
    line: int
    outcome: DischargeOutcome
    message: str  # stored with the import and shown per line (a bare msgid is translated there)
    claim_id: int | None = None
    sms_id: int | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "outcome": self.outcome.value, "message": self.message,
                "claim_id": self.claim_id, "sms_id": self.sms_id}


# --- reading the list -------------------------------------------------------------------------


def parse_rows(data: bytes, filename: str, *, today: date) -> list[DischargeRow]:
    """The rows of a discharge list; a row that cannot be used carries its error, the rest go on."""
    rows = iter(read_rows(data, filename))
    positions = _column_positions([cell_text(cell) for cell in next(rows, [])])
    parsed: list[DischargeRow] = []
    for line, cells in enumerate(rows, start=2):
        if len(parsed) >= MAX_ROWS:
            raise InvalidInput(N_("一次最多导入%(max)s行，请分批导入。"), code="file_too_long", max=MAX_ROWS)
        values = {name: (cells[index] if index < len(cells) else None) for name, index in positions.items()}
        if any(cell_text(value) for value in values.values()):
            parsed.append(_parse_row(line, values, today=today))
    return parsed


def _column_positions(header: list[str]) -> dict[str, int]:
    positions = {}
    for name in DISCHARGE_LIST_HEADERS:
        matches = [index for index, cell in enumerate(header) if cell.replace(" ", "").startswith(name)]
        if not matches:
            raise InvalidInput(N_("第1行缺少“%(column)s”列。表头应为：%(headers)s。"), code="file_header",
                               column=name, headers="、".join(DISCHARGE_LIST_HEADERS))
        positions[name] = matches[0]
    return positions


def _parse_row(line: int, values: dict, *, today: date) -> DischargeRow:
    row = DischargeRow(line=line, id_number="", admission_date=_parse_date(values["入院日期"]),
                       discharge_date=_parse_date(values["出院日期"]), hospital=cell_text(values["医院"])[:120],
                       diagnosis=cell_text(values["诊断"])[:200])
    try:
        row.id_number = parse_id_number(cell_text(values["身份证号"]), today=today).value
    except InvalidInput as error:
        row.error = error.message
    if row.error is None and (row.admission_date is None or row.discharge_date is None):
        row.error = BAD_DATES
    elif row.error is None and row.discharge_date < row.admission_date:
        row.error = DISCHARGE_BEFORE_ADMISSION
    return row


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if text.isdigit() and len(text) == 8:
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.match(text) if text else None
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# --- importing --------------------------------------------------------------------------------


@unit_of_work
def import_discharges(actor, data: bytes, filename: str, *, now: datetime | None = None) -> DischargeImport:
    """Create draft claims and invitation texts for the covered, unclaimed stays of a list."""
    require_role(actor, *IMPORT_ROLES)
    now = (now or clock.now()).astimezone(clock.CHINA)
    rows = parse_rows(data, filename, today=now.date())
    record = DischargeImport(filename=(filename or "")[:120], imported_by_id=actor.id, created_at=now,
                             row_count=len(rows), results=[])
    db.session.add(record)
    results = [_import_row(actor, row, now=now) for row in rows]
    record.results = [result.as_dict() for result in results]
    record.drafts_created = sum(1 for result in results if result.outcome in DRAFT_OUTCOMES)
    record.texts_queued = sum(1 for result in results if result.sms_id)
    db.session.flush()
    audit.record(actor, "claim.discharge_import", "discharge_import", record.id, rows=len(rows),
                 drafts=record.drafts_created, texts=record.texts_queued)
    return record


def _told(line: int, outcome: DischargeOutcome, claim: Claim | None = None, sms_id: int | None = None,
          message: str | None = None) -> RowResult:
    return RowResult(line, outcome, message or DISCHARGE_OUTCOME_LABELS[outcome],
                     claim.id if claim is not None else None, sms_id)


def _import_row(actor, row: DischargeRow, *, now: datetime) -> RowResult:
    if row.error:
        return _told(row.line, DischargeOutcome.INVALID, message=row.error)
    member = Member.by_id_number(row.id_number)
    if member is None:
        return _told(row.line, DischargeOutcome.NOT_MEMBER)
    if Enrollment.covering(member.id, row.admission_date) is None:
        return _told(row.line, DischargeOutcome.NOT_COVERED)
    existing = _claim_for_stay(member, row)
    if existing is not None and existing.status != ClaimStatus.DRAFT:
        return _told(row.line, DischargeOutcome.ALREADY_CLAIMED, existing,
                     message=interpolate(ALREADY_CLAIMED, {"reference": existing.reference}))
    claim = existing or _draft_for(member, row, actor, now=now)
    if not member.sms_consent or not member.mobile:
        outcome = DischargeOutcome.DRAFT_ONLY if existing is None else DischargeOutcome.RECENTLY_INVITED
        return _told(row.line, outcome, claim, message=DISCHARGE_OUTCOME_LABELS[DischargeOutcome.DRAFT_ONLY])
    if _invited_lately(claim, now):
        return _told(row.line, DischargeOutcome.RECENTLY_INVITED, claim)
    message = _invite(member, row, claim, now=now)
    if existing is not None:
        return _told(row.line, DischargeOutcome.REINVITED, claim, message.id)
    outcome = DischargeOutcome.HELD if message.send_after else DischargeOutcome.INVITED
    return _told(row.line, outcome, claim, message.id)


def _claim_for_stay(member: Member, row: DischargeRow) -> Claim | None:
    """The member's claim (draft or not) for this stay, unless it was rejected."""
    return db.session.scalar(
        select(Claim).where(Claim.member_id == member.id, Claim.admission_date == row.admission_date,
                            Claim.status != ClaimStatus.REJECTED).order_by(Claim.id).limit(1))


def _invited_lately(claim: Claim, now: datetime) -> bool:
    return db.session.scalar(
        select(SmsMessage.id).where(SmsMessage.kind == "claim_invitation", SmsMessage.subject_type == "claim",
                                    SmsMessage.subject_id == str(claim.id),
                                    SmsMessage.created_at > now - timedelta(days=INVITATION_REPEAT_DAYS)).limit(1)
    ) is not None


def _invite(member: Member, row: DischargeRow, claim: Claim, *, now: datetime) -> SmsMessage:
    message = queue_text(member.mobile, kind="claim_invitation", member=member, subject=("claim", claim.id),
                         send_after=text_send_after(now),
                         params={"name": member.name, "admitted": row.admission_date,
                                 "discharged": row.discharge_date, "hospital": row.hospital,
                                 "reference": claim.reference})
    message.created_at = now
    db.session.flush()
    timeline.add_event(claim, "invited", None, timeline.INVITED, at=now)
    return message


def _draft_for(member: Member, row: DischargeRow, actor, *, now: datetime) -> Claim:
    claim = Claim(member=member, union_id=member.union_id, claim_type=ClaimType.HOSPITAL,
                  status=CLAIM_MACHINE.initial, filed_by_type="import", filed_by_id=actor.id,
                  admission_date=row.admission_date, discharge_date=row.discharge_date, hospital=row.hospital,
                  diagnosis=row.diagnosis, payee_name=member.name, flags=[], flag_codes="")
    db.session.add(claim)
    db.session.flush()
    timeline.add_event(claim, "created", None, timeline.PREFILLED, at=now)
    assessment.refresh_assessment(claim, today=now.date())
    return claim

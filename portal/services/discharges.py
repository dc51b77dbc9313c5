"""The proactive reminder: a hospital-discharge list from the medical-insurance side becomes
pre-filled draft claims for covered members who have not claimed, and a text inviting them.

"应赔尽赔": the member who qualifies should not have to know they can claim. Texts need the
member's consent, wait for the morning outside 08:00–20:00 and are never repeated for the same
stay within 7 days (a stay is identified by the draft claim it produced); each text's delivery
status stays visible on the import's page.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal import clock
from portal.domain.claims import INVITATION_REPEAT_DAYS, ClaimStatus, ClaimType, DischargeRow
from portal.domain.errors import InvalidInput, NotFound
from portal.domain.i18n import N_
from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.roles import Role
from portal.domain.texts import text_send_after
from portal.extensions import db
from portal.integrations.spreadsheets import cell_text, read_rows, write_xlsx
from portal.models import Enrollment, EnrollmentStatus, Member, SmsMessage
from portal.models.claims import Claim, DischargeImport
from portal.services import audit
from portal.services.access import require_role
from portal.services.claims import add_event, refresh_assessment
from portal.services.sms import queue_text

IMPORT_ROLES = (Role.REVIEWER, Role.ADMIN)
HEADERS = ["身份证号", "入院日期", "出院日期", "医院", "诊断"]
MAX_ROWS = 20_000
_DATE = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})\D?$")

OUTCOME_LABELS = {
    "invited": N_("已建草稿并发送邀请短信"),
    "held": N_("已建草稿，邀请短信将于早上8点发送"),
    "draft_only": N_("已建草稿（本人未同意接收短信）"),
    "reinvited": N_("草稿仍未提交，已再次提醒"),
    "recently_invited": N_("7天内已提醒过，不再重复"),
    "already_claimed": N_("该次住院已有理赔申请"),
    "not_member": N_("不是本平台会员"),
    "not_covered": N_("入院时没有有效保障"),
    "invalid": N_("数据有误"),
}


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if text.isdigit() and len(text) == 8:
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_rows(data: bytes, filename: str, *, today: date) -> list[DischargeRow]:
    """The rows of a discharge list; a row that cannot be used carries its error, the rest go on."""
    rows = iter(read_rows(data, filename))
    header = [cell_text(cell) for cell in next(rows, [])]
    positions = {}
    for name in HEADERS:
        matches = [index for index, cell in enumerate(header) if cell.replace(" ", "").startswith(name)]
        if not matches:
            raise InvalidInput(f"第1行缺少“{name}”列。表头应为：{'、'.join(HEADERS)}。", code="file_header")
        positions[name] = matches[0]
    parsed: list[DischargeRow] = []
    for line, cells in enumerate(rows, start=2):
        if len(parsed) >= MAX_ROWS:
            raise InvalidInput(f"一次最多导入{MAX_ROWS}行，请分批导入。", code="file_too_long")
        values = {name: (cells[index] if index < len(cells) else None) for name, index in positions.items()}
        if not any(cell_text(value) for value in values.values()):
            continue
        row = DischargeRow(line=line, id_number="", admission_date=_parse_date(values["入院日期"]),
                           discharge_date=_parse_date(values["出院日期"]), hospital=cell_text(values["医院"])[:120],
                           diagnosis=cell_text(values["诊断"])[:200])
        try:
            row.id_number = parse_id_number(cell_text(values["身份证号"]), today=today).value
        except InvalidInput as error:
            row.error = error.message
        if row.error is None and (row.admission_date is None or row.discharge_date is None):
            row.error = "入院日期或出院日期无法识别（应为 2026-07-01 这样的日期）。"
        elif row.error is None and row.discharge_date < row.admission_date:
            row.error = "出院日期早于入院日期。"
        parsed.append(row)
    return parsed


def import_discharges(actor, data: bytes, filename: str, *, now: datetime | None = None) -> DischargeImport:
    """Create draft claims and invitation texts for the covered, unclaimed stays of a list."""
    require_role(actor, *IMPORT_ROLES)
    now = (now or clock.now()).astimezone(clock.CHINA)
    today = now.date()
    rows = parse_rows(data, filename, today=today)
    record = DischargeImport(filename=(filename or "")[:120], imported_by_id=actor.id, created_at=now,
                             row_count=len(rows), results=[])
    db.session.add(record)
    results = []
    for row in rows:
        outcome, message, claim_id, sms_id = _import_row(actor, row, now=now)
        results.append({"line": row.line, "outcome": outcome, "message": message, "claim_id": claim_id,
                        "sms_id": sms_id})
    record.results = results
    record.drafts_created = sum(1 for r in results if r["outcome"] in ("invited", "held", "draft_only"))
    record.texts_queued = sum(1 for r in results if r["sms_id"])
    db.session.flush()
    audit.record(actor, "claim.discharge_import", "discharge_import", record.id, rows=len(rows),
                 drafts=record.drafts_created, texts=record.texts_queued)
    db.session.commit()
    return record


def _import_row(actor, row: DischargeRow, *, now: datetime):
    if row.error:
        return "invalid", row.error, None, None
    member = Member.by_id_number(row.id_number)
    if member is None:
        return "not_member", OUTCOME_LABELS["not_member"], None, None
    if Enrollment.covering(member.id, row.admission_date) is None:
        return "not_covered", OUTCOME_LABELS["not_covered"], None, None
    existing = db.session.scalar(
        select(Claim).where(Claim.member_id == member.id, Claim.admission_date == row.admission_date,
                            Claim.status != ClaimStatus.REJECTED).order_by(Claim.id).limit(1))
    if existing is not None and existing.status != ClaimStatus.DRAFT:
        return "already_claimed", f"{OUTCOME_LABELS['already_claimed']}（{existing.reference}）", existing.id, None
    created = existing is None
    claim = existing or _draft_for(member, row, actor, now=now)
    if not member.sms_consent or not member.mobile:
        return ("draft_only" if created else "recently_invited"), OUTCOME_LABELS["draft_only"], claim.id, None
    recent = db.session.scalar(
        select(SmsMessage.id).where(SmsMessage.kind == "claim_invitation", SmsMessage.subject_type == "claim",
                                    SmsMessage.subject_id == str(claim.id),
                                    SmsMessage.created_at > now - timedelta(days=INVITATION_REPEAT_DAYS)).limit(1))
    if recent is not None:
        return "recently_invited", OUTCOME_LABELS["recently_invited"], claim.id, None
    send_after = text_send_after(now)
    message = queue_text(
        member.mobile,
        f"{member.name}您好：您于{row.admission_date:%Y年%m月%d日}至{row.discharge_date:%m月%d日}在{row.hospital}住院，"
        f"可申请职工互助保障金。我们已为您预填理赔申请（{claim.reference}），请登录平台“我的理赔”补充材料后提交。",
        kind="claim_invitation", member=member, subject=("claim", claim.id), send_after=send_after)
    message.created_at = now
    db.session.flush()
    add_event(claim, "invited", None, N_("已发送短信，邀请您补充材料并提交申请。"), at=now)
    if not created:
        return "reinvited", OUTCOME_LABELS["reinvited"], claim.id, message.id
    return ("held" if send_after else "invited"), OUTCOME_LABELS["held" if send_after else "invited"], claim.id, \
        message.id


def _draft_for(member: Member, row: DischargeRow, actor, *, now: datetime) -> Claim:
    claim = Claim(member=member, union_id=member.union_id, claim_type=ClaimType.HOSPITAL, status=ClaimStatus.DRAFT,
                  filed_by_type="import", filed_by_id=actor.id, admission_date=row.admission_date,
                  discharge_date=row.discharge_date, hospital=row.hospital, diagnosis=row.diagnosis,
                  payee_name=member.name, flags=[], flag_codes="")
    db.session.add(claim)
    db.session.flush()
    add_event(claim, "created", None, N_("根据医保出院信息为您预填了住院理赔申请，请核对并补充材料后提交。"), at=now)
    refresh_assessment(claim, today=now.date())
    return claim


def get_import(actor, import_id: int) -> tuple[DischargeImport, dict[int, SmsMessage]]:
    """An import with the current delivery status of each text it queued."""
    require_role(actor, *IMPORT_ROLES)
    record = db.session.get(DischargeImport, import_id)
    if record is None:
        raise NotFound(N_("找不到该次导入。"))
    ids = [result["sms_id"] for result in record.results if result.get("sms_id")]
    texts = {message.id: message for message in db.session.scalars(select(SmsMessage).where(SmsMessage.id.in_(ids)))}
    return record, texts


def list_imports(actor) -> list[DischargeImport]:
    require_role(actor, *IMPORT_ROLES)
    return list(db.session.scalars(select(DischargeImport).order_by(DischargeImport.id.desc()).limit(20)))


def sample_discharge_list(actor, *, count: int = 8, today: date | None = None) -> bytes:
    """A discharge list for trying the import: recent stays of covered members with no claim.

    Built from the current database (demo data or not), so it always matches real people.
    """
    require_role(actor, *IMPORT_ROLES)
    today = today or clock.today()
    members = db.session.scalars(
        select(Member).join(Enrollment, Enrollment.member_id == Member.id)
        .where(Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.starts_on <= today - timedelta(days=60),
               Enrollment.ends_on >= today, ~Member.id.in_(select(Claim.member_id)))
        .order_by(Member.id).limit(count))
    hospitals = ["无锡市人民医院", "无锡市第二人民医院", "江南大学附属医院", "无锡市中医医院"]
    diagnoses = ["社区获得性肺炎", "急性阑尾炎", "腰椎间盘突出症", "2型糖尿病", "冠状动脉粥样硬化性心脏病"]
    rows = []
    for index, member in enumerate(members):
        admitted = today - timedelta(days=20 + index * 3)
        rows.append([member.id_number, admitted.isoformat(), (admitted + timedelta(days=5 + index)).isoformat(),
                     hospitals[index % len(hospitals)], diagnoses[index % len(diagnoses)]])
    # A stay of someone who is not a member: the import says so instead of failing.
    rows.append([compose_id_number("110101", date(1990, 3, 7), 999), (today - timedelta(days=15)).isoformat(),
                 (today - timedelta(days=9)).isoformat(), hospitals[0], "桡骨远端骨折"])
    return write_xlsx(HEADERS, rows, sheet="出院名单", text_columns=(0,))

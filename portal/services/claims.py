"""Filing claims: drafts, documents, submission, the automatic checks, and the member's lookup.

A member files for themself; a union officer files for a member of its own union. The cover a
claim is judged against is always found from the claimant and the event date, never chosen by
whoever fills the form, so a claim on someone else's cover cannot be made.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.domain.claims import (
    EDITABLE_BY_CLAIMANT,
    EXTENSIONS,
    ClaimAction,
    ClaimStatus,
    ClaimType,
    CoverFacts,
    PlanYearHistory,
    calculate_benefit,
    check_claim,
    document_label,
    missing_documents,
    next_status,
    parse_bank_card,
    required_documents,
    required_fields,
    sniff_content_type,
)
from portal.domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from portal.domain.i18n import N_
from portal.domain.identity import parse_id_number
from portal.domain.money import format_yuan
from portal.domain.plans import BenefitSchedule
from portal.domain.roles import Role
from portal.domain.texts import text_send_after
from portal.extensions import db
from portal.models import Enrollment, Member, Plan
from portal.models.claims import Claim, ClaimDocument, ClaimEvent
from portal.services import audit
from portal.services.access import require_union_in_scope, role_of, union_scope
from portal.services.sms import queue_text

# Roles that see every claim (and its documents); officers see their union's, members their own.
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)
# Statuses whose amounts count against the plan year's limits.
COUNTING_STATUSES = (ClaimStatus.AWAITING_SECOND, ClaimStatus.APPROVED, ClaimStatus.PAYOUT_PENDING, ClaimStatus.PAID)
REQUEST_KEY_LENGTH = 64  # claims.request_key
EDITABLE_FIELDS = (
    "admission_date", "discharge_date", "hospital", "diagnosis", "disease", "diagnosis_date", "accident_date",
    "accident_description", "medical_costs_fen", "disability_grade", "is_death", "payee_name", "bank_name",
)


def actor_label(actor) -> str:
    return audit.actor_label(actor)[:80]


# --- access -----------------------------------------------------------------------------------


def _get_claim(claim_id: int) -> Claim:
    claim = db.session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(N_("找不到该理赔申请，请从“我的理赔”列表进入。"))
    return claim


def require_claim_access(actor, claim: Claim) -> None:
    """The member it belongs to, an officer of its union (subtree), or a reviewer/administrator."""
    role = role_of(actor)
    if role is Role.MEMBER:
        if claim.member_id != actor.id:
            raise NotFound(N_("找不到该理赔申请，请从“我的理赔”列表进入。"))  # do not confirm it exists
        return
    if role in REVIEW_ROLES:
        return
    if role is Role.UNION_OFFICER:
        require_union_in_scope(actor, claim.union)
        return
    raise PermissionDenied()


def load_claim(actor, claim_id: int) -> Claim:
    claim = _get_claim(claim_id)
    require_claim_access(actor, claim)
    return claim


def _require_claimant(actor, claim: Claim) -> None:
    """Filing and editing: the member themself or their union officer, not reviewers."""
    if role_of(actor) not in (Role.MEMBER, Role.UNION_OFFICER):
        raise PermissionDenied(N_("理赔申请由会员本人或所在工会经办人填写。"))
    require_claim_access(actor, claim)


def _require_editable(claim: Claim) -> None:
    if claim.status not in EDITABLE_BY_CLAIMANT:
        raise Conflict(f"该申请当前状态为“{claim.status_label}”，不能再修改。如有疑问请联系所在工会。",
                       code="claim_state")


def check_version(claim: Claim, version: int | None) -> None:
    """Refuse a write based on an older page than the claim now is (someone acted meanwhile)."""
    if version is not None and not same_version(version, claim.version_id):
        raise Conflict(N_("该申请刚刚已被他人处理或修改，请刷新页面查看最新状态后再操作。"), code="stale")


def same_version(seen: object, current: int) -> bool:
    """Whether the version a page was built on is the current one; a garbled one never is."""
    try:
        return int(seen) == current
    except (TypeError, ValueError):
        return False


@contextmanager
def conflict_on_stale():
    """A concurrent change to the same row (optimistic version) becomes a ``Conflict``, whether
    it shows at an autoflush in the middle of the action or at the commit."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        raise Conflict(N_("该申请刚刚已被他人处理或修改，请刷新页面查看最新状态后再操作。"), code="stale") from None


def commit_or_conflict() -> None:
    with conflict_on_stale():
        db.session.commit()


def add_event(claim: Claim, kind: str, actor, message: str, *, visible: bool = True,
              at: datetime | None = None) -> ClaimEvent:
    event = ClaimEvent(claim=claim, kind=kind, actor_label=_public_actor(actor), message=message[:500],
                       visible_to_member=visible)
    if at is not None:
        event.at = at
    db.session.add(event)
    return event


def _public_actor(actor) -> str:
    """How the member reads who acted: their own name, "工会经办人", "审核员", never a username."""
    role = role_of(actor)
    if role is Role.MEMBER:
        return N_("本人")
    if role is Role.UNION_OFFICER:
        return N_("工会经办人")
    if role in REVIEW_ROLES:
        return N_("互助会审核员")
    return N_("系统")


# --- starting and editing a claim -------------------------------------------------------------


def start_claim(actor, claim_type: str, *, request_key: str, id_number: str | None = None,
                today: date | None = None) -> Claim:
    """Start a draft; the same ``request_key`` (one form, clicked twice) returns the same draft."""
    today = today or clock.today()
    try:
        kind = ClaimType(claim_type)
    except ValueError:
        raise InvalidInput(N_("请选择申请类型。"), field="claim_type") from None
    role = role_of(actor)
    if role is Role.MEMBER:
        member = actor
    elif role is Role.UNION_OFFICER:
        if not id_number:
            raise InvalidInput(N_("请填写职工的身份证号码。"), field="id_number")
        parsed = parse_id_number(id_number, today=today)
        member = Member.by_id_number(parsed.value)
        if member is None:
            raise InvalidInput(N_("没有找到该身份证号码的会员，请核对或先为其办理入会。"), field="id_number")
        require_union_in_scope(actor, member.union)
    else:
        raise PermissionDenied(N_("理赔申请由会员本人或所在工会经办人填写。"))
    if request_key and len(request_key) > REQUEST_KEY_LENGTH:
        # Our forms send a 32-character key; a longer one (a client of its own) still means one draft.
        request_key = hashlib.sha256(request_key.encode()).hexdigest()
    if request_key:
        existing = db.session.scalar(select(Claim).where(Claim.request_key == request_key))
        if existing is not None:
            require_claim_access(actor, existing)
            return existing
    claim = Claim(member=member, union_id=member.union_id, claim_type=kind, status=ClaimStatus.DRAFT,
                  filed_by_type="member" if role is Role.MEMBER else "staff", filed_by_id=actor.id,
                  request_key=request_key or None, payee_name=member.name, flags=[], flag_codes="")
    db.session.add(claim)
    add_event(claim, "created", actor, f"开始填写{kind.label}理赔申请（草稿已保存）。")
    try:
        db.session.flush()
    except IntegrityError:  # the other click of a double click won the unique request key
        db.session.rollback()
        existing = db.session.scalar(select(Claim).where(Claim.request_key == request_key))
        require_claim_access(actor, existing)
        return existing
    audit.record(actor, "claim.start", "claim", claim.id, member_id=member.id, claim_type=kind.value)
    db.session.commit()
    return claim


def save_claim(actor, claim_id: int, data: dict, *, version: int | None = None, bank_card: str | None = None,
               claim_type: str | None = None, today: date | None = None) -> Claim:
    """Save what the claimant typed (a draft may be incomplete); re-run the checks as a preview."""
    today = today or clock.today()
    claim = _get_claim(claim_id)
    _require_claimant(actor, claim)
    _require_editable(claim)
    check_version(claim, version)
    # Everything is checked before anything changes, so a refusal leaves the claim as it was.
    grade, costs = data.get("disability_grade"), data.get("medical_costs_fen")
    if grade is not None and not 1 <= grade <= 10:
        raise InvalidInput(N_("伤残等级应为1到10级。"), field="disability_grade")
    if costs is not None and costs < 0:
        raise InvalidInput(N_("医疗费用不能为负数。"), field="medical_costs")
    card = parse_bank_card(bank_card) if bank_card else None
    new_type = None
    if claim_type and claim.status == ClaimStatus.DRAFT:
        try:
            new_type = ClaimType(claim_type)
        except ValueError:
            raise InvalidInput(N_("请选择申请类型。"), field="claim_type") from None
    if new_type is not None:
        claim.claim_type = new_type
    for name in EDITABLE_FIELDS:
        if name in data:
            value = data[name]
            setattr(claim, name, (value.strip() or None) if isinstance(value, str) else value)
    if card:
        claim.bank_card, claim.bank_card_last4 = card, card[-4:]
    with conflict_on_stale():  # as in submit_claim
        refresh_assessment(claim, today=today)
    audit.record(actor, "claim.save", "claim", claim.id)
    commit_or_conflict()
    return claim


# --- the automatic checks and the benefit -----------------------------------------------------


def _cover_for(claim: Claim) -> Enrollment | None:
    event = claim.facts().event_date
    if event is None:
        return None
    return Enrollment.covering(claim.member_id, event)


def _schedule_for(claim: Claim) -> BenefitSchedule | None:
    if claim.enrollment is not None:
        return claim.enrollment.plan.schedule()
    plan = db.session.scalar(select(Plan).where(Plan.is_current.is_(True)).order_by(Plan.id.desc()).limit(1))
    return plan.schedule() if plan else None


def plan_year_history(claim: Claim) -> PlanYearHistory:
    """What the member's other claims of the same plan year already use of its limits."""
    if claim.plan_year is None:
        return PlanYearHistory()
    others = (Claim.member_id == claim.member_id, Claim.plan_year == claim.plan_year,
              Claim.status.in_(COUNTING_STATUSES), Claim.id != claim.id)
    days = db.session.scalar(select(func.coalesce(func.sum(Claim.allowance_days), 0)).where(*others))
    critical = db.session.scalar(select(Claim.id).where(*others, Claim.pays_critical_illness.is_(True)).limit(1))
    return PlanYearHistory(allowance_days_paid=int(days or 0), critical_illness_paid=critical is not None)


def _duplicate_of(claim: Claim) -> int | None:
    if claim.admission_date is None:
        return None
    return db.session.scalar(
        select(Claim.id).where(
            Claim.member_id == claim.member_id, Claim.admission_date == claim.admission_date,
            Claim.id != claim.id, Claim.status.notin_((ClaimStatus.DRAFT, ClaimStatus.REJECTED)),
        ).order_by(Claim.id).limit(1)
    )


def missing_document_kinds(claim: Claim, schedule: BenefitSchedule | None = None) -> list[str]:
    schedule = schedule or _schedule_for(claim)
    if schedule is None:
        return []
    required = required_documents(schedule, claim.facts())
    requested = [kind for kind in (claim.documents_requested or []) if kind not in required]
    return missing_documents(required + requested, [document.kind for document in claim.documents])


def refresh_assessment(claim: Claim, *, today: date) -> None:
    """Find the cover, run the automatic checks and compute the benefit with its breakdown."""
    enrollment = _cover_for(claim)
    claim.enrollment = enrollment
    claim.plan = enrollment.plan if enrollment else claim.plan
    claim.plan_year = enrollment.plan_year if enrollment else None
    claim.event_date = claim.facts().event_date
    schedule = _schedule_for(claim)
    facts = claim.facts()
    cover = (CoverFacts(enrollment.starts_on, enrollment.ends_on, enrollment.is_renewal)
             if enrollment is not None else None)
    filed_on = claim.submitted_at.astimezone(clock.CHINA).date() if claim.submitted_at else today
    flags = check_claim(schedule, facts, cover, filed_on=filed_on,
                        missing_documents=missing_document_kinds(claim, schedule),
                        duplicate_of=_duplicate_of(claim))
    claim.flags = [flag.as_dict() for flag in flags]
    claim.flag_codes = "".join(f",{flag.code}" for flag in flags) + ("," if flags else "")
    claim.is_flagged = bool(flags)
    if schedule is None or facts.event_date is None:
        claim.breakdown, claim.calculated_fen, claim.allowance_days, claim.pays_critical_illness = None, None, 0, False
        return
    benefit = calculate_benefit(schedule, facts, plan_year_history(claim))
    claim.breakdown = benefit.as_dict()
    claim.calculated_fen = benefit.total_fen
    claim.allowance_days = benefit.allowance_days
    claim.pays_critical_illness = any(line.code == "critical_illness" and line.amount_fen for line in benefit.lines)


# --- documents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    content: bytes
    content_type: str


def _reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode, which drops EXIF (with GPS), XMP and text chunks; keeps orientation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise InvalidInput(N_("图片已损坏或无法识别，请重新拍照上传（JPG或PNG）。"), code="upload_unreadable",
                           field="file") from None
    output = io.BytesIO()
    if content_type == "image/jpeg":
        upright.convert("RGB").save(output, format="JPEG", quality=88, optimize=True)
    else:
        upright.save(output, format="PNG", optimize=True)
    return output.getvalue()


def prepare_upload(data: bytes, max_bytes: int) -> StoredFile:
    """Check an uploaded file by its content and size; images come back without metadata."""
    if not data:
        raise InvalidInput(N_("文件是空的，请重新选择。"), code="upload_empty", field="file")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"文件大小为{len(data) / 1024 / 1024:.1f}MB，超过了{max_bytes // 1024 // 1024}MB的限制。"
            "请压缩图片或分页拍照后再上传。", code="upload_too_large", field="file")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise InvalidInput(N_("只能上传JPG、PNG图片或PDF文件（按文件内容识别，改扩展名无效）。"
                           "请用手机拍照或扫描成PDF后上传。"), code="upload_type", field="file")
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput(N_("PDF文件不完整或已损坏，请重新导出后上传。"), code="upload_unreadable", field="file")
        return StoredFile(data, content_type)
    return StoredFile(_reencode_image(data, content_type), content_type)


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def document_path(document: ClaimDocument) -> Path:
    return _upload_root() / document.stored_name


def upload_document(actor, claim_id: int, *, kind: str, filename: str, data: bytes,
                    today: date | None = None) -> ClaimDocument:
    """Add a document to a draft (or to a claim waiting for documents)."""
    today = today or clock.today()
    claim = _get_claim(claim_id)
    _require_claimant(actor, claim)
    _require_editable(claim)
    schedule = _schedule_for(claim)
    allowed = set(required_documents(schedule, claim.facts()) if schedule else []) | set(
        claim.documents_requested or []) | {"disability_appraisal", "death_certificate", "invoice"}
    if kind not in allowed:
        raise InvalidInput(N_("请选择材料类型。"), field="kind")
    stored = prepare_upload(data, current_app.config["UPLOAD_MAX_BYTES"])
    document, path = store_document(claim, kind, filename, stored, uploaded_by=actor_label(actor))
    if path is None:
        return document  # the same file twice (double click, second try) is one document
    refresh_assessment(claim, today=today)
    audit.record(actor, "claim.document_upload", "claim", claim.id, kind=kind, size=len(stored.content))
    try:
        commit_or_conflict()
    except DomainError:
        path.unlink(missing_ok=True)
        raise
    return document


def store_document(claim: Claim, kind: str, filename: str | None, stored: StoredFile, *,
                   uploaded_by: str) -> tuple[ClaimDocument, Path | None]:
    """Write a checked file under a random name and add its row; ``path`` is None for a repeat."""
    digest = hashlib.sha256(stored.content).hexdigest()
    existing = next((doc for doc in claim.documents if doc.sha256 == digest), None)
    if existing is not None:
        return existing, None
    token = secrets.token_hex(16)
    stored_name = f"claims/{token[:2]}/{token}.{EXTENSIONS[stored.content_type]}"
    path = _upload_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stored.content)
    document = ClaimDocument(claim=claim, kind=kind, original_name=_safe_name(filename), stored_name=stored_name,
                             content_type=stored.content_type, size_bytes=len(stored.content), sha256=digest,
                             uploaded_by=uploaded_by)
    db.session.add(document)
    return document, path


def _safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name
    return "".join(ch for ch in name if ch.isprintable())[:120] or "upload"


def remove_document(actor, document_id: int, *, today: date | None = None) -> Claim:
    document = db.session.get(ClaimDocument, document_id)
    if document is None:
        raise NotFound(N_("找不到该材料。"))
    claim = document.claim
    _require_claimant(actor, claim)
    _require_editable(claim)
    path = document_path(document)
    claim.documents.remove(document)
    db.session.delete(document)
    refresh_assessment(claim, today=today or clock.today())
    audit.record(actor, "claim.document_remove", "claim", claim.id, kind=document.kind)
    commit_or_conflict()
    path.unlink(missing_ok=True)
    return claim


def open_document(actor, document_id: int) -> tuple[ClaimDocument, Path]:
    """A document for viewing by someone allowed to see it; every view is audited."""
    document = db.session.get(ClaimDocument, document_id)
    if document is None:
        raise NotFound(N_("找不到该材料。"))
    require_claim_access(actor, document.claim)
    audit.record(actor, "claim.document_view", "claim_document", document.id, claim_id=document.claim_id,
                 kind=document.kind)
    db.session.commit()
    return document, document_path(document)


# --- submission -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    claim: Claim
    already_submitted: bool = False


def submit_claim(actor, claim_id: int, *, now: datetime | None = None) -> SubmitResult:
    """Submit a draft (or resubmit with the documents asked for). A second click changes nothing."""
    now = now or clock.now()
    claim = _get_claim(claim_id)
    _require_claimant(actor, claim)
    if claim.status not in EDITABLE_BY_CLAIMANT:
        return SubmitResult(claim, already_submitted=True)
    problems = required_fields(claim.facts())
    if not claim.bank_card:
        problems.append(("bank_card", "请填写收款银行卡号。"))
    if problems:
        raise InvalidInput("还不能提交：" + "".join(message for _, message in problems), code="claim_incomplete",
                           field=problems[0][0])
    resubmit = claim.status == ClaimStatus.NEEDS_DOCUMENTS
    claim.status = next_status(claim.status, ClaimAction.RESUBMIT if resubmit else ClaimAction.SUBMIT)
    claim.submitted_at = claim.submitted_at or now
    with conflict_on_stale():  # its queries autoflush: a save that just won the race shows here
        refresh_assessment(claim, today=now.astimezone(clock.CHINA).date())
    add_event(claim, "submitted", actor, N_("已补充材料并重新提交。") if resubmit else N_("申请已提交，等待审核。"),
              at=now)
    add_event(claim, "checked", None, _check_summary(claim), at=now)
    audit.record(actor, "claim.resubmit" if resubmit else "claim.submit", "claim", claim.id,
                 flags=[flag["code"] for flag in claim.flags], calculated_fen=claim.calculated_fen)
    commit_or_conflict()
    return SubmitResult(claim)


def _check_summary(claim: Claim) -> str:
    amount = f"系统测算金额{format_yuan(claim.calculated_fen)}。" if claim.calculated_fen is not None else ""
    if not claim.flags:
        return "自动检查通过。" + amount
    return "自动检查发现需人工核实：" + "；".join(flag["message"] for flag in claim.flags) + amount


# --- reminders --------------------------------------------------------------------------------


def text_claimant(claim: Claim, kind: str, body: str, *, now: datetime | None = None, essential: bool = True):
    """Text the claimant about their claim, never in quiet hours; non-essential ones need consent.

    Texts answering the member's own claim (documents needed, decision, payment) are service
    messages and go whatever the marketing consent; invitations need ``sms_consent``.
    """
    member = claim.member
    if not member.mobile or (not essential and not member.sms_consent):
        return None
    now = (now or clock.now()).astimezone(clock.CHINA)
    message = queue_text(member.mobile, body, kind=kind, member=member, subject=("claim", claim.id),
                         send_after=text_send_after(now))
    add_event(claim, "texted", None, f"已发送短信提醒：{body}", at=now)
    return message


# --- lookups ----------------------------------------------------------------------------------


def member_claims(member) -> list[Claim]:
    """Every claim of the signed-in member, newest first."""
    return list(db.session.scalars(
        select(Claim).where(Claim.member_id == member.id).order_by(Claim.id.desc())
    ))


def union_claims(actor, *, status: str | None = None, query: str | None = None, page: int = 1,
                 per_page: int = 50, today: date | None = None) -> tuple[list[Claim], int]:
    """The claims of the officer's union subtree (federation-wide for reviewers)."""
    if role_of(actor) not in (Role.UNION_OFFICER, *REVIEW_ROLES):
        raise PermissionDenied()
    stmt = union_scope(select(Claim), actor, Claim.union_id)
    if status:
        stmt = stmt.where(Claim.status == status)
    if query:
        try:
            member = Member.by_id_number(parse_id_number(query, today=today or clock.today()).value)
        except InvalidInput:
            member = None
        stmt = stmt.where(or_(Claim.member_id == (member.id if member else -1),
                              Claim.id == _reference_id(query)))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.options(selectinload(Claim.member)).order_by(Claim.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def _reference_id(text: str) -> int:
    digits = text.strip().upper().removeprefix("LP")
    return int(digits) if digits.isdigit() else -1


def member_timeline(claim: Claim, actor) -> list[ClaimEvent]:
    """Events the viewer may read: members see the ones meant for them, staff see all."""
    if role_of(actor) is Role.MEMBER:
        return [event for event in claim.events if event.visible_to_member]
    return list(claim.events)


def document_choices(claim: Claim) -> list[tuple[str, str]]:
    schedule = _schedule_for(claim)
    kinds = required_documents(schedule, claim.facts()) if schedule else []
    for kind in claim.documents_requested or []:
        if kind not in kinds:
            kinds.append(kind)
    return [(kind, document_label(kind)) for kind in kinds]

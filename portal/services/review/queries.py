"""What the review pages read: the queue and its counts, payout batches, discharge-list imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, bindparam, case, false, func, null, or_, select
from sqlalchemy.orm import load_only, selectinload

from portal import clock
from portal.domain.bounds import record_id
from portal.domain.claims import DISCHARGE_LIST_HEADERS, OPEN_FOR_REVIEW, ClaimStatus
from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_
from portal.domain.identity import compose_id_number, normalise, parse_id_number
from portal.extensions import db
from portal.integrations.spreadsheets import write_xlsx
from portal.models import Enrollment, EnrollmentStatus, Member, SmsMessage, Union
from portal.models.claims import Claim, DischargeImport, PayoutBatch, PayoutItem
from portal.models.people import PersonalDataMixin
from portal.pii import lookup_hash
from portal.services.access import require_role
from portal.services.claims.access import REVIEW_ROLES
from portal.services.records import get_or_not_found

PAYOUT_ROLES = REVIEW_ROLES  # the federation staff who answer for the money
IMPORT_ROLES = REVIEW_ROLES

# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None  # one status, or None for everything still open
    flag: str | None = None  # a flag code, "any", or "none"
    union_code: str | None = None
    min_age_days: int | None = None  # submitted at least this many days ago
    q: str | None = None  # a claim number, a member's name or their ID number (typed in full)


@dataclass(frozen=True, slots=True)
class QueueMember:
    id: int
    name: str
    masked_name = PersonalDataMixin.masked_name  # the model's own rule, on these two fields


@dataclass(frozen=True, slots=True)
class QueueUnion:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What review/_queue_table.html shows of a claim, read as plain values: a page of fifty claims
    loaded as ORM objects (each with its member and union) cost more than the rest of the page, most
    of it marking the forty columns not read as deferred on every object. The labels and the number
    are the model's own properties."""

    id: int
    claim_type: str
    status: str
    submitted_at: datetime | None
    is_flagged: bool
    sample_hold: bool
    calculated_fen: int | None
    flags: list
    member: QueueMember | None
    union: QueueUnion | None

    type_enum = Claim.type_enum
    type_label = Claim.type_label
    status_enum = Claim.status_enum
    status_label = Claim.status_label
    reference = Claim.reference


# A claim's checks are decrypted only when it has any: most claims of a queue have none, and each
# would otherwise be a Fernet decryption of an empty list (``flags``, ``flag_codes`` and
# ``is_flagged`` are written together by the assessment).
_FLAGS_IF_ANY = case((or_(Claim.is_flagged, Claim.flag_codes != ""), Claim.flags), else_=null())
# Built once (its cache key too): the rows of one page of the queue, by claim id.
_QUEUE_ROWS = (
    select(Claim.id, Claim.claim_type, Claim.status, Claim.submitted_at, Claim.is_flagged, Claim.sample_hold,
           Claim.calculated_fen, _FLAGS_IF_ANY, Member.id, Member.name, Union.id, Union.name)
    .outerjoin(Member, Member.id == Claim.member_id)
    .outerjoin(Union, Union.id == Claim.union_id)
    .where(Claim.id.in_(bindparam("claim_ids", expanding=True)))
)


def review_queue(actor, filters: QueueFilters, *, page: int = 1, per_page: int = 50,
                 now: datetime | None = None) -> tuple[list[QueueRow], int]:
    """Claims to review, oldest submission first, filtered and paged."""
    stmt = queue_stmt(actor, filters, now=now)
    if stmt is None:
        return [], 0
    total = db.session.scalar(stmt.with_only_columns(func.count(Claim.id)).order_by(None))
    # The page's ids first (an index-only scan of the covering index), then only those rows:
    # sorting thousands of whole claim rows to keep fifty cost PostgreSQL 30 ms a page.
    page_ids = list(db.session.scalars(
        stmt.with_only_columns(Claim.id)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    if not page_ids:
        return [], total
    # Only what a queue row shows: nothing else decrypted (hospital, diagnosis, bank card, members'
    # ID numbers, breakdowns: each a Fernet decryption per row, a third of the page's time), the
    # member's name and the union's joined in.
    by_id = {}
    for (claim_id, claim_type, status, submitted_at, is_flagged, sample_hold, calculated_fen, flags,
         member_id, member_name, union_id, union_name) in db.session.execute(_QUEUE_ROWS, {"claim_ids": page_ids}):
        by_id[claim_id] = QueueRow(
            id=claim_id, claim_type=claim_type, status=status, submitted_at=submitted_at, is_flagged=is_flagged,
            sample_hold=sample_hold, calculated_fen=calculated_fen, flags=flags or [],
            member=None if member_id is None else QueueMember(member_id, member_name),
            union=None if union_id is None else QueueUnion(union_id, union_name))
    return [by_id[claim_id] for claim_id in page_ids], total


def queue_stmt(actor, filters: QueueFilters, *, now: datetime | None = None) -> Select | None:
    """The queue as the page filters it, oldest submission first (the page and its export share it)."""
    require_role(actor, *REVIEW_ROLES)
    stmt = _queue_statement(filters, now or clock.now())
    return None if stmt is None else stmt.order_by(Claim.submitted_at, Claim.id)


def payout_items_stmt(actor, *, batch_id: int | None = None) -> Select:
    """Payout lines, newest batch first (all batches, or one)."""
    require_role(actor, *PAYOUT_ROLES)
    stmt = select(PayoutItem).join(PayoutBatch).options(
        selectinload(PayoutItem.batch), selectinload(PayoutItem.claim).selectinload(Claim.member))
    if batch_id is not None:
        stmt = stmt.where(PayoutItem.batch_id == batch_id)
    return stmt.order_by(PayoutBatch.id.desc(), PayoutItem.id)


def _queue_statement(filters: QueueFilters, now: datetime) -> Select | None:
    """The queue's claims as a statement; ``None`` when the filters can match nothing (an unknown union)."""
    stmt = select(Claim).where(Claim.status != ClaimStatus.DRAFT)
    stmt = stmt.where(Claim.status == filters.status if filters.status else Claim.status.in_(OPEN_FOR_REVIEW))
    if filters.flag == "none":
        stmt = stmt.where(Claim.is_flagged.is_(False))
    elif filters.flag == "any":
        stmt = stmt.where(Claim.is_flagged.is_(True))
    elif filters.flag:
        stmt = stmt.where(Claim.flag_codes.contains(f",{filters.flag},"))
    if filters.union_code:
        union = db.session.scalar(select(Union).where(Union.code == filters.union_code))
        if union is None:
            return None
        stmt = stmt.where(Claim.union_id.in_(union.subtree_ids()))  # literals: see access.union_scope
    if filters.min_age_days:
        stmt = stmt.where(Claim.submitted_at <= now - timedelta(days=filters.min_age_days))
    if filters.q and filters.q.strip():
        stmt = stmt.where(_search(filters.q, now.date()))
    return stmt


def _search(text: str, today: date):
    """The claims a reviewer's search words point at: a claim number (LP0000123 or 123), an ID
    number typed in full (matched by its keyed hash: the numbers are stored encrypted, so the
    portal never holds them in a form a part of one could be looked up by), or part of a name."""
    words = normalise(text).upper()
    matches = []
    claim_id = record_id(words.removeprefix("LP"))
    if claim_id is not None:
        matches.append(Claim.id == claim_id)
    if len(words) == 18:
        try:
            digest = lookup_hash(parse_id_number(words, today=today).value)
        except InvalidInput:
            digest = None
        if digest is not None:
            matches.append(Claim.member_id.in_(select(Member.id).where(Member.id_number_hash == digest)))
    elif not any(ch.isdigit() for ch in words):
        matches.append(Claim.member_id.in_(select(Member.id).where(Member.name.contains(text.strip()))))
    return or_(*matches) if matches else false()


def queue_counts(actor) -> dict[str, int]:
    """How many claims wait in each open status (the reviewer's dashboard)."""
    require_role(actor, *REVIEW_ROLES)
    rows = db.session.execute(
        select(Claim.status, func.count()).where(Claim.status.in_(
            (*OPEN_FOR_REVIEW, ClaimStatus.APPROVED, ClaimStatus.NEEDS_DOCUMENTS))).group_by(Claim.status))
    return {status: count for status, count in rows}


# --- payouts ----------------------------------------------------------------------------------


def list_batches(actor) -> list[PayoutBatch]:
    require_role(actor, *PAYOUT_ROLES)
    return list(db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(100)))


@dataclass(frozen=True)
class WaitingPayouts:
    """Approved claims not yet in a batch: how many and how much (counted in SQL), and one page of them."""

    claims: list[Claim]
    count: int
    total_fen: int


def approved_waiting(actor, *, page: int = 1, per_page: int = 50) -> WaitingPayouts:
    """Approved claims not yet in a batch, oldest decision first: a page of them, with the count and
    sum of all (a backlog of thousands is neither loaded nor decrypted to show them)."""
    require_role(actor, *PAYOUT_ROLES)
    approved = Claim.status == ClaimStatus.APPROVED
    count, total_fen = db.session.execute(
        select(func.count(Claim.id), func.coalesce(func.sum(Claim.approved_fen), 0)).where(approved)).one()
    claims = db.session.scalars(
        select(Claim).where(approved)
        .options(load_only(Claim.id, Claim.status, Claim.payee_name, Claim.bank_card, Claim.approved_fen,
                           Claim.version_id))
        .order_by(Claim.decided_at, Claim.id).offset((page - 1) * per_page).limit(per_page))
    return WaitingPayouts(list(claims), count, int(total_fen))


def get_batch(actor, batch_id: int) -> PayoutBatch:
    require_role(actor, *PAYOUT_ROLES)
    return get_or_not_found(PayoutBatch, batch_id, N_("找不到该发放批次。"))


def batch_items(batch: PayoutBatch, *, limit: int) -> list[PayoutItem]:
    """The first ``limit`` lines of a batch, for its page (a batch may hold thousands)."""
    return list(db.session.scalars(select(PayoutItem).where(PayoutItem.batch_id == batch.id)
                                   .order_by(PayoutItem.id).limit(limit)))


# --- discharge lists --------------------------------------------------------------------------


def get_import(actor, import_id: int) -> tuple[DischargeImport, dict[int, SmsMessage]]:
    """An import with the current delivery status of each text it queued."""
    require_role(actor, *IMPORT_ROLES)
    record = get_or_not_found(DischargeImport, import_id, N_("找不到该次导入。"))
    ids = [result["sms_id"] for result in record.results if result.get("sms_id")]
    texts = {message.id: message for message in db.session.scalars(select(SmsMessage).where(SmsMessage.id.in_(ids)))}
    return record, texts


def list_imports(actor) -> list[DischargeImport]:
    require_role(actor, *IMPORT_ROLES)
    return list(db.session.scalars(select(DischargeImport).order_by(DischargeImport.id.desc()).limit(20)))


SAMPLE_NAMES = ("示例甲", "示例乙", "示例丙", "示例丁", "示例戊", "示例己", "示例庚", "示例辛", "示例壬", "示例癸")


def sample_discharge_list(actor, *, count: int = 8, today: date | None = None, real_members: bool = False) -> bytes:
    """A discharge list for learning the import's format: made-up people with well-formed but
    fictional ID numbers (none of them a member here), so a sample file never carries anyone real.

    ``real_members`` (the ``discharge-sample --covered-members`` command, for trying the import
    on demo data): recent stays of covered members with no claim; the file then carries their
    full ID numbers, so writing it is audited.
    """
    from portal.services import audit

    require_role(actor, *IMPORT_ROLES)
    today = today or clock.today()
    hospitals = ["无锡市人民医院", "无锡市第二人民医院", "江南大学附属医院", "无锡市中医医院"]
    diagnoses = ["社区获得性肺炎", "急性阑尾炎", "腰椎间盘突出症", "2型糖尿病", "冠状动脉粥样硬化性心脏病"]
    if real_members:
        people = [member.id_number for member in db.session.scalars(
            select(Member).join(Enrollment, Enrollment.member_id == Member.id)
            .where(Enrollment.status == EnrollmentStatus.ACTIVE, Enrollment.starts_on <= today - timedelta(days=60),
                   Enrollment.ends_on >= today, ~Member.id.in_(select(Claim.member_id)))
            .order_by(Member.id).limit(count))]
        audit.record(actor, "claim.discharge_sample_real", "member", None, rows=len(people))
    else:
        people = _fictional_id_numbers(min(count, len(SAMPLE_NAMES)))
    rows = []
    for index, id_number in enumerate(people):
        admitted = today - timedelta(days=20 + index * 3)
        rows.append([id_number, admitted.isoformat(), (admitted + timedelta(days=5 + index)).isoformat(),
                     hospitals[index % len(hospitals)], diagnoses[index % len(diagnoses)]])
    # A stay of someone who is not a member: the import says so instead of failing.
    rows.append([compose_id_number("110101", date(1990, 3, 7), 999), (today - timedelta(days=15)).isoformat(),
                 (today - timedelta(days=9)).isoformat(), hospitals[0], "桡骨远端骨折"])
    return write_xlsx(list(DISCHARGE_LIST_HEADERS), rows, sheet="出院名单", text_columns=(0,))


def _fictional_id_numbers(count: int) -> list[str]:
    """Well-formed ID numbers (check digit right) from sequence numbers 9xx of fixed dates, skipping any
    that happens to be a member's here."""
    found, sequence = [], 901
    while len(found) < count and sequence < 1000:
        candidate = compose_id_number("320213", date(1980 + sequence % 20, 1 + sequence % 12, 1 + sequence % 28),
                                      sequence)
        if Member.by_id_number(candidate) is None:
            found.append(candidate)
        sequence += 1
    return found

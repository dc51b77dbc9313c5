"""Claims (理赔申请), their documents and timeline, and the payout batches that pay them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.claims import (
    BENEFICIARY_RELATIONSHIPS,
    CLAIM_STATUS_LABELS,
    CLAIM_TYPE_LABELS,
    PAYOUT_BATCH_STATUS_LABELS,
    REJECTION_REASONS,
    ClaimFacts,
    ClaimStatus,
    ClaimType,
    PayoutBatchStatus,
    mask_bank_card,
)
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.enrollment import Enrollment, Plan
from portal.models.members import Member
from portal.models.unions import Union
from portal.pii import EncryptedJSON, EncryptedText

# The statuses of ``domain.claims.OPEN_FOR_REVIEW``, in the same order as the queue's IN list.
OPEN_QUEUE_WHERE = "status IN ('submitted', 'in_review', 'awaiting_second')"
PAID_STAY_WHERE = ("admission_date IS NOT NULL AND status IN "
                   "('awaiting_second', 'approved', 'payout_pending', 'paid')")


class Claim(TimestampMixin, db.Model):
    """One insured event of one member: a hospital stay, a critical illness or an accident."""

    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_member_created", "member_id", "id"),
        # Covers the reviewer queue's filter, order and page (id): an index-only scan, no heap visits.
        Index("ix_claims_status_submitted", "status", "submitted_at", "id"),
        # The default queue (every open status, oldest first) reads its page of fifty straight off
        # this partial index: at city scale (60,000 claims, 24,000 open) 0.1 ms instead of merging
        # three statuses' ranges, 50 ms (bench/explain_hot.py, PostgreSQL).
        Index("ix_claims_open_queue", "submitted_at", "id", sqlite_where=text(OPEN_QUEUE_WHERE),
              postgresql_where=text(OPEN_QUEUE_WHERE)),
        Index("ix_claims_union_status", "union_id", "status"),
        Index("ix_claims_stay", "member_id", "admission_date"),
        # A stay is paid once: two claims of one member's admission can never both be approved,
        # waiting for payout or paid, whatever a reviewer does (a lost race is a ``Conflict``).
        Index("uq_claims_paid_stay", "member_id", "admission_date", unique=True,
              sqlite_where=text(PAID_STAY_WHERE), postgresql_where=text(PAID_STAY_WHERE)),
        status_check(ClaimStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # The member's union when the claim was started: officers see their union's claims by it.
    union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"))
    # The cover of the event, found from the member and the event date, never chosen by the filer.
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    plan_year: Mapped[int | None] = mapped_column(Integer)
    claim_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ClaimStatus.DRAFT)
    # Who filed: the member, their union officer, or the discharge-list import.
    filed_by_type: Mapped[str] = mapped_column(String(16))  # member | staff | import
    filed_by_id: Mapped[int | None] = mapped_column(Integer)
    # Idempotency: the key of the form that created the draft, so a double click starts one claim.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    admission_date: Mapped[date | None] = mapped_column(Date)
    discharge_date: Mapped[date | None] = mapped_column(Date)
    # Health data, encrypted at rest like ID numbers (``portal.pii``). Lengths are bounded where the
    # facts arrive (claim form, sync schema, discharge list), not by the column: it holds ciphertext.
    hospital: Mapped[str | None] = mapped_column(EncryptedText)
    diagnosis: Mapped[str | None] = mapped_column(EncryptedText)
    disease: Mapped[str | None] = mapped_column(EncryptedText)
    diagnosis_date: Mapped[date | None] = mapped_column(Date)
    accident_date: Mapped[date | None] = mapped_column(Date)
    accident_description: Mapped[str | None] = mapped_column(EncryptedText)
    medical_costs_fen: Mapped[int | None] = mapped_column(Integer)
    disability_grade: Mapped[int | None] = mapped_column(Integer)
    is_death: Mapped[bool] = mapped_column(Boolean, default=False)
    event_date: Mapped[date | None] = mapped_column(Date)  # derived from the facts, for filters

    # The bank file's name: the member's, or the beneficiary's when one is recorded (never typed freely).
    payee_name: Mapped[str | None] = mapped_column(String(60))
    # Someone other than the member who receives the money (an heir of a member who died, a
    # guardian), with the relationship (``BENEFICIARY_RELATIONSHIPS``) and a proof on the checklist.
    beneficiary_name: Mapped[str | None] = mapped_column(String(60))
    beneficiary_relationship: Mapped[str | None] = mapped_column(String(20))
    bank_name: Mapped[str | None] = mapped_column(String(60))
    bank_card: Mapped[str | None] = mapped_column(EncryptedText)  # full number only in the payout export
    bank_card_last4: Mapped[str | None] = mapped_column(String(4))

    # Automatic checks: [{code, message}], and the codes as ",a,b," for an indexed-enough LIKE filter.
    # Encrypted: a message can name the disease. Filter on ``flag_codes``, never on ``flags``.
    flags: Mapped[list] = mapped_column(EncryptedJSON, default=list)
    flag_codes: Mapped[str] = mapped_column(String(200), default="")
    is_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    calculated_fen: Mapped[int | None] = mapped_column(Integer)
    breakdown: Mapped[dict | None] = mapped_column(EncryptedJSON)  # Benefit.as_dict(): names the disease
    # What this claim uses of the plan year's limits, summed for the member's later claims.
    allowance_days: Mapped[int] = mapped_column(Integer, default=0)
    # The medical-cost part this claim pays, summed against the plan year's cap by later claims.
    medical_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pays_critical_illness: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_fen: Mapped[int | None] = mapped_column(Integer)
    # Staff's own words about the case, encrypted like the health data they often name.
    adjustment_reason: Mapped[str | None] = mapped_column(EncryptedText)
    decision_reason: Mapped[str | None] = mapped_column(EncryptedText)  # rejection, or what is missing
    # The coded reason of a rejection (``REJECTION_REASONS``): the member reads its plain words.
    rejection_code: Mapped[str | None] = mapped_column(String(40))
    # Blocking findings a first reviewer overrode, and why; a second reviewer must confirm.
    override_codes: Mapped[list | None] = mapped_column(JSON)
    override_justification: Mapped[str | None] = mapped_column(EncryptedText)  # staff's words (at most 500)
    documents_requested: Mapped[list | None] = mapped_column(JSON)
    # Bulk approval held this claim back for a full review (the 5% sample).
    sample_hold: Mapped[bool] = mapped_column(Boolean, default=False)

    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    first_approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # Optimistic version: a write based on a stale read fails instead of overwriting a decision.
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    member: Mapped[Member] = relationship()
    union: Mapped[Union | None] = relationship()
    enrollment: Mapped[Enrollment | None] = relationship()
    plan: Mapped[Plan | None] = relationship()
    documents: Mapped[list[ClaimDocument]] = relationship(
        back_populates="claim", order_by="ClaimDocument.id", cascade="all, delete-orphan")
    events: Mapped[list[ClaimEvent]] = relationship(
        back_populates="claim", order_by="ClaimEvent.id", cascade="all, delete-orphan")

    @property
    def type_enum(self) -> ClaimType:
        return ClaimType(self.claim_type)

    @property
    def status_enum(self) -> ClaimStatus:
        return ClaimStatus(self.status)

    @property
    def type_label(self) -> str:
        return CLAIM_TYPE_LABELS[self.type_enum]

    @property
    def status_label(self) -> str:
        return CLAIM_STATUS_LABELS[self.status_enum]

    @property
    def reference(self) -> str:
        """The number the member quotes on the phone."""
        return f"LP{self.id:07d}"

    @property
    def masked_bank_card(self) -> str:
        return mask_bank_card(self.bank_card) if self.bank_card else ""

    @property
    def beneficiary_relationship_label(self) -> str | None:
        return BENEFICIARY_RELATIONSHIPS.get(self.beneficiary_relationship or "")

    @property
    def rejection_text(self) -> str | None:
        """The member's words for the coded reason of a rejection (a msgid), if it has one."""
        reason = REJECTION_REASONS.get(self.rejection_code or "")
        return reason.member_text if reason else None

    @property
    def payable_fen(self) -> int | None:
        return self.approved_fen if self.approved_fen is not None else self.calculated_fen

    def facts(self) -> ClaimFacts:
        return ClaimFacts(
            claim_type=self.type_enum, admission_date=self.admission_date, discharge_date=self.discharge_date,
            hospital=self.hospital, diagnosis=self.diagnosis, disease=self.disease,
            diagnosis_date=self.diagnosis_date, accident_date=self.accident_date,
            accident_description=self.accident_description, medical_costs_fen=self.medical_costs_fen,
            disability_grade=self.disability_grade, is_death=bool(self.is_death),
            beneficiary_relationship=self.beneficiary_relationship,
        )

    def __repr__(self) -> str:
        return f"<Claim {self.id} {self.claim_type} {self.status}>"


class ClaimDocument(db.Model):
    """An uploaded file, stored outside ``static/`` under a random name; served only through a view."""

    __tablename__ = "claim_documents"
    # The same file twice for one kind is one document; for two kinds, it counts for both.
    __table_args__ = (UniqueConstraint("claim_id", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a checklist kind: id_card, invoice, …
    original_name: Mapped[str] = mapped_column(String(120))  # shown only, never used as a path
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # random, relative to UPLOAD_FOLDER
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored (re-encoded) bytes
    uploaded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    claim: Mapped[Claim] = relationship(back_populates="documents")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ClaimEvent(db.Model):
    """One step of a claim's timeline: filed, checked, decided, paid, texted…"""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))  # created, submitted, checked, approved, …
    actor_label: Mapped[str] = mapped_column(String(80))
    # What the member reads; encrypted, as a step can quote the checks (the disease) or a reviewer's note.
    message: Mapped[str] = mapped_column(EncryptedText)
    visible_to_member: Mapped[bool] = mapped_column(Boolean, default=True)

    claim: Mapped[Claim] = relationship(back_populates="events")


class PayoutBatch(TimestampMixin, db.Model):
    """Approved claims handed to the bank together as one transfer file."""

    __tablename__ = "payout_batches"
    __table_args__ = (
        status_check(PayoutBatchStatus),
        # Paid means a bank reference: the constraint keeps the record honest.
        CheckConstraint("status != 'paid' OR bank_reference IS NOT NULL", name="paid_has_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default=PayoutBatchStatus.OPEN, index=True)
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    # 64-bit: a backlog batch passes 21,474,836.47元, the most a 32-bit INTEGER holds on PostgreSQL.
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    export_count: Mapped[int] = mapped_column(Integer, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    items: Mapped[list[PayoutItem]] = relationship(back_populates="batch", order_by="PayoutItem.id")

    @property
    def reference(self) -> str:
        return f"FF{self.id:06d}"

    @property
    def status_label(self) -> str:
        return PAYOUT_BATCH_STATUS_LABELS[PayoutBatchStatus(self.status)]


class PayoutItem(db.Model):
    """One claim's money in one batch. ``claim_id`` is unique: a claim is never paid twice."""

    __tablename__ = "payout_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    payee_name: Mapped[str] = mapped_column(String(60))
    bank_name: Mapped[str | None] = mapped_column(String(60))
    bank_card: Mapped[str] = mapped_column(EncryptedText)

    batch: Mapped[PayoutBatch] = relationship(back_populates="items")
    claim: Mapped[Claim] = relationship()

    @property
    def masked_bank_card(self) -> str:
        return mask_bank_card(self.bank_card)


class DischargeImport(db.Model):
    """One hospital-discharge list imported by staff, with what it did line by line."""

    __tablename__ = "discharge_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(120))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    drafts_created: Mapped[int] = mapped_column(Integer, default=0)
    texts_queued: Mapped[int] = mapped_column(Integer, default=0)
    # [{line, outcome, message, claim_id?, sms_id?}] — no ID numbers kept here.
    results: Mapped[list] = mapped_column(JSON, default=list)

"""Plans (versioned benefit schedules) and enrolments (参保): who is covered, by which version, when."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.enrollment import EnrollmentStatus, RosterImportStatus
from portal.domain.plans import BenefitSchedule
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check
from portal.models.members import Member
from portal.models.unions import Union
from portal.pii import EncryptedText


class Plan(TimestampMixin, db.Model):
    """One version of a plan's benefit schedule. Editing a plan adds a version; old ones stay."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))  # the same for every version of one plan
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)  # the version new enrolments get
    name: Mapped[str] = mapped_column(String(120))
    contribution_fen: Mapped[int] = mapped_column(Integer)
    # The hospital benefit's medical-cost part (see ``BenefitSchedule``); zero ratio: none.
    medical_deductible_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    medical_ratio_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    medical_annual_cap_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hospital_daily_fen: Mapped[int] = mapped_column(Integer)
    hospital_days_cap: Mapped[int] = mapped_column(Integer)
    condolence_fen: Mapped[int] = mapped_column(Integer)
    critical_illness_fen: Mapped[int] = mapped_column(Integer)
    critical_diseases: Mapped[list] = mapped_column(JSON)
    accident_medical_cap_fen: Mapped[int] = mapped_column(Integer)
    accident_death_fen: Mapped[int] = mapped_column(Integer)
    disability_percentages: Mapped[list] = mapped_column(JSON)  # grade 1..10, percent
    illness_waiting_days: Mapped[int] = mapped_column(Integer)
    claim_deadline_days: Mapped[int] = mapped_column(Integer)
    exclusions: Mapped[str] = mapped_column(Text)
    document_checklist: Mapped[dict] = mapped_column(JSON)  # claim type -> document kinds
    # Eligibility (``BenefitSchedule.eligibility``): every door into the plan asks these.
    requires_social_insurance: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    def schedule(self) -> BenefitSchedule:
        """The plain-data view the domain rules work on."""
        values = {name: getattr(self, name) for name in SCHEDULE_FIELDS}
        for name in SEQUENCE_FIELDS:
            values[name] = tuple(values[name])
        values["document_checklist"] = dict(values["document_checklist"])
        return BenefitSchedule(**values)

    @classmethod
    def from_schedule(cls, code: str, name: str, schedule: BenefitSchedule, version: int = 1) -> Plan:
        values = {field: getattr(schedule, field) for field in SCHEDULE_FIELDS}
        for field in SEQUENCE_FIELDS:
            values[field] = list(values[field])  # JSON columns hold lists
        values["document_checklist"] = dict(values["document_checklist"])
        return cls(code=code, name=name, version=version, is_current=True, **values)


# The plan's columns that mirror the schedule, read from the dataclass so neither side can forget
# a figure the other has (a new benefit added to one would otherwise be silently dropped).
SCHEDULE_FIELDS = tuple(field.name for field in fields(BenefitSchedule))
SEQUENCE_FIELDS = ("critical_diseases", "disability_percentages")


class EnrollmentChannel(StrEnum):
    ROSTER = "roster"  # union batch roster
    SELF_SERVICE = "self_service"
    CAMPAIGN = "campaign"
    KIOSK = "kiosk"
    RENEWAL = "renewal"


class Payer(StrEnum):
    UNION = "union"
    MEMBER = "member"
    CAMPAIGN = "campaign"


class Enrollment(TimestampMixin, db.Model):
    """One member covered by one plan version for one plan year."""

    __tablename__ = "enrollments"
    __table_args__ = (
        # One cover per member per plan year, whichever union or campaign asks: the database decides.
        Index(
            "uq_enrollments_member_year_live", "member_id", "plan_year", unique=True,
            sqlite_where=text("status != 'cancelled'"), postgresql_where=text("status != 'cancelled'"),
        ),
        status_check(EnrollmentStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    union_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"), index=True)  # who enrolled / pays
    plan_year: Mapped[int] = mapped_column(Integer)  # 保障年度, the year the cover is for
    status: Mapped[str] = mapped_column(String(16), default=EnrollmentStatus.PENDING, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    payer: Mapped[str] = mapped_column(String(16))
    # A renewal (the member was covered the year before) has no illness waiting period.
    is_renewal: Mapped[bool] = mapped_column(Boolean, default=False)
    contribution_fen: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date | None] = mapped_column(Date)  # set on confirmation: the next day
    ends_on: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    cancelled_reason: Mapped[str | None] = mapped_column(EncryptedText)  # the officer's words (at most 200)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    roster_import_id: Mapped[int | None] = mapped_column(ForeignKey("roster_imports.id"), index=True)
    # The cover this one renews (the year before), for the renewal report and the waiting period.
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"))
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # self-service applications

    member: Mapped[Member] = relationship()
    plan: Mapped[Plan] = relationship()
    union: Mapped[Union | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()

    def covers(self, day: date) -> bool:
        return (
            self.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)
            and self.starts_on is not None
            and self.starts_on <= day <= self.ends_on
        )

    @classmethod
    def covering(cls, member_id: int, day: date) -> Enrollment | None:
        """The confirmed cover of ``member_id`` on ``day``, if any (expired ones still cover their year)."""
        return db.session.scalar(
            select(cls).where(
                cls.member_id == member_id,
                cls.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.EXPIRED)),
                cls.starts_on <= day,
                cls.ends_on >= day,
            ).limit(1)
        )


class Campaign(TimestampMixin, db.Model):
    """A gifted campaign ("锡新保"): a sponsor pays one year of a plan for the members who qualify.

    ``claimed_count`` is raised by a single conditional UPDATE (``claimed_count < quota``), so the
    quota holds however many requests arrive at once; the check constraint is the last line.
    """

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("claimed_count <= quota", name="quota_not_exceeded"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    sponsor: Mapped[str] = mapped_column(String(120))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    # The area: members of this union's subtree qualify (the federation: everyone).
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    quota: Mapped[int] = mapped_column(Integer)
    claimed_count: Mapped[int] = mapped_column(Integer, default=0)
    occupations: Mapped[list] = mapped_column(JSON, default=list)  # empty: any occupation
    requires_gig_worker: Mapped[bool] = mapped_column(Boolean, default=True)
    requires_social_insurance: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)  # closed early by an administrator
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    plan: Mapped[Plan] = relationship()
    union: Mapped[Union] = relationship()

    @property
    def remaining(self) -> int:
        return max(self.quota - self.claimed_count, 0)

    def is_open_on(self, day: date) -> bool:
        return not self.is_closed and self.opens_on <= day <= self.closes_on

    def rules(self):
        """The plain-data view the eligibility rule works on."""
        from portal.domain.enrollment import CampaignRules

        return CampaignRules(
            occupations=tuple(self.occupations or ()), requires_gig_worker=self.requires_gig_worker,
            requires_social_insurance=self.requires_social_insurance, area_path=self.union.path,
        )


class RosterImport(TimestampMixin, db.Model):
    """One uploaded roster (or a renewal run): its report, its progress and its outcome.

    ``content_hash`` with the union is unique: uploading the same file again shows the first
    upload's report and can create nothing new.
    """

    __tablename__ = "roster_imports"
    __table_args__ = (UniqueConstraint("union_id", "content_hash"), status_check(RosterImportStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    stored_name: Mapped[str] = mapped_column(String(120))  # under UPLOAD_FOLDER/rosters/
    status: Mapped[str] = mapped_column(String(16), default=RosterImportStatus.QUEUED, index=True)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)  # data rows, blank rows excluded
    ok_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    covered_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)  # enrolments written
    members_created: Mapped[int] = mapped_column(Integer, default=0)
    # Rows that are not plain "ok": [{"row", "column", "message", "kind": "error"|"covered"}].
    issues: Mapped[list] = mapped_column(JSON, default=list)
    failure: Mapped[str | None] = mapped_column(Text)  # why the file or the import failed
    validated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The uploaded file (full ID numbers and mobiles) is deleted once imported, or once past its
    # retention unconfirmed or failed (``flask purge``); the report then comes from stored rows.
    file_removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    union: Mapped[Union] = relationship()
    plan: Mapped[Plan] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status in (RosterImportStatus.QUEUED, RosterImportStatus.VALIDATING,
                               RosterImportStatus.IMPORTING)

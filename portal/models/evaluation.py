"""康乃馨 stations' management systems and service plans, and the yearly cross-evaluation rounds:
the units taking part, the criteria with their weights, the drawn panels and the score sheets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.evaluation import (
    PLAN_ITEM_LABELS,
    ROUND,
    SHEET,
    PlanItemKind,
    RoundStatus,
    SheetStatus,
    grade,
)
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check
from portal.models.stations import Station
from portal.models.unions import Union


class StationPlanItem(TimestampMixin, db.Model):
    """One rule of a station's management system or one item of its service plan."""

    __tablename__ = "station_plan_items"
    __table_args__ = (status_check(PlanItemKind, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="")

    station: Mapped[Station] = relationship()

    @property
    def kind_label(self) -> str:
        return PLAN_ITEM_LABELS[PlanItemKind(self.kind)]


class EvaluationRound(TimestampMixin, db.Model):
    """One year's evaluation, run by an organising union (e.g. 惠山区总工会女职委)."""

    __tablename__ = "evaluation_rounds"
    __table_args__ = (
        CheckConstraint("panel_size >= 2", name="panel_size_at_least_two"),
        status_check(RoundStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    panel_size: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.PREPARING, index=True)
    seed: Mapped[str | None] = mapped_column(String(64))  # shown, so anyone can re-draw the panels
    panels: Mapped[list | None] = mapped_column(JSON)  # [[number, [station ids], [station ids]], …]
    formed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    union: Mapped[Union] = relationship()
    criteria: Mapped[list[EvaluationCriterion]] = relationship(back_populates="round",
                                                               order_by="EvaluationCriterion.position")
    entries: Mapped[list[EvaluationEntry]] = relationship(back_populates="round", order_by="EvaluationEntry.id")

    @property
    def status_label(self) -> str:
        return ROUND.label(self.status)


class EvaluationCriterion(db.Model):
    __tablename__ = "evaluation_criteria"
    __table_args__ = (UniqueConstraint("round_id", "position"),
                      CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    weight: Mapped[int] = mapped_column(Integer)

    round: Mapped[EvaluationRound] = relationship(back_populates="criteria")


class EvaluationEntry(db.Model):
    """A unit taking part: its station, evaluated and (on a panel) evaluating."""

    __tablename__ = "evaluation_entries"
    __table_args__ = (UniqueConstraint("round_id", "station_id"), UniqueConstraint("round_id", "union_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    # The station's union: its officers score for the unit, and one unit per union takes part.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    panel_number: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # combined result, set on publishing

    round: Mapped[EvaluationRound] = relationship(back_populates="entries")
    station: Mapped[Station] = relationship()
    union: Mapped[Union] = relationship()

    @property
    def grade(self) -> str:
        return grade(self.total)


class EvaluationSheet(TimestampMixin, db.Model):
    """One unit's scores for one other unit's station."""

    __tablename__ = "evaluation_sheets"
    __table_args__ = (
        UniqueConstraint("evaluator_id", "target_id"),
        CheckConstraint("evaluator_id <> target_id", name="not_self"),
        status_check(SheetStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("evaluation_rounds.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("evaluation_entries.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("evaluation_entries.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=SheetStatus.PENDING, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    round: Mapped[EvaluationRound] = relationship()
    evaluator: Mapped[EvaluationEntry] = relationship(foreign_keys=[evaluator_id])
    target: Mapped[EvaluationEntry] = relationship(foreign_keys=[target_id])
    scores: Mapped[list[EvaluationScore]] = relationship(back_populates="sheet", cascade="all, delete-orphan")
    photos: Mapped[list[EvaluationPhoto]] = relationship(back_populates="sheet", order_by="EvaluationPhoto.id")

    @property
    def status_label(self) -> str:
        return SHEET.label(self.status)


class EvaluationScore(db.Model):
    __tablename__ = "evaluation_scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),
                      CheckConstraint("score BETWEEN 0 AND 100", name="score_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("evaluation_sheets.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("evaluation_criteria.id"))
    score: Mapped[int] = mapped_column(Integer)

    sheet: Mapped[EvaluationSheet] = relationship(back_populates="scores")
    criterion: Mapped[EvaluationCriterion] = relationship()


class EvaluationPhoto(db.Model):
    """A photo taken on the visit, kept with the sheet; stored like claim documents (checked by
    content, re-encoded without metadata, under a random name outside static/)."""

    __tablename__ = "evaluation_photos"
    __table_args__ = (UniqueConstraint("sheet_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("evaluation_sheets.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(120))
    stored_name: Mapped[str] = mapped_column(String(120), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    sheet: Mapped[EvaluationSheet] = relationship(back_populates="photos")

"""Heat relief: seasons, the subsidies they pay, and cool-down packs handed out."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.hardship import HardshipLevel
from portal.domain.relief import SEASON, PayingLevel, SeasonStatus
from portal.extensions import db
from portal.models.base import TimestampMixin, UtcDateTime, status_check, utcnow
from portal.models.hardship import HardshipFamily
from portal.models.stations import Station
from portal.models.unions import Union


class HeatSeason(TimestampMixin, db.Model):
    """A heat-relief season (e.g. 2026年送清凉) declared by the city or a district union."""

    __tablename__ = "heat_seasons"
    __table_args__ = (status_check(SeasonStatus), status_check(PayingLevel, "paying_level"),
                      CheckConstraint("amount_fen > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer, index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Integer)  # per household
    paying_level: Mapped[str] = mapped_column(String(12))
    # The union that pays (the federation, or a district union): its subtree is the season's scope.
    paying_union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    # The register levels covered, e.g. "city" or "district,grassroots" (checked by the domain).
    levels: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=SeasonStatus.OPEN)
    created_by_label: Mapped[str] = mapped_column(String(80))

    paying_union: Mapped[Union] = relationship()

    @property
    def level_list(self) -> list[str]:
        return [value for value in self.levels.split(",") if value]

    @property
    def level_labels(self) -> list[str]:
        return [HardshipLevel(value).label for value in self.level_list]

    @property
    def paying_level_label(self) -> str:
        return PayingLevel(self.paying_level).label

    @property
    def status_label(self) -> str:
        return SEASON.label(self.status)


class HeatSubsidy(db.Model):
    """One family's subsidy, confirmed by an officer. UNIQUE (year, family): never paid twice in
    one year's heat season, by the same level or by two."""

    __tablename__ = "heat_subsidies"
    __table_args__ = (UniqueConstraint("year", "family_id"), status_check(PayingLevel, "paying_level"),
                      CheckConstraint("amount_fen > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("heat_seasons.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("hardship_families.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the season's, repeated for the UNIQUE key
    paying_level: Mapped[str] = mapped_column(String(12))  # the season's, to say who paid
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)  # the family's union: scope
    amount_fen: Mapped[int] = mapped_column(Integer)
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    confirmed_by_label: Mapped[str] = mapped_column(String(80))

    season: Mapped[HeatSeason] = relationship()
    family: Mapped[HardshipFamily] = relationship()
    union: Mapped[Union] = relationship()

    @property
    def paying_level_label(self) -> str:
        return PayingLevel(self.paying_level).label


class CoolingPackHandout(db.Model):
    """Cool-down packs (防暑降温包) handed out in a season: to one family, or at one station."""

    __tablename__ = "cooling_pack_handouts"
    __table_args__ = (
        CheckConstraint("(family_id IS NULL) <> (station_id IS NULL)", name="family_or_station"),
        CheckConstraint("count > 0", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("heat_seasons.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("hardship_families.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)  # the family's or station's: scope
    count: Mapped[int] = mapped_column(Integer)
    handed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_label: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    season: Mapped[HeatSeason] = relationship()
    family: Mapped[HardshipFamily | None] = relationship()
    station: Mapped[Station | None] = relationship()

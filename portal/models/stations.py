"""Service stations: the places unions run for outdoor workers, where kiosks stand, and what
each one offers (the public directory reads these)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.stations import STATION_KIND_LABELS, SeasonState, StationKind, StationService, season_state
from portal.extensions import db
from portal.models.base import TimestampMixin, status_check
from portal.models.unions import Union


class Station(TimestampMixin, db.Model):
    __tablename__ = "stations"
    __table_args__ = (status_check(StationKind, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default=StationKind.OUTDOOR_WORKERS)
    # The union that runs the station; its officers see the station's kiosks and edit the station.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    # The district a worker looks for on the public list (梁溪区, 江阴市…), as people say it.
    district: Mapped[str | None] = mapped_column(String(40), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(120))  # as shown to people, e.g. 每天 7:00–21:00
    # A seasonal station (a 清凉驿站) opens only between these days; neither set: open all year.
    season_starts_on: Mapped[date | None] = mapped_column(Date)
    season_ends_on: Mapped[date | None] = mapped_column(Date)
    # The station's public contact (a duty phone, not a person's private number).
    contact_name: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    # Created on the command line from a bare code: name, union and address still to be filled in.
    needs_completion: Mapped[bool] = mapped_column(Boolean, default=False)

    union: Mapped[Union] = relationship()
    offers: Mapped[list[StationOffer]] = relationship(back_populates="station", cascade="all, delete-orphan",
                                                      order_by="StationOffer.service")

    @property
    def kind_label(self) -> str:
        return STATION_KIND_LABELS[StationKind(self.kind)]

    @property
    def ticked_services(self) -> list[str]:
        return [offer.service for offer in self.offers]

    def season_state(self, today: date) -> SeasonState:
        return season_state(self.season_starts_on, self.season_ends_on, today)

    def __repr__(self) -> str:
        return f"<Station {self.code} {self.name}>"


class StationOffer(db.Model):
    """One service a station offers (water, rest, charging…), as ticked by staff: one row per
    service so the public list filters by an indexed join instead of parsing a text column."""

    __tablename__ = "station_offers"
    __table_args__ = (status_check(StationService, "service"),)

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)

    station: Mapped[Station] = relationship(back_populates="offers")

"""Service stations: the places unions run for outdoor workers, where kiosks stand."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.stations import STATION_KIND_LABELS, StationKind
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
    # The union that runs the station; its officers see the station's kiosks.
    union_id: Mapped[int] = mapped_column(ForeignKey("unions.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(120))  # as shown to people, e.g. 每天 7:00–21:00
    # Created on the command line from a bare code: name, union and address still to be filled in.
    needs_completion: Mapped[bool] = mapped_column(Boolean, default=False)

    union: Mapped[Union] = relationship()

    @property
    def kind_label(self) -> str:
        return STATION_KIND_LABELS[StationKind(self.kind)]

    def __repr__(self) -> str:
        return f"<Station {self.code} {self.name}>"

"""The federation dashboard's summary: aggregates of the enrolments (and of the claims granted to
gifted covers) per union, recomputed by ``portal.services.dashboards.summary``.

Derived data only: every row can be rebuilt from ``enrollments`` and ``claims`` at any moment, so
the table carries no foreign keys (a union merged away must not block on its old figures) and a
refresh replaces it whole.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.domain.claims import ClaimStatus
from portal.extensions import db
from portal.models.base import UtcDateTime, status_check


class DashboardCount(db.Model):
    """One aggregate of one figure for one union (``union_id`` NULL: records kept without a union),
    or, ``citywide``, added up over every union: the federation's own rows, a hundred or so.

    Which of the key columns a row fills depends on its ``figure`` (``services.dashboards.summary``).
    """

    __tablename__ = "dashboard_counts"
    __table_args__ = (Index("ix_dashboard_counts_union_figure", "union_id", "figure"), status_check(ClaimStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    figure: Mapped[str] = mapped_column(String(16))
    union_id: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)  # a cover's plan year; a median's year (None: all)
    month: Mapped[str | None] = mapped_column(String(7))  # 'YYYY-MM'
    channel: Mapped[str | None] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(16))  # a claim's
    member_id: Mapped[int | None] = mapped_column(Integer)  # only members covered through several unions
    value: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[float | None] = mapped_column(Float)  # a median (citywide rows only)
    citywide: Mapped[bool] = mapped_column(Boolean, default=False)


class DashboardSnapshot(db.Model):
    """When the summary was last computed: one row (id 1), locked by each refresh so that two
    refreshes never interleave their delete and insert."""

    __tablename__ = "dashboard_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

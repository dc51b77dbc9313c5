"""The lease of each background job a person waits on (``portal.domain.background``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.domain.background import JobStatus
from portal.extensions import db
from portal.models.base import UtcDateTime, status_check, utcnow


class BackgroundJob(db.Model):
    """One job per (kind, subject): its current attempt's lease and how it ended."""

    __tablename__ = "background_jobs"
    __table_args__ = (UniqueConstraint("kind", "subject_id"), status_check(JobStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # check_roster, import_roster, settle_payout_batch
    subject_id: Mapped[int] = mapped_column(Integer)  # the roster's or the batch's id
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.RUNNING, index=True)
    owner: Mapped[str] = mapped_column(String(120))  # host:pid of the worker holding the lease
    token: Mapped[str] = mapped_column(String(32))  # this attempt's; the worker's last write checks it
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failure: Mapped[str | None] = mapped_column(Text)

"""Column helpers shared by every model module."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Aware UTC now; the database keeps UTC and pages show Asia/Shanghai."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A moment in time, always aware UTC in Python whether the database is SQLite or PostgreSQL.

    SQLite forgets time zones; without this, comparing a stored time with ``utcnow()`` fails there.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


def status_check(statuses: type[StrEnum], column: str = "status") -> CheckConstraint:
    """A CHECK that the column holds one of ``statuses``, generated from the domain's enum.

    Named ``ck_<table>_<column>_values`` by the naming convention, the same on SQLite and
    PostgreSQL; a migration that adds a status re-creates it from the enum.
    """
    values = ", ".join(f"'{status.value}'" for status in statuses)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_values")

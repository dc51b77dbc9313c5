"""The one place that reads the clock. Rules take dates as arguments; services default to these."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Aware now in China Standard Time (convert to UTC for storage happens in the column type)."""
    return datetime.now(CHINA)


def today() -> date:
    """Today's date in China, whatever the server's time zone."""
    return now().date()

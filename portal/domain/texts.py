"""When texts may reach people: not at night, except codes someone is waiting for."""

from __future__ import annotations

from datetime import datetime, time, timedelta

QUIET_HOURS_END = time(8, 0)  # texts resume at 08:00 …
QUIET_HOURS_START = time(20, 0)  # … and pause from 20:00
# One-time codes answer what a person is doing right now; holding them until morning is useless.
URGENT_KINDS = frozenset({"login_code", "jobs_parent_verification"})


def text_send_after(moment: datetime) -> datetime | None:
    """``None`` when a text may go now (08:00–20:00 where ``moment`` is), else the next 08:00."""
    clock = moment.timetz().replace(tzinfo=None)
    if QUIET_HOURS_END <= clock < QUIET_HOURS_START:
        return None
    day = moment.date() if clock < QUIET_HOURS_END else moment.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_HOURS_END, tzinfo=moment.tzinfo)

"""CPU time of processes on this machine, read from /proc: the figures a shared machine's load moves
least, which the benchmarks report beside their seconds (Linux only)."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(entry: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces or brackets)."""
    try:
        return (entry / "stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process so far; ``None`` when it is gone or unreadable."""
    fields = _stat(Path(f"/proc/{pid}"))
    if fields is None or len(fields) < 13:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def group_cpu(group_id: int) -> float:
    """User + system CPU seconds so far of every live process of a process group (gunicorn's arbiter
    and its workers, started in a session of their own)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(entry)
            if fields is not None and int(fields[2]) == group_id:  # fields[2]: the process group
                total += int(fields[11]) + int(fields[12])
    return total / TICKS

"""Background jobs that cannot get stuck: the rules of a job's lease.

A job a person waits on (a roster's check or import, a payout batch's settlement) holds a lease
while it runs: an owner (host and process), a token for this attempt, and an expiry pushed
forward by heartbeats. A job whose lease expired, or whose owner process on this host is gone,
was abandoned by a dead worker: the sweep retries it while attempts remain, then gives up and
the job's area says what the person can do (re-check, re-upload). The worker's last write checks
it still holds the lease, in the same transaction as its work, so a job the sweep took over can
never also finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class JobStatus(StrEnum):
    RUNNING = "running"  # a worker holds the lease
    RETRYING = "retrying"  # the sweep found it abandoned and queued it again
    DONE = "done"
    FAILED = "failed"  # given up (or failed with a reason): the job's area says what to do next


@dataclass(frozen=True)
class JobKind:
    name: str
    lease: timedelta  # how long a worker may go without a heartbeat before it counts as dead
    max_attempts: int  # runs scheduled in all, the first included


def abandoned(status: str, lease_expires_at: datetime, now: datetime, *, owner_alive: bool | None) -> bool:
    """Whether a job's worker is gone: its lease ran out or its process is known to be dead; or
    a retry the sweep queued never started within a lease's time (its task was lost)."""
    if status == JobStatus.RUNNING:
        return lease_expires_at < now or owner_alive is False
    return status == JobStatus.RETRYING and lease_expires_at < now


def next_step(attempts: int, kind: JobKind) -> str:
    """``retry`` while attempts remain, then ``give_up``."""
    return "retry" if attempts < kind.max_attempts else "give_up"

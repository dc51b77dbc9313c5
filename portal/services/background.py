"""Handing work to the task queue without importing it.

Services never import the task module (it imports the services to run them): they name the
task and its arguments, and the hand-off happens only once their unit of work commits, so a
rolled-back action never starts a task and a task never reads rows that are not there yet.
``create_app`` binds the queue (the task module's ``init_app``); with ``HUEY_IMMEDIATE`` (the tests)
the task runs in-line right after the commit.

Progress of long work (a roster's check and import) is kept in the queue's own storage, which
every web worker and consumer shares (Redis in production, SQLite in the embedded default).

Leases (below) make such work impossible to leave stuck: each job records who runs it and until
when, heartbeats while it runs, and ``sweep_jobs`` retries or gives up what a dead worker left.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select, update

from portal.domain.background import JobKind, JobStatus, abandoned, next_step
from portal.domain.errors import Conflict
from portal.domain.i18n import N_
from portal.extensions import db
from portal.models.background import BackgroundJob
from portal.models.base import utcnow
from portal.services.unit_of_work import after_commit, in_unit_of_work, savepoint, unit_of_work, write_apart


def _queue():
    return current_app.extensions["task_queue"]


def run_after_commit(task_name: str, *args) -> None:
    """Enqueue ``task_name(*args)`` once the current unit of work commits (at once outside one)."""
    if in_unit_of_work():
        after_commit(functools.partial(_enqueue, current_app._get_current_object(), task_name, args))
    else:
        _queue().enqueue(task_name, *args)


def _enqueue(app, task_name: str, args: tuple) -> None:
    app.extensions["task_queue"].enqueue(task_name, *args)


def put_progress(key: str, value: dict) -> None:
    _queue().put(key, value)


def get_progress(key: str) -> dict | None:
    return _queue().peek(key)


# --- Leases: background jobs that cannot get stuck (portal.domain.background) -------------------

KINDS: dict[str, JobKind] = {}
_HANDLERS: dict[str, tuple[Callable[[int], bool], Callable[[int], None]]] = {}
HEARTBEAT_EVERY = 10.0  # seconds between two heartbeats of one worker


class LeaseLost(Conflict):
    """The sweep took the job over (its worker looked dead): this worker's work must not land."""


def register_job(kind: JobKind, *, retry: Callable[[int], bool], give_up: Callable[[int], None]) -> None:
    """Declare a kind of job: ``retry(subject_id)`` queues it again (``False`` if it cannot be),
    ``give_up(subject_id)`` leaves its subject failed with a way forward for the person."""
    KINDS[kind.name] = kind
    _HANDLERS[kind.name] = (retry, give_up)


@dataclass
class Lease:
    job_id: int
    kind: JobKind
    subject_id: int
    token: str
    _last_beat: float = field(default_factory=time.monotonic)

    def beat(self, *, force: bool = False) -> bool:
        """Push the lease's expiry forward (at most every ``HEARTBEAT_EVERY`` seconds), on a
        connection of its own so that it is seen while the job's own transaction is open. On
        SQLite a job's open write transaction holds the only write lock: the beat is skipped
        then (the lease is long enough for one transaction) rather than waiting for it."""
        if not force and time.monotonic() - self._last_beat < HEARTBEAT_EVERY:
            return False
        self._last_beat = time.monotonic()
        now = utcnow()
        statement = (update(BackgroundJob)
                     .where(BackgroundJob.id == self.job_id, BackgroundJob.token == self.token,
                            BackgroundJob.status == JobStatus.RUNNING)
                     .values(heartbeat_at=now, lease_expires_at=now + self.kind.lease))
        return write_apart(statement, wait=False) == 1

    def finish(self) -> None:
        """Mark the job done in the caller's transaction, with its work; ``LeaseLost`` (and the
        whole transaction undone) if the sweep has taken the job over meanwhile."""
        held = db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == self.job_id, BackgroundJob.token == self.token,
                   BackgroundJob.status == JobStatus.RUNNING)
            .values(status=JobStatus.DONE, finished_at=utcnow(), failure=None)
            .execution_options(synchronize_session=False))
        if held.rowcount != 1:
            raise LeaseLost(N_("该任务已被系统接管重做，本次结果未写入。"), code="lease_lost")


def owner_label() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


@unit_of_work
def take_lease(kind_name: str, subject_id: int, *, now: datetime | None = None) -> Lease | None:
    """Start (or restart) a job: its lease, committed before the work begins; ``None`` when a live
    worker holds it already (the same task delivered twice)."""
    kind = KINDS[kind_name]
    now = now or utcnow()
    token = secrets.token_hex(16)
    values = {"owner": owner_label(), "token": token, "status": JobStatus.RUNNING, "started_at": now,
              "heartbeat_at": now, "lease_expires_at": now + kind.lease, "finished_at": None, "failure": None}
    job = db.session.scalar(select(BackgroundJob).where(BackgroundJob.kind == kind_name,
                                                        BackgroundJob.subject_id == subject_id))
    if job is None:
        try:
            with savepoint():
                job = BackgroundJob(kind=kind_name, subject_id=subject_id, attempts=1, **values)
                db.session.add(job)
        except Conflict:
            return None  # another worker started it this instant
        return Lease(job.id, kind, subject_id, token)
    # One conditional UPDATE: of two workers, only one finds the job free. A retry the sweep
    # queued keeps its count of attempts; any other start (the person asked again) begins afresh.
    attempts = BackgroundJob.attempts if job.status == JobStatus.RETRYING else 1
    claimed = db.session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job.id, or_(BackgroundJob.status != JobStatus.RUNNING,
                                               BackgroundJob.lease_expires_at < now))
        .values(attempts=attempts, **values).execution_options(synchronize_session=False))
    return Lease(job.id, kind, subject_id, token) if claimed.rowcount == 1 else None


@unit_of_work
def end_lease(lease: Lease, *, failure: str | None = None) -> None:
    """The job ended without ``finish`` (it failed and said why on its subject): release the lease."""
    db.session.execute(
        update(BackgroundJob).where(BackgroundJob.id == lease.job_id, BackgroundJob.token == lease.token,
                                    BackgroundJob.status == JobStatus.RUNNING)
        .values(status=JobStatus.FAILED if failure else JobStatus.DONE, finished_at=utcnow(), failure=failure)
        .execution_options(synchronize_session=False))


def _owner_alive(owner: str) -> bool | None:
    """Whether the process holding a lease is alive: known only for processes on this host."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname()[:80] or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@unit_of_work
def sweep_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """Every job whose worker is gone is retried while attempts remain, then given up; the counts.

    Run every minute by the task queue and when a consumer starts. Each job is taken over by one
    conditional UPDATE, so two sweeps at once, or a sweep and a worker finishing, never both act.
    """
    import portal.services.enrollment.rosters  # noqa: F401 - register their kinds of job
    import portal.services.review.payouts  # noqa: F401

    now = now or utcnow()
    counts = {"retried": 0, "given_up": 0}
    waiting = db.session.scalars(select(BackgroundJob).where(
        BackgroundJob.status.in_((JobStatus.RUNNING, JobStatus.RETRYING))).order_by(BackgroundJob.id)).all()
    for job in waiting:
        kind = KINDS.get(job.kind)
        if kind is None or not abandoned(job.status, job.lease_expires_at, now,
                                         owner_alive=_owner_alive(job.owner)):
            continue
        retry, give_up = _HANDLERS[job.kind]
        step = next_step(job.attempts, kind)
        values = ({"status": JobStatus.RETRYING, "attempts": job.attempts + 1, "lease_expires_at": now + kind.lease}
                  if step == "retry" else {"status": JobStatus.FAILED, "finished_at": now, "failure": ABANDONED})
        taken = db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job.id, BackgroundJob.token == job.token, BackgroundJob.status == job.status,
                   BackgroundJob.attempts == job.attempts)
            .values(**values).execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            continue  # a worker finished it, or another sweep took it, meanwhile
        if step == "retry" and retry(job.subject_id):
            counts["retried"] += 1
            continue
        if step == "retry":  # nothing to run again (its subject moved on): give up now
            db.session.execute(update(BackgroundJob).where(BackgroundJob.id == job.id)
                               .values(status=JobStatus.FAILED, finished_at=now, failure=ABANDONED))
        give_up(job.subject_id)
        counts["given_up"] += 1
    counts["orphans_failed"] = portal.services.enrollment.rosters.fail_stalled(now=now)
    return counts


ABANDONED = "处理该任务的进程已中断，重试后仍未完成。"

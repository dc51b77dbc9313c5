"""The task queue (Huey): every task of the portal, and the queue's set-up from the app's settings.

Work that outlasts a request (texts, roster checks and imports, nightly sweeps) runs in a
consumer, not the web process. ``init_app`` (called by ``create_app``) chooses the storage from
the settings: in-line execution with ``HUEY_IMMEDIATE`` (the tests), Redis when ``REDIS_URL`` is
set (a city deployment), otherwise SQLite under ``instance/`` (the embedded default, consumer
started by ``make run``). Services hand tasks over by name (``portal.services.background``) and
never import this module; a task opens the app's context and calls one service.

Start a consumer with ``huey_consumer wsgi.huey``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

# Bound to real storage by ``init_app``; until then nothing can be queued by accident.
huey = Huey("portal", storage_class=MemoryStorage)


class TaskQueue:
    """What ``portal.services.background`` talks to: tasks by name and the shared progress store."""

    def __init__(self, queue: Huey, tasks: dict):
        self.huey = queue
        self.tasks = tasks

    def enqueue(self, task_name: str, *args):
        return self.tasks[task_name](*args)

    def schedule(self, task_name: str, delay_seconds: float, *args):
        """Run ``task_name(*args)`` in ``delay_seconds`` (in-line mode: kept in the schedule, not run)."""
        return self.tasks[task_name].schedule(args=args, delay=delay_seconds)

    def take(self, key: str):
        """Read and remove ``key`` from the shared store."""
        return self.huey.get(key)

    def put(self, key: str, value) -> None:
        self.huey.put(key, value)

    def peek(self, key: str):
        return self.huey.get(key, peek=True)


def init_app(app: Flask) -> None:
    """Bind the queue's storage to the app's settings and make the app the consumer's context."""
    if app.config.get("HUEY_IMMEDIATE"):
        storage_class, kwargs = MemoryStorage, {}
    elif app.config.get("REDIS_URL"):
        storage_class, kwargs = RedisStorage, {"url": app.config["REDIS_URL"]}
    else:
        instance = Path(app.instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        storage_class, kwargs = SqliteStorage, {"filename": str(instance / "huey.db")}
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    huey._immediate = bool(app.config.get("HUEY_IMMEDIATE"))
    huey.storage = huey.create_storage()
    huey.flask_app = app
    app.extensions["task_queue"] = TaskQueue(huey, {
        "deliver_text": deliver_text,
        "check_roster": check_roster,
        "import_roster": import_roster,
        "settle_payout_batch": settle_payout_batch,
        "refresh_dashboard_summary": refresh_dashboard_summary,
    })


def app_context():
    """The current app's context in a request, or the consumer's own app outside one."""
    if has_app_context():
        return current_app.app_context()
    return huey.flask_app.app_context()


# --- Texts -----------------------------------------------------------------------------------

@huey.task(retries=3, retry_delay=30)
def deliver_text(message_id: int) -> str:
    from portal.services import sms

    with app_context():
        return sms.deliver(message_id)


@huey.periodic_task(crontab(minute="*"))
def deliver_due_texts() -> int:
    from portal.services import sms

    with app_context():
        return sms.deliver_due()


# --- Rosters ---------------------------------------------------------------------------------

@huey.task(retries=0)
def check_roster(import_id: int) -> None:
    from portal.services.enrollment import rosters

    with app_context():
        rosters.check_roster(import_id)


@huey.task(retries=0)
def import_roster(import_id: int) -> None:
    from portal.services.enrollment import rosters

    with app_context():
        rosters.run_import(import_id)


# --- Jobs a dead worker left (leases: portal.services.background) --------------------------------

@huey.periodic_task(crontab(minute="*"))
def sweep_background_jobs() -> dict:
    """Checks, imports and settlements whose worker died are retried or failed with a way forward."""
    from portal.services import background

    with app_context():
        return background.sweep_jobs()


@huey.on_startup()
def sweep_when_a_consumer_starts() -> None:
    """A consumer starting after a crash finds at once the jobs its dead predecessor held
    (a lease whose owner process on this host is gone), without waiting for the lease to expire."""
    if getattr(huey, "flask_app", None) is None or huey._immediate:
        return
    from portal.services import background

    with app_context():
        try:
            background.sweep_jobs()
        except Exception:  # noqa: BLE001 - a sweep that fails must not stop the consumer; the minute's runs again
            huey.flask_app.logger.exception("the start-up sweep of background jobs failed")


# --- Payouts -----------------------------------------------------------------------------------

@huey.task(retries=3, retry_delay=60)
def settle_payout_batch(batch_id: int) -> int:
    """The claims of a batch the bank paid become paid, a chunk at a time, each member texted."""
    from portal.services.review import payouts

    with app_context():
        return payouts.settle_batch(batch_id)


@huey.periodic_task(crontab(minute="*/5"))
def resume_payout_settlements() -> int:
    """Finish a settlement a crash or a restart cut short (it only takes claims still pending)."""
    from portal.services.review import payouts

    with app_context():
        return payouts.resume_settlements()


# --- The dashboard's summary (portal.services.dashboards.summary) -------------------------------

@huey.task(retries=1, retry_delay=60)
def refresh_dashboard_summary(requested_at: str | None = None) -> str:
    """A minute after enrolments or claims changed (debounced): the federation's figures catch up."""
    from portal.services.dashboards import summary

    with app_context():
        return summary.refresh_requested(requested_at).isoformat()


@huey.periodic_task(crontab(minute="*/5"))
def refresh_dashboard_summary_regularly() -> str:
    """Every five minutes whatever happened: changes made outside the ORM (bulk loads) and a lost
    debounced refresh are caught up, so the summary is never older than a few minutes."""
    from portal.services.dashboards import summary

    with app_context():
        return summary.refresh_requested().isoformat()


# --- Nightly sweeps (huey schedules in UTC: 16:xx UTC is just after midnight in China) ---------

@huey.periodic_task(crontab(hour="16", minute="5"))
def expire_lapsed_covers() -> int:
    """Covers whose year is over become expired (they still cover the events of their year)."""
    from portal.services.enrollment import enrolments

    with app_context():
        return enrolments.expire_lapsed()


@huey.periodic_task(crontab(hour="16", minute="10"))
def allocate_closed_childcare_classes() -> int:
    """Classes whose registration window closed yesterday get their seats drawn by ballot."""
    from portal.services.childcare import allocation

    with app_context():
        return allocation.allocate_due()


@huey.periodic_task(crontab(hour="16", minute="15"))
def close_expired_positions() -> int:
    """Work-study positions past their application deadline stop taking applications."""
    from portal.services.jobs import positions

    with app_context():
        return positions.close_expired_positions()


@huey.periodic_task(crontab(hour="16", minute="20"))
def purge_expired() -> dict:
    """What is past its retention is deleted (``flask purge`` by hand)."""
    from portal.services import purge

    with app_context():
        counts = purge.purge()
        huey.flask_app.logger.info("purge: %s", counts)
        return counts

"""The task queue (Huey): work that outlasts a request runs in a consumer, not the web process.

Storage follows the settings: Redis when ``PORTAL_REDIS_URL`` is set (a city deployment),
otherwise SQLite under ``instance/`` (the embedded default, consumer started by ``make run``).
``PORTAL_HUEY_IMMEDIATE=1`` runs tasks in-line, as the tests do.

Start a consumer with ``huey_consumer portal.tasks.huey``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab


def _make_huey():
    if os.environ.get("PORTAL_HUEY_IMMEDIATE", "").lower() in {"1", "true", "yes"}:
        return MemoryHuey("portal", immediate=True)
    redis_url = os.environ.get("PORTAL_REDIS_URL")
    if redis_url:
        return RedisHuey("portal", url=redis_url)
    instance = Path(os.environ.get("PORTAL_INSTANCE_PATH") or Path(__file__).resolve().parent.parent / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("portal", filename=str(instance / "huey.db"))


huey = _make_huey()
_consumer_app: Flask | None = None


def app_context():
    """The current app's context in a request, or the consumer's own app outside one."""
    global _consumer_app
    if has_app_context():
        return current_app.app_context()
    if _consumer_app is None:
        from portal import create_app

        _consumer_app = create_app()
    return _consumer_app.app_context()


@huey.task(retries=3, retry_delay=30)
def deliver_text(message_id: int) -> str:
    from portal.services.sms import deliver

    with app_context():
        return deliver(message_id)


@huey.periodic_task(crontab(minute="*"))
def deliver_due_texts() -> int:
    from portal.services.sms import deliver_due

    with app_context():
        return deliver_due()


# --- Nightly sweeps (huey schedules in UTC: 16:xx UTC is just after midnight in China) ---------

@huey.periodic_task(crontab(hour="16", minute="5"))
def expire_lapsed_covers() -> int:
    """Covers whose year is over become expired (they still cover the events of their year)."""
    from portal.services.enrollment import expire_lapsed

    with app_context():
        return expire_lapsed()


@huey.periodic_task(crontab(hour="16", minute="10"))
def allocate_closed_childcare_classes() -> int:
    """Classes whose registration window closed yesterday get their seats drawn by ballot."""
    from portal.services.childcare import allocate_due

    with app_context():
        return allocate_due()


@huey.periodic_task(crontab(hour="16", minute="15"))
def close_expired_positions() -> int:
    """Work-study positions past their application deadline stop taking applications."""
    from portal.services.jobs import close_expired_positions as close

    with app_context():
        return close()

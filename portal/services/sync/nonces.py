"""Nonces seen from each kiosk, shared by every app server: in the database, or in Redis when
the portal has one. A nonce is kept as long as a signature carrying it could still be accepted."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.domain.sync import NONCE_TTL_SECONDS
from portal.models import SyncNonce
from portal.services.unit_of_work import independent_unit, is_unique_violation

PURGE_CHANCE = 0.01  # about one insert in a hundred also clears expired nonces


def _store() -> str:
    store = current_app.config.get("SYNC_NONCE_STORE", "auto")
    if store == "auto":
        return "redis" if current_app.config.get("REDIS_URL") else "database"
    return store


def _redis():
    client = current_app.extensions.get("sync_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(current_app.config["REDIS_URL"])
        current_app.extensions["sync_redis"] = client
    return client


def remember(kiosk_id: str, nonce: str, *, now: datetime) -> bool:
    """Record ``nonce`` for ``kiosk_id``; False when it was seen before (a replay)."""
    if _store() == "redis":
        return bool(_redis().set(f"portal:sync:nonce:{kiosk_id}:{nonce}", b"1", nx=True, ex=NONCE_TTL_SECONDS))
    try:
        with independent_unit() as session:
            session.add(SyncNonce(kiosk_id=kiosk_id, nonce=nonce,
                                  expires_at=now + timedelta(seconds=NONCE_TTL_SECONDS)))
    except IntegrityError as error:
        if is_unique_violation(error):
            return False
        raise
    if random.random() < PURGE_CHANCE:
        purge_expired(now)
    return True


def purge_expired(now: datetime) -> None:
    """Best effort: two servers purging at once may trip over each other; the next purge catches up."""
    try:
        with independent_unit() as session:
            session.execute(delete(SyncNonce).where(SyncNonce.expires_at < now))
    except DBAPIError:
        current_app.logger.warning("purging expired sync nonces failed; will retry later", exc_info=True)

"""Reference rows a push reads again and again, kept by its session until the push ends.

The session's identity map holds its objects weakly: a position, its enterprise or a plan that an
applier loads is dropped as soon as the applier returns, so the next envelope that needs it, or a
lazy load a moment later in the same envelope (``application.position`` after the application
service returned), reads it again with a query of its own. While a push applies its batch, the
session keeps these rows alive, so each is read once a batch: what one transaction holding them
would see anyway (a row locked for an update, a class's seats, is still read again under its lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Enterprise, Plan, Position

KEPT_TYPES = (Plan, Position, Enterprise)
_KEPT = "sync_rows_kept"  # session.info: the objects kept alive for the batch being applied


@contextmanager
def kept_for_the_batch() -> Iterator[None]:
    session = db.session()
    session.info[_KEPT] = []
    try:
        yield
    finally:
        session.info.pop(_KEPT, None)


@event.listens_for(Session, "loaded_as_persistent")
def _keep(session: Session, instance) -> None:
    kept = session.info.get(_KEPT)
    if kept is not None and isinstance(instance, KEPT_TYPES):
        kept.append(instance)

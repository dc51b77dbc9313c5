"""Loading one record by id for an action: the row, or the domain's ``NotFound`` with a message."""

from __future__ import annotations

from typing import TypeVar

from portal.domain.errors import NotFound
from portal.extensions import db

T = TypeVar("T")


def get_or_not_found(model: type[T], record_id, message: str | None = None, *, for_update: bool = False,
                     fresh: bool = False) -> T:
    """``model`` with ``record_id``; ``NotFound(message)`` when there is none (or the id is junk).

    ``for_update`` locks the row until the unit of work ends (PostgreSQL; SQLite locks the file).
    ``fresh`` reads the row again even when the session holds it already, overwriting what the
    session had (with ``for_update``: the values as of the lock, in the one statement that takes it).
    """
    try:
        key = int(record_id)
    except (TypeError, ValueError):
        raise NotFound(message) from None
    record = (db.session.get(model, key, with_for_update=for_update, populate_existing=fresh)
              if 0 < key < 2**31 else None)
    if record is None:
        raise NotFound(message)
    return record

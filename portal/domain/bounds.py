"""How large a number from outside may be before it is refused: ids, pages, amounts.

A number a person types or a page sends is checked against these before it reaches the
database: larger ones overflow its integers (a 500 on PostgreSQL, an OverflowError on SQLite)
instead of meaning "not found".
"""

from __future__ import annotations

MAX_ID = 2_147_483_647  # the largest INTEGER primary key
MAX_PAGE = 100_000  # far beyond any real list


def record_id(text: object) -> int | None:
    """``text`` as a record id (1 to ``MAX_ID``), or ``None`` when it cannot be one."""
    raw = str(text).strip() if text is not None else ""
    if not raw.isdecimal() or not raw.isascii() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None

"""Marking text for translation in code that must stay free of Flask.

``N_("…")`` marks a msgid for Babel's extraction and returns it as a ``Msgid``: still the Chinese
text (Chinese is the msgid language), but recognisable later, so that where it is shown (a page,
an English page, a kiosk) it is translated, and a msgid passed as a parameter of another message
(a status label inside an error) is translated too.
"""

from __future__ import annotations

from datetime import date, datetime


class Msgid(str):
    """A marked message id; translated where it is shown, never where it is raised."""

    __slots__ = ()


def N_(text: str) -> Msgid:
    """Mark ``text`` as a msgid for extraction; translation happens where it is shown."""
    return Msgid(text)


def chinese_date(value: date | None) -> str:
    """``2026年7月15日``: the one way dates are written in Chinese, in messages and on pages."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def interpolate(msgid: str, params: dict) -> str:
    """The message in its own (Chinese) words with its parameters filled in (dates the Chinese way)."""
    if not params:
        return str(msgid)
    return msgid % {name: chinese_date(value) if isinstance(value, date) else value for name, value in params.items()}

"""A no-op marker for text that Babel should extract, for code that must stay free of Flask."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark ``text`` as a msgid for extraction; translation happens where it is shown."""
    return text

"""Two-factor rules (TOTP, RFC 6238) that need no database: code shapes, time-steps, recovery codes."""

from __future__ import annotations

import secrets

STEP_SECONDS = 30
# A code of the previous or the next 30-second step is accepted too (a phone's clock drifts).
VALID_WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def time_step(timestamp: float) -> int:
    return int(timestamp // STEP_SECONDS)


def grouped(secret: str, size: int = 4) -> str:
    """The secret in groups of four, to type into an app by hand."""
    return " ".join(secret[i:i + size] for i in range(0, len(secret), size))


def typed_code(text: str | None) -> str:
    """What was typed, without spaces or dashes, lower case (codes are digits; recovery codes letters too)."""
    return "".join(ch for ch in (text or "") if ch.isalnum()).lower()[:32]


def is_totp_shape(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def new_recovery_code() -> str:
    """``xxxxx-xxxxx``: ten characters from 31, about 50 bits."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def accepted_step(matching_steps: list[int], last_step: int | None) -> int | None:
    """The step a code is accepted for: the first of the steps it matches that comes after the last
    step used, so a code (or an older one) is never accepted twice."""
    for step in sorted(matching_steps):
        if last_step is None or step > last_step:
            return step
    return None

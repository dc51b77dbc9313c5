"""Jinja helpers of the kiosk: local times, money, the status line every page shows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from kiosk.domain import KIND_LABELS, STATE_LABELS, spaced_receipt_number
from portal.domain.money import format_yuan


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).strftime(fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_time=local_time,
        yuan=lambda fen: "" if fen is None else format_yuan(fen),
        receipt_number=spaced_receipt_number,
        kind_label=lambda kind: KIND_LABELS.get(kind, kind),
        state_label=lambda state: STATE_LABELS.get(state, state),
    )

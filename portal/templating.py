"""Jinja filters and globals: money in 元, dates and times the Chinese way, masked data."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app, session
from flask_babel import format_date, get_locale, gettext
from flask_login import current_user

from portal.domain.i18n import chinese_date
from portal.domain.identity import mask_id_number, mask_mobile, mask_name
from portal.domain.money import format_amount, format_yuan
from portal.domain.roles import ROLE_LABELS, Role


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.astimezone(zone).strftime(fmt)


def local_date(value: date | None) -> str:
    """A day in the page's language: ``2026年7月15日``, or ``15 Jul 2026`` on English pages."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    locale = get_locale()
    if locale is None or locale.language == "zh":
        return chinese_date(value)
    return format_date(value, format="medium")


def yuan(value: int | Decimal | None) -> str:
    """Integer fen (or a Decimal of yuan) as ``1,234.56元``, or ``¥1,234.56`` on English pages."""
    if value is None:
        return ""
    locale = get_locale()
    return format_yuan(value) if locale is None or locale.language == "zh" else f"¥{format_amount(value)}"


def yuan_amount(value: int | Decimal | None) -> str:
    """The figure alone, for places that name the unit themselves (元/天, 元/月)."""
    return "" if value is None else format_amount(value)


def translated(text: str | None) -> str:
    """A stored text in the reader's language when it is a known msgid, else as it was.

    Unlike ``_()`` in a template, the result is neither marked safe nor %-formatted: stored texts
    may hold what someone typed.
    """
    return gettext(text) if text else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_time=local_time,
        cn_date=local_date,
        yuan=yuan,
        yuan_amount=yuan_amount,
        mask_id=mask_id_number,
        mask_mobile=mask_mobile,
        mask_name=mask_name,
        translated=translated,
    )

    @app.context_processor
    def portal_globals():
        role = Role(current_user.role) if current_user.is_authenticated else None
        return {
            "current_role": role,
            "role_label": ROLE_LABELS.get(role, "") if role else "",
            "Role": Role,
            "current_lang": session.get("lang") or app.config["BABEL_DEFAULT_LOCALE"],
        }

"""Flask-Login's loader: one session cookie serves both members (``m:``) and staff (``s:``)."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Member, StaffUser


def load_user(user_id: str):
    kind, _, raw_id = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    if kind == "s":
        user = db.session.get(StaffUser, int(raw_id))
        return user if user is not None and user.is_active_account else None
    if kind == "m":
        return db.session.get(Member, int(raw_id))
    return None

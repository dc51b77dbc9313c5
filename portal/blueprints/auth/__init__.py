"""Sign-in and sign-out (``public``), and Flask-Login's loader: one session cookie serves both
members (``m:``) and staff (``s:``).

The id in the cookie is ``kind:id:generation``; a session whose generation is not the account's
current one was ended on the server (sign-out elsewhere, a new password, a disabled account)
and opens nothing, however valid its signature.
"""

from __future__ import annotations

from flask import Blueprint

from portal.extensions import db
from portal.models import Member, StaffUser

bp = Blueprint("auth", __name__, url_prefix="/auth")


def load_user(user_id: str):
    kind, _, rest = user_id.partition(":")
    raw_id, _, generation = rest.partition(":")
    if not raw_id.isdigit() or not generation.isdigit() or len(raw_id) > 10 or len(generation) > 10:
        return None
    if kind == "s":
        user = db.session.get(StaffUser, int(raw_id))
        if user is None or not user.is_active_account:
            return None
    elif kind == "m":
        user = db.session.get(Member, int(raw_id))
        if user is None:
            return None
    else:
        return None
    return user if (user.session_generation or 0) == int(generation) else None


# The audience module adds its routes to ``bp`` when imported.
from portal.blueprints.auth import public, staff  # noqa: E402

__all__ = ["bp", "load_user", "public", "staff"]

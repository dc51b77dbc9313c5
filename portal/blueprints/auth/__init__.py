"""Sign-in and sign-out (``public``), and Flask-Login's loader: one session cookie serves both
members (``m:``) and staff (``s:``).

The id in the cookie is ``kind:id:generation``; a session whose generation is not the account's
current one was ended on the server (sign-out elsewhere, a new password, a disabled account)
and opens nothing, however valid its signature.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import bindparam, select

from portal.extensions import db
from portal.models import Member, StaffUser

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The account of each kind of session id, as statements built once: the loader runs on every signed-in
# request, and ``Session.get`` builds its SELECT and that SELECT's cache key anew each time (a quarter
# of the load). No autoflush: like ``Session.get``, loading the signed-in account mid-view never
# flushes what the view has not finished.
_ACCOUNT_BY_ID = {
    kind: select(model).where(model.id == bindparam("account_id")).execution_options(autoflush=False)
    for kind, model in (("s", StaffUser), ("m", Member))
}


def load_user(user_id: str):
    kind, _, rest = user_id.partition(":")
    raw_id, _, generation = rest.partition(":")
    if not raw_id.isdigit() or not generation.isdigit() or len(raw_id) > 10 or len(generation) > 10:
        return None
    statement = _ACCOUNT_BY_ID.get(kind)
    if statement is None:
        return None
    user = db.session.execute(statement, {"account_id": int(raw_id)}).scalar_one_or_none()
    if user is None or (kind == "s" and not user.is_active_account):
        return None
    return user if (user.session_generation or 0) == int(generation) else None


# The audience module adds its routes to ``bp`` when imported.
from portal.blueprints.auth import public, staff  # noqa: E402

__all__ = ["bp", "load_user", "public", "staff"]

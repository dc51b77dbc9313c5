"""Singles' events ("缘起工会 携手逐梦") and the collective wedding: one blueprint for the public
lists, members' registrations and matches, and the unions' pages under /events/manage."""

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events")

# Each audience module adds its routes to ``bp`` when imported.
from portal.blueprints.events import member, public, staff  # noqa: E402

__all__ = ["bp", "member", "public", "staff"]

"""The member's own pages (我的): profile and the way into each programme (``member``)."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/me")

# The audience module adds its routes to ``bp`` when imported.
from portal.blueprints.members import member  # noqa: E402

__all__ = ["bp", "member"]

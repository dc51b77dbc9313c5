"""Joining online (网上入会): ``public`` (a worker on no roster asks a union to take them) and
``staff`` (the union's officers confirm or decline)."""

from flask import Blueprint

bp = Blueprint("joining", __name__, url_prefix="/join")

# Each audience module adds its routes to ``bp`` when imported.
from portal.blueprints.joining import public, staff  # noqa: E402

__all__ = ["bp", "public", "staff"]

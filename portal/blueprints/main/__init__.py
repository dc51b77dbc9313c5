"""The portal's front door: the home page, the language switch, the health check (``public``)."""

from flask import Blueprint

bp = Blueprint("main", __name__)

# The audience module adds its routes to ``bp`` when imported.
from portal.blueprints.main import public  # noqa: E402

__all__ = ["bp", "public"]

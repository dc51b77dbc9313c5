"""The staff portal under /staff: ``staff`` (every role's dashboard, the union tree) and ``admin``
(accounts, the SMS outbox, the audit log)."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Each audience module adds its routes to ``bp`` when imported.
from portal.blueprints.staff import admin, staff  # noqa: E402

__all__ = ["admin", "bp", "staff"]

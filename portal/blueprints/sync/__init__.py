"""The kiosk sync API, ``/api/sync/v1`` (SYNC.md): signed JSON for devices, not pages.

Requests are authenticated by their RFC 9421 signature (``before_request``), not by a session,
so CSRF protection does not apply; every refusal is ``application/problem+json`` with a code.
"""

from flask import Blueprint

from portal.extensions import csrf

bp = Blueprint("sync", __name__, url_prefix="/api/sync/v1")
csrf.exempt(bp)

from portal.blueprints.sync import kiosk  # noqa: E402,F401 - the routes register on bp

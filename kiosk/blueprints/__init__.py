"""The kiosk's pages: one blueprint, one module per journey (home and receipts, cover, claims,
work-study and childcare) and one for station staff. Views parse the form with the portal's
domain rules, queue one submission through ``kiosk.outbox``, and show its receipt."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

PORTAL_VENDOR = Path(__file__).resolve().parents[2] / "portal" / "static" / "vendor"

bp = Blueprint("kiosk", __name__)
# htmx is vendored once, in the portal; the kiosk serves the same file.
vendor = Blueprint("vendor", __name__, static_folder=str(PORTAL_VENDOR), static_url_path="/static/vendor")

from kiosk.blueprints import claims, cover, home, staff, work  # noqa: E402,F401 - routes register on bp

BLUEPRINTS = [bp, vendor]

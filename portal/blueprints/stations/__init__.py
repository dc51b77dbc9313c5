"""Service stations: the public directory and QR posters (public), the stations and kiosks in the
staff portal for administrators and the station's union officers (staff), and the administrator's
station and kiosk actions (admin)."""

from flask import Blueprint

bp = Blueprint("stations", __name__, url_prefix="/stations")

from portal.blueprints.stations import admin, public, staff  # noqa: E402,F401 - the routes register on bp

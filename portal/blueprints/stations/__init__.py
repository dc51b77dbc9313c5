"""Service stations and their kiosks in the staff portal: the fleet page for administrators and
the station's union officers, and the administrator's kiosk and station actions."""

from flask import Blueprint

bp = Blueprint("stations", __name__, url_prefix="/stations")

from portal.blueprints.stations import admin, public, staff  # noqa: E402,F401 - the routes register on bp

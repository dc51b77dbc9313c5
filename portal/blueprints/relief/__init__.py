"""Heat relief (送清凉) in the staff portal: seasons, the families' subsidies, payout files, packs."""

from flask import Blueprint

bp = Blueprint("relief", __name__, url_prefix="/relief")

from portal.blueprints.relief import staff  # noqa: E402,F401 - the routes register on bp

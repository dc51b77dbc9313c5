"""The hardship register (建档困难职工家庭) in the staff portal: union officers and administrators."""

from flask import Blueprint

bp = Blueprint("hardship", __name__, url_prefix="/hardship")

from portal.blueprints.hardship import staff  # noqa: E402,F401 - the routes register on bp

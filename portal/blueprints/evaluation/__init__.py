"""康乃馨 stations' quality evaluation: staff pages only (organisers, evaluating units, stations)."""

from flask import Blueprint

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")

from portal.blueprints.evaluation import staff  # noqa: E402

__all__ = ["bp", "staff"]

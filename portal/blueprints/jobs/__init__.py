"""Work-study "关爱·圆梦" (``/jobs``): the blueprint, and one module per audience adding its routes.

``public`` (the listing, a position, an enterprise signing up, a student applying alone, the
pages the student's own link opens), ``member`` (parents), ``enterprise`` (``jobs.enterprise.*``)
and ``staff`` (union officers, ``jobs.union.*``); the last two are blueprints nested in this one.
"""

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

# The audience modules add their routes to ``bp`` as they are imported, so they come after it.
from portal.blueprints.jobs import enterprise, member, public, staff  # noqa: E402

__all__ = ["bp", "enterprise", "member", "public", "staff"]

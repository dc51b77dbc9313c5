"""Enrolment (参保): my cover, self-service, rosters, renewal, campaigns, plans; one blueprint, one
module per audience (``public``: the certificate check; ``member``; ``staff``: union officers and
reviewers, rosters included; ``admin``: plans and campaigns)."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__, url_prefix="/enrollment")

# Each audience module adds its routes to ``bp`` when imported.
from portal.blueprints.enrollment import admin, member, public, staff  # noqa: E402

__all__ = ["admin", "bp", "member", "public", "staff"]

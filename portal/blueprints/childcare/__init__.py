"""Summer childcare ("工娃小家"): one blueprint for the public list, parents' registrations and the
organisers' and unions' pages under /childcare/manage (endpoints ``childcare.manage_*``)."""

from flask import Blueprint

bp = Blueprint("childcare", __name__, url_prefix="/childcare")

# Each audience module adds its routes to ``bp`` when imported.
from portal.blueprints.childcare import member, public, staff  # noqa: E402

__all__ = ["bp", "member", "public", "staff"]

"""The enrolment area's routes, one module per audience, all on one blueprint."""

from portal.blueprints.enrollment import admin_views, member_views, roster_views, staff_views
from portal.blueprints.enrollment.blueprint import bp

__all__ = ["admin_views", "bp", "member_views", "roster_views", "staff_views"]

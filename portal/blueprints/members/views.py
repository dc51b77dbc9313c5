"""The member's own pages (我的): profile and the way into each programme."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from portal.web import member_required, render

bp = Blueprint("members", __name__, url_prefix="/me")


@bp.get("/")
@member_required
def home():
    """The signed-in member's own page, personal data masked."""
    return render("members/home.html", member=current_user)

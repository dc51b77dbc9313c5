"""Pages anyone may read: the class list, a class, and the check of its recorded draw."""

from __future__ import annotations

from flask import request

from portal import clock
from portal.blueprints.childcare import bp
from portal.domain.childcare import Phase
from portal.services.childcare import allocation, queries
from portal.web import render

REGISTRATION_PHASES = (Phase.WINDOW_OPEN, Phase.AWAITING_DRAW, Phase.FIRST_COME)


@bp.get("/")
def index():
    """Every class open to the public, with seats left (phone and kiosk)."""
    district = request.args.get("district") or None
    classes = queries.public_classes(district=district)
    return render("childcare/index.html", classes=classes, districts=queries.public_districts(),
                  district=district or "", today=clock.today())


@bp.get("/classes/<int:class_id>")
def show_class(class_id: int):
    """A class: what, where, when, seats left, and its ballot for anyone to check."""
    cls = queries.get_public_class(class_id)
    today = clock.today()
    return render("childcare/class.html", cls=cls, today=today, phase=cls.phase(today),
                  can_register=cls.phase(today) in REGISTRATION_PHASES, check=None)


@bp.get("/classes/<int:class_id>/ballot-check")
def ballot_check(class_id: int):
    """Re-run the recorded draw from its seed and compare with the recorded result."""
    check = allocation.verify_ballot(class_id)
    cls = check.ballot.childcare_class
    today = clock.today()
    return render("childcare/class.html", fragment="childcare/_ballot_check.html", check=check, cls=cls,
                  today=today, phase=cls.phase(today), can_register=cls.phase(today) in REGISTRATION_PHASES)

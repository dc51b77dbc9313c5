"""Pages anyone may read: the events and weddings open for registration."""

from __future__ import annotations

from portal import clock
from portal.blueprints.events import bp
from portal.services.events import queries
from portal.web import render


@bp.get("/")
def index():
    """Published singles' events and collective weddings, with places left (no participant is named)."""
    return render("events/index.html", events=queries.public_events(), weddings=queries.public_weddings(),
                  today=clock.today())


@bp.get("/<int:event_id>")
def show_event(event_id: int):
    event = queries.get_public_event(event_id)
    return render("events/event.html", event=event, today=clock.today(), phase=event.phase(clock.today()))


@bp.get("/weddings/<int:wedding_id>")
def show_wedding(wedding_id: int):
    wedding = queries.get_public_wedding(wedding_id)
    return render("events/wedding.html", wedding=wedding, today=clock.today(), phase=wedding.phase(clock.today()))

"""Pages for anyone, no sign-in: the station directory a worker opens on a phone to find the
nearest 清凉驿站, one station's page and its printable QR poster that leads to that page; and the
phone page of a kiosk receipt (its QR code opens it), which shows only what the receipt itself
shows (the kind, where it stands, the central reference), never personal data."""

from __future__ import annotations

import segno
from flask import render_template, request, url_for
from markupsafe import Markup

from portal.blueprints.stations import bp
from portal.domain.stations import STATION_KIND_LABELS, STATION_SERVICE_LABELS
from portal.domain.sync import ENVELOPE_KIND_LABELS, EnvelopeKind
from portal.extensions import limiter
from portal.services import stations as station_service
from portal.web import render


def _filters() -> station_service.DirectoryFilters:
    return station_service.DirectoryFilters(
        district=(request.args.get("district") or "").strip()[:40],
        service=(request.args.get("service") or "").strip()[:20],
        kind=(request.args.get("kind") or "").strip()[:20],
        open_only=request.args.get("open") == "1")


@bp.get("/")
def index():
    """The directory; filters update the list in place and the address, so a filtered list can be shared."""
    filters = _filters()
    return render("stations/directory.html", fragment="stations/_directory.html",
                  cards=station_service.directory(filters), filters=filters,
                  districts=station_service.directory_districts(),
                  services=STATION_SERVICE_LABELS, kinds=STATION_KIND_LABELS)


@bp.get("/<int:station_id>")
def station(station_id: int):
    """One station: where, when, what it offers, whom to call."""
    return render("stations/station.html", card=station_service.public_station(station_id))


@bp.get("/<int:station_id>/poster")
def poster(station_id: int):
    """An A4 poster to print and put up at the station: its name, hours, services and a QR code of its page."""
    card = station_service.public_station(station_id)
    url = url_for("stations.station", station_id=station_id, _external=True)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=8, dark="#1b1b1f"))  # noqa: S704 - segno's own SVG
    return render("stations/poster.html", card=card, qr=qr, url=url)


@bp.get("/receipts/<kiosk_id>/<envelope_id>")
@limiter.limit("30/minute")
def kiosk_receipt(kiosk_id: str, envelope_id: str):
    envelope = station_service.kiosk_submission(kiosk_id, envelope_id)
    kind = None
    if envelope is not None and envelope.kind in set(EnvelopeKind):
        kind = ENVELOPE_KIND_LABELS[EnvelopeKind(envelope.kind)]
    return render_template("stations/receipt.html", envelope=envelope, kind=kind)

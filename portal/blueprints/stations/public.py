"""The phone page of a kiosk receipt: its QR code opens it, no sign-in. It shows only what the
receipt itself shows (the kind, where it stands, the central reference), never personal data."""

from __future__ import annotations

from flask import render_template

from portal.blueprints.stations import bp
from portal.domain.sync import ENVELOPE_KIND_LABELS, EnvelopeKind
from portal.extensions import limiter
from portal.services import stations


@bp.get("/receipts/<kiosk_id>/<envelope_id>")
@limiter.limit("30/minute")
def kiosk_receipt(kiosk_id: str, envelope_id: str):
    envelope = stations.kiosk_submission(kiosk_id, envelope_id)
    kind = None
    if envelope is not None and envelope.kind in set(EnvelopeKind):
        kind = ENVELOPE_KIND_LABELS[EnvelopeKind(envelope.kind)]
    return render_template("stations/receipt.html", envelope=envelope, kind=kind)

"""The HTTP gateway's delivery reports: signed with the shared secret, idempotent, rate-limited.

``POST /texts/delivery-reports`` with a JSON body ``{"reports": [{"ref": "...", "status": "DELIVRD"}]}``
(or one report as the body), headers ``X-Portal-Timestamp`` (Unix seconds) and
``X-Portal-Signature`` (hex HMAC-SHA256 of ``"<timestamp>." + body`` with ``SMS_REPORT_SECRET``).
No CSRF token (a machine posts it): the signature is the proof. Without a configured secret the
endpoint does not exist (404).
"""

from __future__ import annotations

import time

from flask import abort, current_app, jsonify, request

from portal.blueprints.texts import bp
from portal.domain.texts import report_is_authentic
from portal.extensions import csrf, limiter
from portal.services import sms

MAX_REPORTS = 500


def _limit() -> str:
    return current_app.config.get("SMS_REPORTS_RATE_LIMIT", "120 per minute")


@bp.post("/delivery-reports")
@csrf.exempt
@limiter.limit(_limit)
def delivery_reports():
    """Record each report; answer what became of each (the gateway may resend: nothing doubles)."""
    secret = current_app.config.get("SMS_REPORT_SECRET") or ""
    if not secret:
        abort(404)
    body = request.get_data(cache=True)
    if not report_is_authentic(secret, request.headers.get("X-Portal-Timestamp", ""), body,
                               request.headers.get("X-Portal-Signature", ""), now=time.time()):
        return jsonify(error="bad signature"), 401
    payload = request.get_json(silent=True)
    reports = payload.get("reports", [payload]) if isinstance(payload, dict) else None
    if not isinstance(reports, list) or not 0 < len(reports) <= MAX_REPORTS or \
            not all(isinstance(r, dict) and isinstance(r.get("ref"), str) and isinstance(r.get("status"), str)
                    for r in reports):
        return jsonify(error=f"expected up to {MAX_REPORTS} reports of {{ref, status}}"), 400
    results = [sms.record_delivery_report(r["ref"], r["status"]) for r in reports]
    return jsonify(results=[{"ref": r.ref, "outcome": r.outcome} for r in results])
